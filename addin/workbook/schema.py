"""The one place that names every sheet, table and column of the reporting workbooks.

The template builder, the reader, the report writer and the add-in all use these names.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = "1"

# Excel's 1900 date system: serial 1 = 01/01/1900, counted from 30/12/1899 (its 1900 leap-year quirk)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def excel_serial(d: dt.date) -> int:
    """The Excel serial number of a date (datetime: its day)."""
    return ((d.date() if isinstance(d, dt.datetime) else d) - EXCEL_EPOCH).days


def from_excel_serial(n: float) -> dt.date:
    """The date of an Excel serial number (the fraction, a time of day, is dropped)."""
    return EXCEL_EPOCH + dt.timedelta(days=int(n))

Kind = Literal["text", "date", "month", "money", "number", "bool", "formula", "output"]


@dataclass(frozen=True, slots=True)
class Col:
    key: str            # attribute of the rule model (Spesa, VoceCofinanziamento, VoceBudget)
    header: str         # Italian header, exactly as in the workbook
    kind: Kind
    width: float = 14
    choices: str | None = None  # name of a dropdown list (see LISTS)
    help: str = ""      # input message shown by Excel
    optional: bool = False  # a column added after the first templates: workbooks without it still read


# sheets
ISTRUZIONI = "Istruzioni"
BUDGET = "Budget"
SPESE = "Spese"
COFINANZIAMENTO = "Cofinanziamento"
RIEPILOGO = "Riepilogo"
TRANCHE = "Tranche"
META = "_meta"      # hidden: programme, year, schema version, seals
LISTE = "_liste"    # hidden: the dropdown lists

# Excel tables
TAB_SPESE = "TabSpese"
TAB_COFIN = "TabCofinanziamento"
TAB_BUDGET = "TabBudget"

# dropdown list names
L_AZIONI, L_PARTNER, L_CATEGORIE, L_TIPI_COFIN = "ListaAzioni", "ListaPartner", "ListaCategorie", "ListaTipiCofin"
L_SI_NO, L_MODALITA, L_DECISIONE = "ListaSiNo", "ListaModalita", "ListaDecisione"

SI, NO = "SI", "NO"
DECISIONI = ["Ammessa", "Non ammessa"]
TIPI_COFIN = {"MONETARIO": "Monetario", "NON_MONETARIO": "Non monetario", "VOLONTARIATO": "Volontariato"}

SPESE_COLS: tuple[Col, ...] = (
    Col("azione", "Azione", "text", 9, L_AZIONI, "Codice dell'azione del programma (es. 1.2)."),
    Col("partner", "Partner", "text", 26, L_PARTNER, "Componente dell'ATS che ha sostenuto la spesa."),
    Col("categoria", "Categoria", "text", 26, L_CATEGORIE, "Tipologia di spesa ammissibile."),
    Col("descrizione", "Descrizione", "text", 34, None, "Descrizione sintetica della spesa."),
    Col("fornitore", "Fornitore/Percettore", "text", 24, None, "Fornitore, professionista o lavoratore."),
    Col("tipo_documento", "Tipo documento", "text", 16, None, "Fattura, notula, cedolino, ricevuta..."),
    Col("numero_documento", "N. documento", "text", 13, None, "Numero del documento di spesa."),
    Col("data_documento", "Data documento", "date", 13, None, "Data del documento (gg/mm/aaaa)."),
    Col("data_pagamento", "Data pagamento", "date", 13, None, "Data della quietanza (gg/mm/aaaa)."),
    Col("modalita_pagamento", "Modalità pagamento", "text", 18, L_MODALITA, "I contanti non sono ammessi."),
    Col("importo_documento", "Importo documento", "money", 14, None, "Importo totale del documento."),
    Col("importo", "Importo rendicontato", "money", 14, None, "Quota imputata al programma."),
    Col("iva_detraibile", "IVA detraibile", "money", 12, None,
        "IVA recuperabile compresa nell'importo rendicontato: non è ammessa.", optional=True),
    Col("altri_contributi", "Altri contributi sulla spesa", "money", 14, None,
        "Parte della spesa finanziata da altri contributi (altri enti, bandi): non è ammessa.", optional=True),
    Col("persona", "Persona", "text", 20, None, "Solo personale: nome della persona."),
    Col("codice_fiscale", "Codice fiscale", "text", 17, None,
        "Solo personale: codice fiscale della persona (identifica la persona nel campione).", optional=True),
    Col("ore", "Ore", "number", 8, None, "Solo personale: ore imputate."),
    Col("costo_orario", "Costo orario", "money", 11, None, "Solo personale: costo orario."),
    Col("mese_competenza", "Mese di competenza", "month", 12, None,
        "Solo personale: mese cui si riferisce il cedolino (mm/aaaa). Vuoto: vale la data del documento.",
        optional=True),
    Col("doc_giustificativo", "Doc. giustificativo", "bool", 12, L_SI_NO, "SI se il giustificativo c'è."),
    Col("doc_conservata", "Doc. conservata", "bool", 12, L_SI_NO, "SI se la documentazione è agli atti."),
    Col("doc_trasmessa", "Doc. trasmessa", "bool", 12, L_SI_NO, "SI se trasmessa al Comune."),
    Col("data_trasmissione", "Data trasmissione", "date", 13, None, "Data di trasmissione al Comune."),
    Col("decisione_comune", "Decisione Comune", "text", 14, L_DECISIONE, "Riservato al Comune."),
    Col("motivazione_comune", "Motivazione Comune", "text", 28, None, "Riservato al Comune."),
    Col("esito", "Esito", "output", 14, None, "Scritto da Valida/Verifica."),
    Col("importo_ammesso", "Importo ammesso", "output", 14, None, "Scritto da Valida/Verifica."),
    Col("motivi", "Motivi", "output", 50, None, "Scritto da Valida/Verifica."),
)

COFIN_COLS: tuple[Col, ...] = (
    Col("partner", "Partner", "text", 26, L_PARTNER, "Componente dell'ATS."),
    Col("azione", "Azione", "text", 9, L_AZIONI, "Codice dell'azione."),
    Col("tipo", "Tipo", "text", 16, L_TIPI_COFIN, "Monetario, Non monetario o Volontariato."),
    Col("descrizione", "Descrizione", "text", 34, None, "Risorsa messa a disposizione."),
    Col("data", "Data", "date", 12, None,
        "Non monetario e volontariato: giorno in cui la risorsa è stata messa a disposizione o le ore sono state "
        "svolte (gg/mm/aaaa; per un mese intero il primo giorno del mese). Decide la finestra.", optional=True),
    Col("quantita", "Ore o quantità", "number", 12, None, "Ore di volontariato o quantità (vuoto = 1)."),
    Col("valore_unitario", "Valore unitario", "money", 13, None, "Per il volontariato: valore orario."),
    Col("valore", "Valore", "formula", 14, None, "Calcolato: volontariato al massimo alla tariffa."),
)

BUDGET_COLS: tuple[Col, ...] = (
    Col("azione", "Azione", "text", 9, L_AZIONI),
    Col("categoria", "Categoria", "text", 26, L_CATEGORIE),
    Col("comunale_iniziale", "Comunale iniziale", "money", 15),
    Col("comunale_luglio", "Var. luglio comunale", "money", 15),
    Col("comunale_novembre", "Var. novembre comunale", "money", 15),
    Col("comunale_attuale", "Comunale attuale", "formula", 15),
    Col("cofin_iniziale", "Cofin. iniziale", "money", 15),
    Col("cofin_luglio", "Var. luglio cofin.", "money", 15),
    Col("cofin_novembre", "Var. novembre cofin.", "money", 15),
    Col("cofin_attuale", "Cofin. attuale", "formula", 15),
    Col("totale_attuale", "Totale attuale", "formula", 15),
)

# metadata keys on the hidden sheet (column A key, column B value)
META_PROGRAMMA = "programma"
META_ANNO = "anno"
META_VERSIONE = "versione_schema"
META_TIPO = "tipo"          # "programma" or "consolidato"
META_GENERATORE = "generato_da"


HEADER_SCAN_ROWS = 10  # the header row of a table is searched in the first rows of its sheet


def _header_key(v: object) -> str:
    return " ".join(v.split()).casefold() if isinstance(v, str) else ""


def locate_header(rows: Iterable[Sequence[object]], cols: tuple[Col, ...]) -> tuple[int, dict[str, int]]:
    """Find the header row among the first HEADER_SCAN_ROWS rows of a sheet.

    Returns the 0-based index of the row matching most schema headers (spacing and case ignored)
    and a map column key -> 0-based column index; (-1, {}) when no row matches any header.
    """
    wanted = {_header_key(c.header): c for c in cols}
    best_row, best = -1, {}
    for r, row in enumerate(itertools.islice(rows, HEADER_SCAN_ROWS)):
        found: dict[str, int] = {}
        for i, v in enumerate(row):
            c = wanted.get(_header_key(v))
            if c is not None and c.key not in found:
                found[c.key] = i
        if len(found) > len(best):
            best_row, best = r, found
    return best_row, best


def header_map(cols: tuple[Col, ...]) -> dict[str, Col]:
    return {c.header: c for c in cols}


def col_by_key(cols: tuple[Col, ...], key: str) -> Col:
    for c in cols:
        if c.key == key:
            return c
    raise KeyError(key)


def input_cols(cols: tuple[Col, ...]) -> tuple[Col, ...]:
    return tuple(c for c in cols if c.kind not in ("formula", "output"))


def required_cols(cols: tuple[Col, ...]) -> tuple[Col, ...]:
    """The input columns a workbook must have (optional columns may be missing in older workbooks)."""
    return tuple(c for c in input_cols(cols) if not c.optional)


# --- consolidated workbook (capofila: the six programmes of a year) -------------------------------
CONS_CRUSCOTTO = "Cruscotto"
CONS_PROGRAMMI = "Programmi"
CONS_AZIONI = "Azioni"
CONS_PARTNER = "Partner"
CONS_ANOMALIE = "Anomalie"
CONS_TRANCHE = "Tranche"
CONS_CAMPIONE = "Campione"
CONS_SPESE = "Spese"
CONS_GRAFICI = "Grafici"
TIPO_PROGRAMMA, TIPO_CONSOLIDATO = "programma", "consolidato"   # values of META_TIPO
