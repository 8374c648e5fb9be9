"""The catalogue of reasons: every code a row can get, its effect and its Italian description.

Effects:
- ``non_ammessa``: the row is not eligible (NON_AMMESSA, admitted 0);
- ``esclusa``: the row is excluded for a procedural reason (ESCLUSA, admitted 0);
- ``integrabile``: the row can still be completed: DA_INTEGRARE while its window is open,
  ESCLUSA once the window is locked (admitted 0 either way until completed);
- ``riduzione``: part of the amount is not admitted; the row stays AMMESSA for the rest
  (NON_AMMESSA if nothing is left);
- ``integrabile_riduzione``: the row can still be justified: DA_INTEGRARE while its window is open,
  then the part not justified is not admitted (a reduction) once the window is locked;
- ``segnalazione``: advisory, for the Comune to decide: the row keeps its outcome and amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Effetto = Literal["non_ammessa", "esclusa", "integrabile", "riduzione", "integrabile_riduzione", "segnalazione"]


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
                 "La spesa non è di competenza dell'anno di rendicontazione o del periodo della co-progettazione "
                 "(anche una voce di cofinanziamento non monetario o di volontariato datata fuori dall'anno)."),
    VoceCatalogo("PAGAMENTO_MANCANTE", "integrabile",
                 "Mancano la data o la modalità di pagamento, o il pagamento è successivo alla data di riferimento "
                 "(finestra ancora aperta): la spesa non risulta ancora quietanzata."),
    VoceCatalogo("PAGAMENTO_TARDIVO", "esclusa",
                 "Pagamento (quietanza) successivo al blocco della finestra di competenza della spesa."),
    VoceCatalogo("PAGAMENTO_NON_TRACCIABILE", "non_ammessa",
                 "Pagamento in contanti o con modalità non tracciabile o sconosciuta (nessun limite per i contanti)."),
    VoceCatalogo("CONTANTI_OLTRE_LIMITE", "riduzione",
                 "Pagamento non tracciabile ammesso solo fino al limite configurato per i contanti "
                 "(limiti.contanti_massimo, predefinito 0: in tal caso vale PAGAMENTO_NON_TRACCIABILE)."),
    VoceCatalogo("IMPORTO_NON_VALIDO", "non_ammessa",
                 "Importo mancante, non numerico, nullo o negativo."),
    VoceCatalogo("IMPORTO_OLTRE_DOCUMENTO", "riduzione",
                 "L'importo rendicontato supera l'importo del documento: ammesso fino all'importo del documento."),
    VoceCatalogo("IVA_DETRAIBILE", "riduzione",
                 "L'IVA detraibile (recuperabile) compresa nell'importo rendicontato non è ammessa."),
    VoceCatalogo("ALTRI_CONTRIBUTI", "riduzione",
                 "La parte della spesa finanziata da altri contributi non è ammessa (doppio finanziamento)."),
    VoceCatalogo("FORNITORE_PARTNER_ATS", "segnalazione",
                 "Il fornitore è un componente dell'ATS (acquisto tra partner): il Comune decide se ammetterlo."),
    VoceCatalogo("DOCUMENTO_DUPLICATO", "riduzione",
                 "Lo stesso documento (fornitore e numero) è imputato oltre il 100% del suo importo "
                 "(contano anche le righe ancora da integrare)."),
    VoceCatalogo("IMPORTO_DOCUMENTO_DISCORDANTE", "segnalazione",
                 "Le righe dello stesso documento indicano importi del documento diversi: vale il minore."),
    VoceCatalogo("DOCUMENTAZIONE_MANCANTE", "integrabile",
                 "Documentazione giustificativa non presente, non conservata o non (ancora) trasmessa al Comune."),
    VoceCatalogo("TRASMISSIONE_TARDIVA", "esclusa",
                 "Documentazione trasmessa al Comune dopo il blocco della finestra rendicontativa (valutata "
                 "solo una volta passato il blocco)."),
    VoceCatalogo("INSERIMENTO_RETROATTIVO", "esclusa",
                 "Spesa inserita in una finestra già bloccata (non presente nel sigillo)."),
    VoceCatalogo("RIGA_SIGILLATA_MODIFICATA", "non_ammessa",
                 "Riga di una finestra bloccata modificata, spostata o cancellata dopo il sigillo."),
    VoceCatalogo("PERSONALE_DATI_MANCANTI", "integrabile",
                 "Spesa di personale senza persona, ore o costo orario."),
    VoceCatalogo("PERSONALE_IMPORTO_INCOERENTE", "riduzione",
                 "Per il personale, l'importo supera ore × costo orario oltre la tolleranza: ammesso ore × costo orario."),
    VoceCatalogo("PERSONALE_ORE_ECCESSIVE", "integrabile_riduzione",
                 "Ore di una persona in un mese oltre il massimo (limiti.ore_mese_massime, 173): da giustificare "
                 "mentre la finestra è aperta, poi le ore eccedenti non sono ammesse."),
    VoceCatalogo("SPESE_GENERALI_OLTRE_LIMITE", "riduzione",
                 "Le spese generali superano il limite sui costi diretti: eccedenza ridotta proporzionalmente."),
    VoceCatalogo("DECISIONE_COMUNE", "non_ammessa",
                 "Spesa non ammessa dal Comune con motivazione."),
    VoceCatalogo("COFINANZIAMENTO_MONETARIO_INCOERENTE", "segnalazione",
                 "Il cofinanziamento monetario dichiarato (righe «Monetario») differisce di oltre 1 € da quello "
                 "realizzato, cioè la spesa ammessa meno il contributo comunale dovuto: vale il realizzato."),
    VoceCatalogo("COFINANZIAMENTO_SENZA_DATA", "integrabile",
                 "Voce di cofinanziamento non monetario o di volontariato senza data (colonna «Data» del foglio "
                 "Cofinanziamento): non conteggiata; da integrare fino al blocco dell'ultima finestra dell'anno, "
                 "poi esclusa."),
    VoceCatalogo("DECISIONE_COMUNE_PARZIALE", "riduzione",
                 "Parte della spesa non ammessa dal Comune con motivazione (decisione del registro con l'importo "
                 "non ammesso): la riga è ammessa per il resto."),
    VoceCatalogo("RICHIESTA_INTEGRAZIONE", "integrabile",
                 "Il Comune ha chiesto documenti a integrazione: da integrare fino alla scadenza indicata, "
                 "poi esclusa se non accolta."),
    VoceCatalogo("DATO_NON_VALIDO", "integrabile",
                 "Una cella contiene un valore non leggibile (testo al posto di un numero o di una data)."),
]

CATALOGO: dict[str, VoceCatalogo] = {v.codice: v for v in _ENTRIES}


def effetto(codice: str) -> Effetto:
    return CATALOGO[codice].effetto
