"""Builder of the programme reporting workbook (one per programme and year).

The workbook is a good Excel file on its own: native tables, dropdowns, input messages, number
formats, conditional formatting, print setup, and native formulas (SUMIFS, MINIFS, ROUND, ...) for
`Riepilogo` and `Tranche`, computing the same figures as addin.rules.summary. Formula cells are
locked and every sheet is protected without a password; input cells are unlocked.

Only functions LibreOffice 7.4 computes are used (no XLOOKUP/XMATCH/LET/UNIQUE/SEQUENCE/FILTER).
Names of sheets, tables and columns come from addin.workbook.schema.

INTERFACE CONTRACT: build_template(config, programma, anno) -> openpyxl.Workbook and
save_template(config, programma, anno, path) (deterministic bytes: fixed zip timestamps and
document dates).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from addin.config.models import Config
from addin.rules.cofinancing import tariffa_tabellare, tariffa_volontari
from addin.rules.money import fmt_eur, fmt_pct
from addin.rules.tranches import piano_tranche
from addin.rules.windows import finestre_anno
from addin.workbook import schema as S

GENERATORE = "rendiconta"

# layout (contract 1): title row 1, instruction row 2, table header row 3, data from row 4
HEADER_ROW = 3
FIRST_ROW = 4
RIGHE_SPESE = 1000
RIGHE_COFIN = 300

FMT_EUR = '#,##0.00 "€"'
FMT_DATE = "dd/mm/yyyy"
FMT_PCT = "0.00%"
FMT_NUM = "#,##0.##"
FMT_TEXT = "@"

_THIN = Side(style="thin", color="B7B7B7")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
F_TITLE = Font(bold=True, size=14, color="1F3864")
F_SECTION = Font(bold=True, size=12, color="1F3864")
F_BOLD = Font(bold=True)
F_NOTE = Font(italic=True, color="595959")
F_HEAD = Font(bold=True, color="FFFFFF")
FILL_HEAD = PatternFill("solid", fgColor="1F3864")
FILL_INPUT = PatternFill("solid", fgColor="FFF9E5")
FILL_CALC = PatternFill("solid", fgColor="EDEDED")
FILL_TOTAL = PatternFill("solid", fgColor="D9E1F2")
FILL_BAD = PatternFill("solid", fgColor="F8CBAD")
WRAP = Alignment(wrap_text=True, vertical="top")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

# defined names of single cells used by formulas across sheets
N_TARIFFA = "TariffaVolontari"
N_CONTRIBUTO = "ContributoPrevisto"
N_RENDICONTATO = "TotaleRendicontato"


@dataclass(frozen=True)
class Dati:
    """What the builder needs of one programme and year, resolved once."""

    config: Config
    programma: int
    anno: int

    @property
    def prog(self):
        return self.config.programma(self.programma)


# --- helpers -----------------------------------------------------------------------------------

def _letter(cols: tuple[S.Col, ...], key: str) -> str:
    return get_column_letter(cols.index(S.col_by_key(cols, key)) + 1)


def _sq(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _sref(table: str, header: str) -> str:
    """Structured reference to a whole table column, e.g. TabSpese[Importo rendicontato]."""
    esc = header.replace("'", "''").replace("[", "'[").replace("]", "']").replace("#", "'#")
    return f"{table}[{esc}]"


def _text(s: str) -> str:
    """An Excel string literal."""
    return '"' + s.replace('"', '""') + '"'


def _protect(ws: Worksheet) -> None:
    """Protect without a password; users may still resize rows/columns and use the filters."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = False
    p.formatRows = False
    p.autoFilter = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _print_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&A - pagina &P di &N"


def _title(ws: Worksheet, title: str, note: str) -> None:
    ws["A1"] = title
    ws["A1"].font = F_TITLE
    ws["A2"] = note
    ws["A2"].font = F_NOTE
    ws.row_dimensions[1].height = 22


def _head(ws: Worksheet, row: int, labels: list[str], first_col: int = 1) -> None:
    for i, label in enumerate(labels):
        c = ws.cell(row, first_col + i, label)
        c.font, c.fill, c.border = F_HEAD, FILL_HEAD, BORDER
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[row].height = 30


def _section(ws: Worksheet, row: int, text: str) -> None:
    ws.cell(row, 1, text).font = F_SECTION
    ws.row_dimensions[row].height = 20


def _cell(ws: Worksheet, row: int, col: int, value, fmt: str | None = None, *, bold: bool = False,
          fill: PatternFill | None = None, wrap: bool = False):
    c = ws.cell(row, col, value)
    c.border = BORDER
    if fmt:
        c.number_format = fmt
    if bold:
        c.font = F_BOLD
    if fill is not None:
        c.fill = fill
    if wrap:
        c.alignment = WRAP
    return c


def _name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"{_sq(sheet)}!{ref}")


_FMT_BY_KIND = {"date": FMT_DATE, "month": "mm/yyyy", "money": FMT_EUR, "number": FMT_NUM, "text": FMT_TEXT, "bool": FMT_TEXT}


# --- lists ----------------------------------------------------------------------------------------

def _liste(wb: Workbook, d: Dati) -> None:
    ws = wb.create_sheet(S.LISTE)
    cfg = d.config
    lists = [
        (S.L_AZIONI, "Azioni", d.prog.codici_azioni),
        (S.L_PARTNER, "Partner", [p.nome for p in cfg.partner]),
        (S.L_CATEGORIE, "Categorie", [c.nome for c in cfg.categorie]),
        (S.L_TIPI_COFIN, "Tipi cofinanziamento", list(S.TIPI_COFIN.values())),
        (S.L_SI_NO, "SI/NO", [S.SI, S.NO]),
        (S.L_MODALITA, "Modalità pagamento", [m.nome for m in cfg.modalita_pagamento]),
        (S.L_DECISIONE, "Decisione Comune", list(S.DECISIONI)),
    ]
    for i, (name, label, values) in enumerate(lists, start=1):
        col = get_column_letter(i)
        ws.cell(1, i, label).font = F_BOLD
        for r, v in enumerate(values, start=2):
            c = ws.cell(r, i, v)
            c.number_format = FMT_TEXT
        ws.column_dimensions[col].width = 30
        _name(wb, name, S.LISTE, f"${col}$2:${col}${len(values) + 1}")
    ws.sheet_state = "hidden"
    _protect(ws)


def _meta(wb: Workbook, d: Dati) -> None:
    ws = wb.create_sheet(S.META)
    rows = [("chiave", "valore"), (S.META_PROGRAMMA, str(d.programma)), (S.META_ANNO, str(d.anno)),
            (S.META_VERSIONE, S.SCHEMA_VERSION), (S.META_TIPO, "programma"), (S.META_GENERATORE, GENERATORE)]
    for r, (k, v) in enumerate(rows, start=1):
        ws.cell(r, 1, k).number_format = FMT_TEXT
        ws.cell(r, 2, v).number_format = FMT_TEXT
    ws["A1"].font = ws["B1"].font = F_BOLD
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 70
    ws.sheet_state = "hidden"
    # not protected: the lock helper appends seal rows (sigillo.*) with the add-in


# --- input tables -----------------------------------------------------------------------------------

_LIST_ERRORS = {
    S.L_AZIONI: "Scegli un'azione di questo programma dall'elenco.",
    S.L_PARTNER: "Scegli un componente dell'ATS dall'elenco.",
    S.L_CATEGORIE: "Scegli una categoria di spesa ammissibile dall'elenco.",
    S.L_TIPI_COFIN: "Scegli Monetario, Non monetario o Volontariato.",
    S.L_SI_NO: "Scrivi SI oppure NO.",
    S.L_MODALITA: "Scegli una modalità di pagamento dall'elenco.",
    S.L_DECISIONE: "Scegli Ammessa o Non ammessa.",
}


def _input_table(ws: Worksheet, d: Dati, table: str, cols: tuple[S.Col, ...], n_rows: int,
                 formulas: dict[str, str] | None = None, locked_keys: frozenset[str] = frozenset()) -> None:
    """Header on row 3, `n_rows` pre-sized data rows; input cells unlocked, formula cells locked."""
    formulas = formulas or {}
    last = FIRST_ROW + n_rows - 1
    _head(ws, HEADER_ROW, [c.header for c in cols])
    anno0 = dt.date(d.config.periodo.inizio.year - 1, 1, 1)
    anno1 = dt.date(d.config.periodo.fine.year + 1, 12, 31)
    for j, col in enumerate(cols, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = col.width
        is_formula = col.key in formulas
        for r in range(FIRST_ROW, last + 1):
            c = ws.cell(r, j)
            if is_formula:
                c.value = formulas[col.key].format(r=r)
                c.number_format = FMT_EUR
                c.protection = LOCKED
                c.fill = FILL_CALC
            else:
                c.number_format = _FMT_BY_KIND.get(col.kind, "General") if col.kind != "output" else (
                    FMT_EUR if col.key == "importo_ammesso" else "General")
                c.protection = LOCKED if col.key in locked_keys else UNLOCKED
                if col.kind == "output":
                    c.fill = FILL_CALC
        rng = f"{letter}{FIRST_ROW}:{letter}{last}"
        dv = None
        if col.choices:
            dv = DataValidation(type="list", formula1=col.choices, allow_blank=True,
                                error=_LIST_ERRORS.get(col.choices, "Valore non previsto."),
                                errorTitle="Valore non ammesso", errorStyle="stop")
        elif col.kind in ("date", "month"):
            what = "una data gg/mm/aaaa" if col.kind == "date" else "un mese mm/aaaa"
            dv = DataValidation(type="date", operator="between", formula1=str(S.excel_serial(anno0)),
                                formula2=str(S.excel_serial(anno1)), allow_blank=True, errorStyle="warning",
                                errorTitle="Data", error=f"Scrivi {what} del periodo "
                                f"{d.config.periodo.inizio.year}-{d.config.periodo.fine.year}.")
        elif col.kind in ("money", "number") and not is_formula:
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                errorStyle="warning", errorTitle="Numero",
                                error="Scrivi un numero maggiore o uguale a zero.")
        elif col.help:
            dv = DataValidation(allow_blank=True)
        if dv is not None and col.key not in locked_keys:
            if col.help:
                dv.promptTitle = col.header[:32]
                dv.prompt = col.help[:255]
                dv.showInputMessage = True
            dv.showErrorMessage = dv.type is not None
            dv.add(rng)
            ws.add_data_validation(dv)
    ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{last}"
    t = Table(displayName=table, ref=ref)
    t.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True, showColumnStripes=False,
                                      showFirstColumn=False, showLastColumn=False)
    ws.add_table(t)
    ws.freeze_panes = f"A{FIRST_ROW}"
    _print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")


def _spese(wb: Workbook, d: Dati) -> None:
    ws = wb.create_sheet(S.SPESE)
    _title(ws, f"Spese {d.anno} - Programma {d.programma}: {d.prog.nome}",
           "Una riga per spesa. Scegli Azione, Partner e Categoria dagli elenchi; date gg/mm/aaaa; importi in euro. "
           "Esito, Importo ammesso e Motivi sono scritti da Valida/Verifica.")
    cols = S.SPESE_COLS
    _input_table(ws, d, S.TAB_SPESE, cols, RIGHE_SPESE)
    last = FIRST_ROW + RIGHE_SPESE - 1
    esito = _letter(cols, "esito")
    # rows with an outcome other than AMMESSA
    ws.conditional_formatting.add(
        f"A{FIRST_ROW}:{get_column_letter(len(cols))}{last}",
        FormulaRule(formula=[f'AND(${esito}{FIRST_ROW}<>"",${esito}{FIRST_ROW}<>"AMMESSA")'], fill=FILL_BAD,
                    stopIfTrue=False))
    _protect(ws)


def _cofinanziamento(wb: Workbook, d: Dati) -> None:
    ws = wb.create_sheet(S.COFINANZIAMENTO)
    _title(ws, f"Cofinanziamento {d.anno} - Programma {d.programma}: {d.prog.nome}",
           "Non monetario (risorse valorizzate) e volontariato (ore × valore orario, al massimo la tariffa del "
           "foglio Riepilogo), con la Data che le colloca in una finestra; il monetario si ricava dalle spese "
           "(righe «Monetario» solo per riscontro). Il Valore è calcolato.")
    cols = S.COFIN_COLS
    tipo, qty, unit = _letter(cols, "tipo"), _letter(cols, "quantita"), _letter(cols, "valore_unitario")
    vol = _text(S.TIPI_COFIN["VOLONTARIATO"])
    # addin.rules.cofinancing.valore_voce: qty (1 when empty) × unit, volunteers at most the cap, >= 0
    f = (f'=IF(AND({tipo}{{r}}="",{unit}{{r}}=""),"",MAX(0,ROUND(IF({qty}{{r}}="",1,{qty}{{r}})'
         f'*IF({tipo}{{r}}={vol},MIN(N({unit}{{r}}),{N_TARIFFA}),N({unit}{{r}})),2)))')
    _input_table(ws, d, S.TAB_COFIN, cols, RIGHE_COFIN, formulas={"valore": f})
    _protect(ws)


def _budget(wb: Workbook, d: Dati) -> int:
    """Returns the row of the budget totals under the table."""
    ws = wb.create_sheet(S.BUDGET)
    _title(ws, f"Budget {d.anno} - Programma {d.programma}: {d.prog.nome}",
           "Per azione e categoria: importi iniziali e variazioni concordate in Cabina di regia "
           "(luglio, novembre). Le colonne «attuale» sono calcolate.")
    cols = S.BUDGET_COLS
    L = {c.key: _letter(cols, c.key) for c in cols}
    formulas = {
        "comunale_attuale": f"=ROUND({L['comunale_iniziale']}{{r}}+{L['comunale_luglio']}{{r}}"
                            f"+{L['comunale_novembre']}{{r}},2)",
        "cofin_attuale": f"=ROUND({L['cofin_iniziale']}{{r}}+{L['cofin_luglio']}{{r}}+{L['cofin_novembre']}{{r}},2)",
        "totale_attuale": f"={L['comunale_attuale']}{{r}}+{L['cofin_attuale']}{{r}}",
    }
    pairs = [(a, c.nome) for a in d.prog.codici_azioni for c in d.config.categorie]
    _input_table(ws, d, S.TAB_BUDGET, cols, len(pairs), formulas=formulas,
                 locked_keys=frozenset({"azione", "categoria"}))
    for i, (a, cat) in enumerate(pairs):
        r = FIRST_ROW + i
        ws[f"{L['azione']}{r}"] = a
        ws[f"{L['categoria']}{r}"] = cat
        ws[f"{L['azione']}{r}"].fill = ws[f"{L['categoria']}{r}"].fill = FILL_CALC
    # totals and the approved budget under the table, aligned with the «attuale» columns
    b = d.prog.budget_anno(d.anno)
    r0 = FIRST_ROW + len(pairs) + 1
    fc, jc, kc = L["comunale_attuale"], L["cofin_attuale"], L["totale_attuale"]
    rows = [
        ("Totale budget attuale", f"=SUM({_sref(S.TAB_BUDGET, S.col_by_key(cols, 'comunale_attuale').header)})",
         f"=SUM({_sref(S.TAB_BUDGET, S.col_by_key(cols, 'cofin_attuale').header)})"),
        ("Budget approvato (configurazione)", float(b.comunale), float(b.cofinanziamento)),
        ("Differenza da ripartire", f"={fc}{r0 + 1}-{fc}{r0}", f"={jc}{r0 + 1}-{jc}{r0}"),
    ]
    for i, (label, c1, c2) in enumerate(rows):
        r = r0 + i
        _cell(ws, r, 2, label, bold=True, fill=FILL_TOTAL)
        for letter, value in ((fc, c1), (jc, c2), (kc, f"={fc}{r}+{jc}{r}")):
            c = ws[f"{letter}{r}"]
            c.value, c.number_format, c.fill, c.border, c.font = value, FMT_EUR, FILL_TOTAL, BORDER, F_BOLD
    _protect(ws)
    return r0


# --- Riepilogo ---------------------------------------------------------------------------------------

def _riepilogo(wb: Workbook, d: Dati) -> dict[str, str]:
    """Builds the sheet; returns the cell addresses (absolute) of the figures Tranche uses."""
    ws = wb.create_sheet(S.RIEPILOGO)
    cfg, prog = d.config, d.prog
    _title(ws, f"Riepilogo {d.anno} - Programma {d.programma}: {prog.nome}",
           "Calcolato dalle formule a partire dai fogli Spese, Cofinanziamento e Budget (importi rendicontati, "
           "prima della verifica del Comune).")
    widths = {"A": 40, "B": 46, "C": 17, "D": 17, "E": 17, "F": 17, "G": 17, "H": 12}
    for k, v in widths.items():
        ws.column_dimensions[k].width = v
    sp_imp = _sref(S.TAB_SPESE, S.col_by_key(S.SPESE_COLS, "importo").header)
    sp_az = _sref(S.TAB_SPESE, S.col_by_key(S.SPESE_COLS, "azione").header)
    sp_cat = _sref(S.TAB_SPESE, S.col_by_key(S.SPESE_COLS, "categoria").header)
    sp_cost = _sref(S.TAB_SPESE, S.col_by_key(S.SPESE_COLS, "costo_orario").header)
    bu = {k: _sref(S.TAB_BUDGET, S.col_by_key(S.BUDGET_COLS, k).header)
          for k in ("azione", "categoria", "comunale_attuale", "cofin_attuale")}
    co_val = _sref(S.TAB_COFIN, S.col_by_key(S.COFIN_COLS, "valore").header)
    co_tipo = _sref(S.TAB_COFIN, S.col_by_key(S.COFIN_COLS, "tipo").header)
    b = prog.budget_anno(d.anno)
    out: dict[str, str] = {}

    r = 4
    _section(ws, r, "Dati del programma")
    info = [("Programma", f"{prog.codice} - {prog.nome}", None), ("Anno", d.anno, "0"),
            ("Contributo comunale previsto", float(b.comunale), FMT_EUR),
            ("Cofinanziamento previsto", float(b.cofinanziamento), FMT_EUR),
            ("Costo totale previsto", f"=B{r + 3}+B{r + 4}", FMT_EUR)]
    for i, (label, value, fmt) in enumerate(info, start=1):
        _cell(ws, r + i, 1, label, bold=True)
        _cell(ws, r + i, 2, value, fmt).alignment = Alignment(horizontal="left")
    _name(wb, N_CONTRIBUTO, S.RIEPILOGO, f"$B${r + 3}")
    out["contributo"], out["previsto"] = f"$B${r + 3}", f"$B${r + 5}"

    # action × category
    r = 11
    _section(ws, r, "Spese rendicontate e budget per azione e categoria")
    r += 1
    _head(ws, r, ["Azione", "Categoria", "Budget comunale attuale", "Budget cofin. attuale",
                  "Budget totale attuale", "Rendicontato", "Residuo", "Utilizzo"])
    first = r + 1
    for a in prog.codici_azioni:
        for c in cfg.categorie:
            r += 1
            _cell(ws, r, 1, a, FMT_TEXT)
            _cell(ws, r, 2, c.nome)
            _cell(ws, r, 3, f"=SUMIFS({bu['comunale_attuale']},{bu['azione']},$A{r},{bu['categoria']},$B{r})", FMT_EUR)
            _cell(ws, r, 4, f"=SUMIFS({bu['cofin_attuale']},{bu['azione']},$A{r},{bu['categoria']},$B{r})", FMT_EUR)
            _cell(ws, r, 5, f"=C{r}+D{r}", FMT_EUR)
            _cell(ws, r, 6, f"=SUMIFS({sp_imp},{sp_az},$A{r},{sp_cat},$B{r})", FMT_EUR)
            _cell(ws, r, 7, f"=E{r}-F{r}", FMT_EUR)
            _cell(ws, r, 8, f'=IF(E{r}=0,"",F{r}/E{r})', FMT_PCT)
    last = r
    r += 1
    _cell(ws, r, 1, "Totale azioni del programma", bold=True, fill=FILL_TOTAL)
    _cell(ws, r, 2, None, fill=FILL_TOTAL)
    for col in "CDEFG":
        _cell(ws, r, " CDEFG".index(col) + 2, f"=SUM({col}{first}:{col}{last})", FMT_EUR, bold=True, fill=FILL_TOTAL)
    _cell(ws, r, 8, f'=IF(E{r}=0,"",F{r}/E{r})', FMT_PCT, bold=True, fill=FILL_TOTAL)
    out["attribuito"] = f"$F${r}"
    tot_row = r
    r += 1
    _cell(ws, r, 1, "Non attribuito (azione o categoria mancante o non valida)", wrap=True)
    _cell(ws, r, 2, None)
    _cell(ws, r, 6, f"=ROUND(SUM({sp_imp}),2)-F{tot_row}", FMT_EUR)
    out["non_attribuito"] = f"$F${r}"
    ws.row_dimensions[r].height = 30
    r += 1
    _cell(ws, r, 1, "Totale rendicontato", bold=True, fill=FILL_TOTAL)
    _cell(ws, r, 2, None, fill=FILL_TOTAL)
    _cell(ws, r, 6, f"=ROUND(SUM({sp_imp}),2)", FMT_EUR, bold=True, fill=FILL_TOTAL)
    _name(wb, N_RENDICONTATO, S.RIEPILOGO, f"$F${r}")
    out["rendicontato"] = f"$F${r}"

    # per action
    r += 2
    _section(ws, r, "Per azione")
    r += 1
    _head(ws, r, ["Azione", "Titolo", "Budget totale attuale", "Rendicontato", "Residuo"])
    for a in prog.azioni:
        r += 1
        _cell(ws, r, 1, a.codice, FMT_TEXT)
        _cell(ws, r, 2, a.titolo, wrap=True)
        _cell(ws, r, 3, f"=SUMIFS($E${first}:$E${last},$A${first}:$A${last},$A{r})", FMT_EUR)
        _cell(ws, r, 4, f"=SUMIFS($F${first}:$F${last},$A${first}:$A${last},$A{r})", FMT_EUR)
        _cell(ws, r, 5, f"=C{r}-D{r}", FMT_EUR)
        out[f"azione:{a.codice}"] = f"$D${r}"
        ws.row_dimensions[r].height = 15 * max(1, -(-len(a.titolo) // 40))

    # per category
    r += 2
    _section(ws, r, "Per categoria")
    r += 1
    _head(ws, r, ["Categoria", "", "Budget totale attuale", "Rendicontato", "Residuo"])
    for c in cfg.categorie:
        r += 1
        _cell(ws, r, 1, c.nome, wrap=True)
        _cell(ws, r, 2, None)
        _cell(ws, r, 3, f"=SUMIFS($E${first}:$E${last},$B${first}:$B${last},$A{r})", FMT_EUR)
        _cell(ws, r, 4, f"=SUMIFS($F${first}:$F${last},$B${first}:$B${last},$A{r})", FMT_EUR)
        _cell(ws, r, 5, f"=C{r}-D{r}", FMT_EUR)
        out[f"categoria:{c.codice}"] = f"$D${r}"
        ws.row_dimensions[r].height = 30 if len(c.nome) > 32 else 15

    # co-financing
    r += 2
    _section(ws, r, "Cofinanziamento")
    # addin.rules.cofinancing.tariffa_volontari: the programme's planned lowest grade, else the dated
    # table rate of the year; a fixed value, never computed from the rows
    cap = tariffa_volontari(cfg, d.anno, d.prog.codice)
    rows: list[tuple[str, object, str | None, str]] = []
    r += 1
    rows.append(("Tariffa oraria massima del volontariato", float(cap.valore), FMT_EUR, "tariffa"))
    rows.append(("Fonte della tariffa", cap.fonte, None, "fonte"))
    # addin.rules.cofinancing.con_monetario_realizzato: the monetary co-financing is derived (reported −
    # contribution, on the Tranche sheet, written by build_template); the declared rows only for comparison
    rows.append(("Cofinanziamento monetario", None, FMT_EUR, "monetario"))
    rows.append(("Cofinanziamento monetario dichiarato",
                 f"=ROUND(SUMIFS({co_val},{co_tipo},{_text(S.TIPI_COFIN['MONETARIO'])}),2)", FMT_EUR,
                 "monetario_dichiarato"))
    for key, label in (("non_monetario", S.TIPI_COFIN["NON_MONETARIO"]), ("volontariato", S.TIPI_COFIN["VOLONTARIATO"])):
        rows.append((f"Cofinanziamento {label.lower()}", f"=ROUND(SUMIFS({co_val},{co_tipo},{_text(label)}),2)",
                     FMT_EUR, key))
    for i, (label, value, fmt, key) in enumerate(rows):
        _cell(ws, r + i, 1, label, bold=True)
        c = _cell(ws, r + i, 2, value, fmt)
        if fmt is None:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[r + i].height = 30
        out[key] = f"$B${r + i}"
    _name(wb, N_TARIFFA, S.RIEPILOGO, out["tariffa"])
    r += len(rows)
    mon, nonm, vol = out["monetario"], out["non_monetario"], out["volontariato"]
    if cfg.cofinanziamento.base == "costo_totale":
        base_label = "Base: costo totale (rendicontato + non monetario + volontariato)"
        base_f = f"=ROUND({out['rendicontato']}+{nonm}+{vol},2)"
    else:   # the contribution due (Tranche sheet), written by build_template
        base_label = "Base: contributo comunale spettante"
        base_f = None
    q = float(cfg.cofinanziamento.quota_minima)
    more = [
        ("Totale cofinanziamento", f"={mon}+{nonm}+{vol}", FMT_EUR, "cofin_totale"),
        (base_label, base_f, FMT_EUR, "base"),
    ]
    for i, (label, value, fmt, key) in enumerate(more):
        _cell(ws, r + i, 1, label, bold=True, wrap=True)
        _cell(ws, r + i, 2, value, fmt)
        out[key] = f"$B${r + i}"
    ws.row_dimensions[r + 1].height = 30
    r += len(more)
    tot, base = out["cofin_totale"], out["base"]
    more = [
        ("Quota di cofinanziamento", f"=IF({base}=0,0,{tot}/{base})", FMT_PCT, "quota"),
        ("Quota minima", q, FMT_PCT, "quota_minima"),
        # addin.rules.cofinancing.cofinanziamento_minimo_comunale: on the total-cost base the co-financing is
        # part of the base, so the minimum is q / (1 − q) × the municipal part (base − co-financing)
        ("Cofinanziamento minimo", f"=ROUND(ROUND({base}-{tot},2)*B{r + 1}/(1-B{r + 1}),2)"
         if cfg.cofinanziamento.base == "costo_totale" else f"=ROUND({base}*B{r + 1},2)", FMT_EUR, "minimo"),
        ("Quota minima rispettata", f'=IF({tot}>=B{r + 2},"SI","NO")', None, "rispettato"),
        ("Cofinanziamento mancante", f"=MAX(0,B{r + 2}-{tot})", FMT_EUR, "mancante"),
    ]
    for i, (label, value, fmt, key) in enumerate(more):
        _cell(ws, r + i, 1, label, bold=True)
        _cell(ws, r + i, 2, value, fmt).alignment = Alignment(horizontal="right")
        out[key] = f"$B${r + i}"
    level = "vincolante" if cfg.cofinanziamento.livello_vincolante == "programma" else "indicativa"
    r += len(more)
    ws.cell(r, 1, f"A livello di programma la quota è {level}; è vincolante a livello "
            f"{'di ATS' if cfg.cofinanziamento.livello_vincolante == 'ats' else 'di programma'}.").font = F_NOTE
    ws.conditional_formatting.add(out["rispettato"].replace("$", ""),
                                  FormulaRule(formula=[f'{out["rispettato"]}="NO"'], fill=FILL_BAD))
    _print_setup(ws)
    _protect(ws)
    return out


# --- Tranche ----------------------------------------------------------------------------------------

def _tranche(wb: Workbook, d: Dati, rp: dict[str, str]) -> dict[str, str]:
    ws = wb.create_sheet(S.TRANCHE)
    cfg = d.config
    _title(ws, f"Tranche {d.anno} - Programma {d.programma}: {d.prog.nome}",
           "Piano di erogazione del contributo comunale e stima del saldo sul rendicontato "
           "(riduzione proporzionale alla realizzazione).")
    for k, v in {"A": 52, "B": 30, "C": 12, "D": 14, "E": 18}.items():
        ws.column_dimensions[k].width = v
    R = lambda key: f"{_sq(S.RIEPILOGO)}!{rp[key]}"  # noqa: E731
    out: dict[str, str] = {}
    r = 4
    _section(ws, r, "Piano delle tranche")
    r += 1
    _head(ws, r, ["Tranche", "Descrizione", "Quota", "Scadenza", "Importo"])
    first = r + 1
    plan = piano_tranche(cfg, d.anno, d.prog.budget_anno(d.anno).comunale)
    for t in plan:
        r += 1
        _cell(ws, r, 1, f"Tranche {t.numero}")
        _cell(ws, r, 2, t.descrizione)
        _cell(ws, r, 3, float(t.quota), FMT_PCT)
        _cell(ws, r, 4, t.scadenza, FMT_DATE)
        # addin.rules.tranches.piano_tranche: advances rounded to cents, the balance is the rest
        f = f"=ROUND({N_CONTRIBUTO}-SUM(E{first}:E{r - 1}),2)" if t.saldo else f"=ROUND({N_CONTRIBUTO}*C{r},2)"
        _cell(ws, r, 5, f, FMT_EUR)
        out[f"tranche:{t.numero}"] = f"$E${r}"
    advances = [out[f"tranche:{t.numero}"] for t in plan if not t.saldo]
    r += 1
    _cell(ws, r, 1, "Totale", bold=True, fill=FILL_TOTAL)
    for j in (2, 3, 4):
        _cell(ws, r, j, None, fill=FILL_TOTAL)
    _cell(ws, r, 5, f"=SUM(E{first}:E{r - 1})", FMT_EUR, bold=True, fill=FILL_TOTAL)

    r += 2
    _section(ws, r, "Liquidazione stimata sul rendicontato")
    r += 1
    _head(ws, r, ["Voce", "Calcolo", "", "", "Importo"])
    rows = [
        ("contributo", "Contributo comunale previsto", "dal budget del programma", f"={N_CONTRIBUTO}", FMT_EUR),
        ("previsto", "Valore previsto", "contributo + cofinanziamento previsti", f"={R('previsto')}", FMT_EUR),
        ("rendicontato", "Spese rendicontate", "foglio Spese", f"={R('rendicontato')}", FMT_EUR),
        ("valorizzato", "Cofinanziamento non monetario e volontariato", "foglio Cofinanziamento",
         f"={R('non_monetario')}+{R('volontariato')}", FMT_EUR),
        ("realizzato", "Valore realizzato", "spese + non monetario + volontariato", None, FMT_EUR),
        ("percentuale", "Percentuale di realizzazione", "realizzato / previsto, al massimo 100%", None, FMT_PCT),
        ("proporzionale", "Contributo proporzionale", "contributo × percentuale", None, FMT_EUR),
        ("limite", "Limite di spesa", "spese rendicontate: il contributo non le supera", None, FMT_EUR),
        ("finale", "Contributo spettante", "il minore tra proporzionale e limite", None, FMT_EUR),
        ("monetario", "Cofinanziamento monetario", "spese rendicontate - contributo spettante", None, FMT_EUR),
        ("riduzione", "Riduzione", "previsto - spettante", None, FMT_EUR),
        ("anticipi", "Anticipi (tranche anticipate)", "piano delle tranche", None, FMT_EUR),
        ("saldo", "Saldo", "spettante - anticipi (negativo: da recuperare)", None, FMT_EUR),
        ("saldo_erogare", "Saldo da erogare", "", None, FMT_EUR),
        ("recuperare", "Importo da recuperare", "", None, FMT_EUR),
    ]
    addr = {key: f"$E${r + 1 + i}" for i, (key, *_rest) in enumerate(rows)}
    # addin.rules.tranches.liquidazione
    formulas = {
        "realizzato": f"=ROUND({addr['rendicontato']}+{addr['valorizzato']},2)",
        "percentuale": f"=MAX(0,MIN(1,IF(ROUND({addr['previsto']},2)=0,0,"
                       f"ROUND({addr['realizzato']},2)/ROUND({addr['previsto']},2))))",
        "proporzionale": f"=ROUND({addr['contributo']}*{addr['percentuale']},2)",
        "limite": f"=MAX(0,ROUND({addr['rendicontato']},2))",
        "finale": f"=MIN({addr['proporzionale']},{addr['limite']})",
        "monetario": f"=MAX(0,ROUND({addr['limite']}-{addr['finale']},2))",
        "riduzione": f"={addr['contributo']}-{addr['finale']}",
        "anticipi": "=" + "+".join(advances),
        "saldo": f"={addr['finale']}-{addr['anticipi']}",
        "saldo_erogare": f"=MAX(0,{addr['saldo']})",
        "recuperare": f"=MAX(0,-{addr['saldo']})",
    }
    for key, label, how, f, fmt in rows:
        r += 1
        strong = key in ("finale", "saldo", "recuperare")
        fill = FILL_TOTAL if strong else None
        _cell(ws, r, 1, label, bold=strong, fill=fill)
        _cell(ws, r, 2, how, fill=fill)
        ws.cell(r, 2).font = F_NOTE
        _cell(ws, r, 3, None, fill=fill)
        _cell(ws, r, 4, None, fill=fill)
        _cell(ws, r, 5, f if f is not None else formulas[key], fmt, bold=strong, fill=fill)
        out[key] = addr[key]
    ws.conditional_formatting.add(addr["recuperare"].replace("$", ""),
                                  FormulaRule(formula=[f"{addr['recuperare']}>0"], fill=FILL_BAD))
    r += 2
    ws.cell(r, 1, "Stima sui dati inseriti: il contributo definitivo dipende dalla verifica del Comune "
            "(spese ammesse).").font = F_NOTE
    _print_setup(ws)
    _protect(ws)
    return out


# --- Istruzioni -----------------------------------------------------------------------------------------

def _para(ws: Worksheet, r: int, text: str, *, font: Font | None = None, chars_per_line: int = 150) -> int:
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
    c = ws.cell(r, 1, text)
    c.alignment = WRAP
    if font is not None:
        c.font = font
    ws.row_dimensions[r].height = 15 * max(1, -(-len(text) // chars_per_line))
    return r + 1


def _valori_provvisori(ws: Worksheet, r: int, d: Dati) -> int:
    """The [D] values (our defaults, not fixed by the Comune's presentation), each with its value: all
    provisional until the Progetto definitivo."""
    cfg = d.config
    b = d.prog.budget_anno(d.anno)
    _section(ws, r, "Valori provvisori [D]")
    r += 1
    r = _para(ws, r, "I valori marcati [D] non sono fissati dalla presentazione del Comune: sono valori predefiniti "
              "della prassi, PROVVISORI fino all'approvazione del Progetto definitivo, e possono cambiare.",
              font=F_BOLD)
    scadenze = ", ".join(f"{t.scadenza[3:]}/{t.scadenza[:2]}" for t in cfg.tranche if not t.saldo)
    cash = ("pagamenti in contanti non ammessi" if cfg.limiti.contanti_massimo <= 0
            else f"contanti ammessi fino a {fmt_eur(cfg.limiti.contanti_massimo)} per spesa")
    base = "costo totale (contributo comunale + cofinanziamento)" if cfg.cofinanziamento.base == "costo_totale" \
        else "contributo comunale"
    decisive = ("per competenza (data del documento; personale: mese di competenza), pagamento entro il blocco"
                if cfg.regole.data_decisiva == "competenza" else "per data di pagamento")
    items = [
        f"[D] Budget {d.anno} del programma: comunale {fmt_eur(b.comunale)}, cofinanziamento "
        f"{fmt_eur(b.cofinanziamento)} (la presentazione dà una cifra per programma, letta come annuale).",
        f"[D] Anno e finestra di una spesa: {decisive}.",
        "[D] Documentazione richiesta per tipologia di spesa (tabella sotto).",
        f"[D] Spese generali fino al {fmt_pct(cfg.limiti.spese_generali_quota)} dei costi diretti ammessi; {cash}.",
        f"[D] Personale: tolleranza tra ore × costo orario e importo {fmt_eur(cfg.regole.tolleranza_personale)}; "
        f"al massimo {cfg.limiti.ore_mese_massime.normalize():f} ore per persona al mese (tutti i programmi).",
        f"[D] Base del {fmt_pct(cfg.cofinanziamento.quota_minima)} di cofinanziamento: {base}.",
        f"[D] Valore orario massimo del volontariato, se il programma non indica l'inquadramento più basso: "
        f"{fmt_eur(tariffa_tabellare(cfg, d.anno).valore)} l'ora.",
        f"[D] Scadenze delle tranche «entro giugno / novembre»: {scadenze}.",
        f"[D] Osservazioni dell'ATS entro {cfg.regole.giorni_osservazioni} giorni dalla comunicazione del Comune; "
        f"conservazione della documentazione per {cfg.regole.anni_conservazione} anni.",
    ]
    for text in items:
        r = _para(ws, r, text)
    return r


def _istruzioni(wb: Workbook, d: Dati) -> None:
    ws = wb.active
    ws.title = S.ISTRUZIONI
    cfg, prog = d.config, d.prog
    for k, v in {"A": 30, "B": 40, "C": 40, "D": 40, "E": 22}.items():
        ws.column_dimensions[k].width = v
    _title(ws, f"Rendicontazione {d.anno} - Programma {prog.codice}: {prog.nome}", f"{cfg.nome}")
    r = 3
    r = _para(ws, r, f"Ente: {cfg.ente}. ATS: {cfg.ats} (capofila {cfg.capofila.nome}). Azioni del programma: "
              + "; ".join(f"{a.codice} {a.titolo}" for a in prog.azioni) + ".")
    r += 1
    r = _valori_provvisori(ws, r, d)
    r += 1
    _section(ws, r, "Come compilare")
    r += 1
    tol = fmt_eur(cfg.regole.tolleranza_personale)
    steps = [
        f"1. Foglio «{S.SPESE}»: una riga per ogni spesa, dalla riga {FIRST_ROW} (la tabella è già predisposta per "
        f"{RIGHE_SPESE} righe). Scegli Azione (solo le azioni di questo programma), Partner, Categoria, Modalità "
        "di pagamento e i campi SI/NO dagli elenchi; passando sulla colonna compare un suggerimento. Se servono "
        "più righe: Revisione > Rimuovi protezione foglio, scrivi sotto l'ultima riga della tabella (la tabella "
        "si allarga da sola) e poi Revisione > Proteggi foglio.",
        "2. Date nel formato gg/mm/aaaa; importi in euro con i centesimi. L'Importo rendicontato è la quota del "
        "documento imputata al programma e non può superare l'Importo documento. Indica nell'importo rendicontato "
        "l'eventuale IVA detraibile (recuperabile) nella colonna «IVA detraibile» e la parte della spesa pagata da "
        "altri contributi (altri enti, bandi, fondi) in «Altri contributi sulla spesa»: non sono ammesse. Gli "
        f"acquisti da un altro componente dell'ATS sono segnalati al {cfg.ente}, che decide.",
        f"3. Personale (interno o esterno): indica Persona, Ore e Costo orario; ore × costo orario deve "
        f"corrispondere all'importo rendicontato (tolleranza {tol}). Per i cedolini e gli F24 indica il Mese di "
        "competenza (mm/aaaa), il mese cui si riferiscono.",
        "4. Documentazione: Doc. giustificativo, Doc. conservata e Doc. trasmessa (SI/NO) e la Data di "
        "trasmissione al Comune. La documentazione non trasmessa entro il blocco della finestra esclude la spesa.",
        f"5. Le colonne Decisione Comune e Motivazione Comune sono riservate al {cfg.ente}. Esito, Importo ammesso "
        "e Motivi sono scritti dai pulsanti Valida/Verifica del componente aggiuntivo: le righe con esito diverso "
        "da AMMESSA sono evidenziate in rosso.",
        f"6. Foglio «{S.COFINANZIAMENTO}»: risorse non monetarie (logistiche, strumentali, "
        "organizzative, umane e professionali, valorizzate economicamente) e ore di volontariato. Per il "
        "volontariato scrivi le ore in «Ore o quantità» e il valore orario: il Valore è calcolato al massimo alla "
        f"tariffa del foglio «{S.RIEPILOGO}». Per ogni voce non monetaria e di volontariato indica la Data "
        "(gg/mm/aaaa) in cui la risorsa è stata messa a disposizione o le ore sono state svolte (per un mese "
        "intero il primo giorno del mese): la data colloca la voce in una finestra, e la voce viene bloccata con "
        "quella finestra come le spese. Una voce senza data non è conteggiata finché non la completi (al più "
        "tardi entro il blocco dell'ultima finestra dell'anno, poi è esclusa); una data fuori dall'anno la "
        "esclude. Il cofinanziamento monetario si ricava dalle spese (spese meno contributo): le righe "
        "«Monetario» servono solo al riscontro e non hanno bisogno di data.",
        f"7. Foglio «{S.BUDGET}»: per ogni azione e categoria gli importi iniziali e le variazioni di luglio e "
        "novembre concordate in Cabina di regia; le colonne «attuale» sono calcolate.",
        f"8. I fogli «{S.RIEPILOGO}» e «{S.TRANCHE}» si calcolano da soli. I fogli sono protetti senza password "
        "per evitare di cancellare le formule per errore (Revisione > Rimuovi protezione foglio).",
        ("9. Pagamenti in contanti non ammessi." if cfg.limiti.contanti_massimo <= 0 else
         f"9. Pagamenti in contanti ammessi fino a {fmt_eur(cfg.limiti.contanti_massimo)} per spesa.")
        + f" Conserva la documentazione per {cfg.regole.anni_conservazione} anni.",
    ]
    for s in steps:
        r = _para(ws, r, s)
    r += 1
    _section(ws, r, "Tipologie di spesa ammissibili e documentazione (documenti: [D], provvisori)")
    r += 1
    _head(ws, r, ["Categoria", "Documenti che provano la spesa", "Documenti da conservare agli atti",
                  "Documenti da trasmettere al Comune"])
    for c in cfg.categorie:
        r += 1
        lists = [c.documenti_prova, c.documenti_conservati, c.documenti_trasmessi]
        _cell(ws, r, 1, c.nome, bold=True, wrap=True)
        for j, docs in enumerate(lists, start=2):
            _cell(ws, r, j, "\n".join(f"- {x}" for x in docs), wrap=True)
        ws.row_dimensions[r].height = 15 * max(len(x) for x in lists) + 4
    r += 2
    r = _para(ws, r, "Costi non ammissibili: " + "; ".join(c.nome for c in cfg.costi_non_ammissibili) + ".")
    r += 1
    _section(ws, r, f"Finestre rendicontative {d.anno}")
    r += 1
    _head(ws, r, ["Finestra", "Spese sostenute dal", "al", "Blocco il"])
    for f in finestre_anno(cfg, d.anno):
        r += 1
        _cell(ws, r, 1, f.etichetta, FMT_TEXT)
        _cell(ws, r, 2, f.inizio, FMT_DATE)
        _cell(ws, r, 3, f.fine, FMT_DATE)
        _cell(ws, r, 4, f.blocco, FMT_DATE)
    r += 1
    if cfg.regole.data_decisiva == "pagamento":
        decisive = ("L'anno e la finestra di una spesa sono decisi dalla data di pagamento (altrimenti dalla data "
                    "del documento).")
    else:
        decisive = ("L'anno e la finestra di una spesa sono decisi dalla competenza: la data del documento; per il "
                    "personale il «Mese di competenza» del cedolino (se vuoto, la data del documento). Il pagamento "
                    "deve essere datato entro il blocco della finestra (es. cedolino di dicembre pagato a gennaio "
                    "entro il 31/01): dopo il blocco la spesa è esclusa.")
    r = _para(ws, r, f"{decisive} Dopo il blocco non si possono aggiungere né modificare spese della finestra.",
              font=F_NOTE)
    r += 1
    _section(ws, r, f"Erogazione del contributo {d.anno}")
    r += 1
    _head(ws, r, ["Tranche", "Descrizione", "Quota", "Scadenza", "Importo previsto"])
    for t in piano_tranche(cfg, d.anno, prog.budget_anno(d.anno).comunale):
        r += 1
        _cell(ws, r, 1, f"Tranche {t.numero}")
        _cell(ws, r, 2, t.descrizione)
        _cell(ws, r, 3, float(t.quota), FMT_PCT)
        _cell(ws, r, 4, t.scadenza, FMT_DATE)
        _cell(ws, r, 5, float(t.importo), FMT_EUR)
    r += 1
    r = _para(ws, r, "Una realizzazione parziale o una spesa rendicontata inferiore riducono il contributo in "
              f"proporzione (foglio «{S.TRANCHE}»).", font=F_NOTE)
    r += 1
    _section(ws, r, "Cofinanziamento e volontariato")
    r += 1
    cap = tariffa_volontari(cfg, d.anno, d.prog.codice)
    base = "del costo totale (contributo comunale + cofinanziamento)" if cfg.cofinanziamento.base == "costo_totale" \
        else "del contributo comunale"
    level = "dell'ATS" if cfg.cofinanziamento.livello_vincolante == "ats" else "del programma"
    qm = cfg.cofinanziamento.quota_minima
    minimum = (f", cioè almeno {fmt_pct(qm / (1 - qm))} del contributo comunale (il cofinanziamento fa parte "
               "del costo totale)" if cfg.cofinanziamento.base == "costo_totale" else "")
    r = _para(ws, r, f"Il cofinanziamento deve essere almeno il {fmt_pct(qm)} {base}{minimum}; "
              f"la quota è vincolante a livello {level} a fine anno (dopo il blocco dell'ultima finestra il "
              "contributo è ridotto quanto basta a riportarla al minimo), indicativa prima.")
    r = _para(ws, r, "Il cofinanziamento monetario non si dichiara: è la parte delle spese ammesse che il contributo "
              "comunale non paga (spese ammesse meno contributo dovuto). Le righe «Monetario» del foglio "
              "Cofinanziamento servono solo al riscontro: se differiscono di oltre 1 € il Comune lo segnala. "
              "Contributo dovuto = contributo previsto × valore realizzato / valore previsto (al massimo 100%), "
              "mai oltre le spese ammesse.")
    planned = d.prog.costo_orario_minimo_previsto is not None
    r = _para(ws, r, "Il volontariato è valorizzato solo come cofinanziamento non monetario, a un valore orario non "
              "superiore al costo orario dell'inquadramento più basso previsto dai programmi: "
              + (f"{fmt_eur(cap.valore)} l'ora ({cap.fonte})." if planned else
                 f"finché il Progetto definitivo non lo indica, {fmt_eur(cap.valore)} l'ora ({cap.fonte}), "
                 "valore provvisorio.")
              + " I costi orari delle righe di spesa non cambiano il valore massimo. Servono registro dei "
              "volontari, fogli presenze e assicurazione (art. 18 CTS).")
    _print_setup(ws)
    ws.page_setup.orientation = "landscape"
    ws.sheet_view.showGridLines = False
    _protect(ws)


# --- public API -----------------------------------------------------------------------------------------

def build_template(config: Config, programma: int, anno: int) -> Workbook:
    """The empty reporting workbook of one programme and year."""
    d = Dati(config, programma, anno)
    d.prog.budget_anno(anno)  # KeyError with an Italian message when the year has no budget
    wb = Workbook()
    _istruzioni(wb, d)
    _budget(wb, d)
    _spese(wb, d)
    _cofinanziamento(wb, d)
    rp = _riepilogo(wb, d)
    tr = _tranche(wb, d, rp)
    # Riepilogo figures that follow the contribution due (computed on the Tranche sheet from Riepilogo's
    # reported and valued amounts: no circular reference)
    rie = wb[S.RIEPILOGO]
    rie[rp["monetario"].replace("$", "")] = f"={_sq(S.TRANCHE)}!{tr['monetario']}"
    if config.cofinanziamento.base != "costo_totale":
        rie[rp["base"].replace("$", "")] = f"=ROUND({_sq(S.TRANCHE)}!{tr['finale']},2)"
    _meta(wb, d)
    _liste(wb, d)
    wb.active = 0
    fixed = dt.datetime(anno, 1, 1)
    wb.properties.creator = GENERATORE
    wb.properties.lastModifiedBy = GENERATORE
    wb.properties.title = f"Rendicontazione {anno} - Programma {programma}"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.calculation.fullCalcOnLoad = True
    return wb


_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise deterministically: openpyxl stamps the save time, so pin it and the zip dates."""
    raw = io.BytesIO()
    wb.save(raw)
    created = wb.properties.created or dt.datetime(2000, 1, 1)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"<dcterms:modified\1>" + stamp + rb"</dcterms:modified>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, data)
    return out.getvalue()


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Atomic write with the umask's permissions; the folder must exist (addin.output)."""
    from addin.output import scrivi_atomico

    return scrivi_atomico(path, lambda tmp: tmp.write_bytes(data), "il modello")


def save_template(config: Config, programma: int, anno: int, path: str | Path) -> Path:
    return write_bytes_atomic(path, workbook_bytes(build_template(config, programma, anno)))


def nome_file(programma: int, anno: int) -> str:
    return f"rendiconto_P{programma}_{anno}.xlsx"
