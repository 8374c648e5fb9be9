"""The catalogue of reasons: every code a row can get, its effect and its Italian description.

Effects:
- ``non_ammessa``: the row is not eligible (NON_AMMESSA, admitted 0);
- ``esclusa``: the row is excluded for a procedural reason (ESCLUSA, admitted 0);
- ``integrabile``: the row can still be completed: DA_INTEGRARE while its window is open,
  ESCLUSA once the window is locked (admitted 0 either way until completed);
- ``riduzione``: part of the amount is not admitted; the row stays AMMESSA for the rest
  (NON_AMMESSA if nothing is left).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Effetto = Literal["non_ammessa", "esclusa", "integrabile", "riduzione"]


@dataclass(frozen=True, slots=True)
class VoceCatalogo:
    codice: str
    effetto: Effetto
    descrizione: str


_ENTRIES = [
    VoceCatalogo("CATEGORIA_NON_AMMISSIBILE", "non_ammessa",
                 "La categoria di spesa non è tra quelle ammissibili (o è un costo non ammissibile)."),
    VoceCatalogo("AZIONE_NON_DEL_PROGRAMMA", "non_ammessa",
                 "L'azione indicata non appartiene al programma del file."),
    VoceCatalogo("PARTNER_NON_ATS", "non_ammessa",
                 "Il partner non è uno dei componenti dell'ATS."),
    VoceCatalogo("DATA_FUORI_PERIODO", "non_ammessa",
                 "La spesa non è sostenuta nell'anno di rendicontazione o nel periodo della co-progettazione."),
    VoceCatalogo("PAGAMENTO_MANCANTE", "integrabile",
                 "Mancano la data o la modalità di pagamento, o il pagamento è successivo alla data di riferimento: la spesa non risulta quietanzata."),
    VoceCatalogo("PAGAMENTO_NON_TRACCIABILE", "non_ammessa",
                 "Pagamento in contanti o con modalità non tracciabile o sconosciuta (nessun limite per i contanti)."),
    VoceCatalogo("CONTANTI_OLTRE_LIMITE", "riduzione",
                 "Pagamento non tracciabile ammesso solo fino al limite configurato per i contanti "
                 "(limiti.contanti_massimo, predefinito 0: in tal caso vale PAGAMENTO_NON_TRACCIABILE)."),
    VoceCatalogo("IMPORTO_NON_VALIDO", "non_ammessa",
                 "Importo mancante, non numerico, nullo o negativo."),
    VoceCatalogo("IMPORTO_OLTRE_DOCUMENTO", "riduzione",
                 "L'importo rendicontato supera l'importo del documento: ammesso fino all'importo del documento."),
    VoceCatalogo("DOCUMENTO_DUPLICATO", "riduzione",
                 "Lo stesso documento (fornitore e numero) è imputato oltre il 100% del suo importo."),
    VoceCatalogo("DOCUMENTAZIONE_MANCANTE", "integrabile",
                 "Documentazione giustificativa non presente, non conservata o non trasmessa al Comune."),
    VoceCatalogo("TRASMISSIONE_TARDIVA", "esclusa",
                 "Documentazione trasmessa al Comune dopo il blocco della finestra rendicontativa."),
    VoceCatalogo("INSERIMENTO_RETROATTIVO", "esclusa",
                 "Spesa inserita in una finestra già bloccata (non presente nel sigillo)."),
    VoceCatalogo("RIGA_SIGILLATA_MODIFICATA", "non_ammessa",
                 "Riga di una finestra bloccata modificata, spostata o cancellata dopo il sigillo."),
    VoceCatalogo("PERSONALE_DATI_MANCANTI", "integrabile",
                 "Spesa di personale senza persona, ore o costo orario."),
    VoceCatalogo("PERSONALE_IMPORTO_INCOERENTE", "integrabile",
                 "Per il personale, ore × costo orario differisce dall'importo oltre la tolleranza."),
    VoceCatalogo("SPESE_GENERALI_OLTRE_LIMITE", "riduzione",
                 "Le spese generali superano il limite sui costi diretti: eccedenza ridotta proporzionalmente."),
    VoceCatalogo("DECISIONE_COMUNE", "non_ammessa",
                 "Spesa non ammessa dal Comune con motivazione."),
    VoceCatalogo("RICHIESTA_INTEGRAZIONE", "integrabile",
                 "Il Comune ha chiesto documenti a integrazione: da integrare fino alla scadenza indicata, "
                 "poi esclusa se non accolta."),
    VoceCatalogo("DATO_NON_VALIDO", "integrabile",
                 "Una cella contiene un valore non leggibile (testo al posto di un numero o di una data)."),
]

CATALOGO: dict[str, VoceCatalogo] = {v.codice: v for v in _ENTRIES}


def effetto(codice: str) -> Effetto:
    return CATALOGO[codice].effetto
