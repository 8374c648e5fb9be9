"""Writer of the consolidated workbook (capofila) with openpyxl, native Excel charts included.

Sheets: Programmi, Azioni, Partner, Anomalie, Spese, Grafici and the hidden `_meta`.

Every sheet is built with openpyxl, except the rows of `Spese`: with six programmes of 10,000 rows
openpyxl needs over 10 s for them, so the sheet is laid out by openpyxl (title, header, styles,
filter, a sample row) and its rows are then streamed as worksheet XML straight into the saved
package, reusing the style ids openpyxl gave the sample row. Strings are written as inline strings,
so text coming from the input workbooks is always text, never a formula. The file is written to a
temporary file in the destination folder and renamed over the destination (atomic).
"""

from __future__ import annotations

import datetime as dt
from copy import copy
import io
import queue
import re
import threading
import zipfile
from collections.abc import Iterator, Sequence
from operator import attrgetter
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from addin.config.models import Config
from addin.errors import ErroreOutput
from addin.output import scrivi_atomico
from addin.rules.money import fmt_eur, money
from addin.workbook import schema as S

if TYPE_CHECKING:
    from collections.abc import Mapping

    from addin.casi.consolida import RigaProgramma, RisultatoConsolidato
    from addin.rules.payments import SituazionePagamenti

MONEY_FMT = "#,##0.00"
PCT_FMT = "0.00%"
DATE_FMT = "DD/MM/YYYY"
HEADER_ROW = 3          # as in the programme workbooks: title, note, header, data from row 4
FIRST_DATA_ROW = HEADER_ROW + 1
_BOLD = Font(name="Calibri", bold=True)
_TITLE = Font(name="Calibri", bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_ATS_FILL = PatternFill("solid", fgColor="FFF2CC")
_LATE_FILL = PatternFill("solid", fgColor="F8CBAD")
_GENERATOR = "rendiconta (consolidamento)"

# columns of the Programmi sheet: (header, attribute getter, kind, width)
_PROG_STATIC = [
    ("Programma", "codice", "text", 11), ("Nome", "nome", "text", 40), ("File", "file", "text", 30),
    ("Budget comunale", "budget_comunale", "money", 15), ("Budget cofinanziamento", "budget_cofin", "money", 15),
    ("Budget totale", "budget_totale", "money", 15), ("Quota cofin. prevista", "quota_prevista", "pct", 12),
    ("Rendicontato", "rendicontato", "money", 15), ("Ammesso", "ammesso", "money", 15),
    ("Non ammesso", "non_ammesso", "money", 15), ("di cui da integrare", "da_integrare", "money", 15),
    ("di cui escluso", "escluso", "money", 15),
    ("Cofin. monetario (ammesso − contributo)", "cofin_monetario", "money", 15),
    ("Cofin. monetario dichiarato", "cofin_monetario_dichiarato", "money", 15),
    ("Cofin. non monetario", "cofin_non_monetario", "money", 15),
    ("Volontariato", "cofin_volontariato", "money", 15), ("Cofinanziamento realizzato", "cofin_totale", "money", 15),
    ("Quota cofin. realizzata", "quota_realizzata", "pct", 12), ("Quota minima", "quota_minima", "pct", 10),
    ("Esito quota", "esito_quota", "text", 22), ("Cofin. mancante", "cofin_mancante", "money", 15),
]
_PROG_TAIL = [
    ("Contributo dovuto", "contributo_finale", "money", 15), ("Saldo", "saldo", "money", 15),
    ("Riduzione quota 10%", "riduzione_quota", "money", 15),
    ("Saldo dopo la riduzione", "saldo_dopo_riduzione", "money", 15),
    ("Doppio finanziamento", "doppio_finanziamento", "money", 15),
    ("Ore oltre il massimo", "ore_eccedenti", "money", 15), ("Righe", "righe", "int", 9),
]

SPESE_PREFIX = ("File", "Programma", "Riga")
SPESE_SUFFIX = ("Esito", "Importo ammesso", "Motivi")


def _safe_text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:32767]


def _put(ws, row: int, col: int, value, kind: str = "text"):
    """Write one cell; strings always as text (never a formula), money rounded to cents."""
    c = ws.cell(row=row, column=col)
    if value is None:
        return c
    if isinstance(value, Decimal):
        value = float(money(value)) if kind == "money" else float(value)
    if isinstance(value, str):
        c.value = _safe_text(value)
        c.data_type = "s"
    else:
        c.value = value
    if kind == "money":
        c.number_format = MONEY_FMT
    elif kind == "pct":
        c.number_format = PCT_FMT
    elif kind == "date":
        c.number_format = DATE_FMT
    return c


def _head(ws, title: str, note: str, headers: Sequence[tuple[str, int]]) -> None:
    ws.cell(row=1, column=1, value=title).font = _TITLE
    ws.cell(row=2, column=1, value=note).font = Font(name="Calibri", italic=True)
    for j, (h, w) in enumerate(headers, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=h)
        c.font = _BOLD
        c.fill = _HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _pagine(ws, title)


def _pagine(ws, title: str) -> None:
    """What every printed page says: the sheet's title, the sheet name, page n of N."""
    ws.oddHeader.left.text = title.replace("&", "&&")
    ws.oddHeader.left.size = 8
    ws.oddHeader.right.text = "&A"
    ws.oddHeader.right.size = 8
    ws.oddFooter.right.text = "Pagina &P di &N"
    ws.oddFooter.right.size = 8
    ws.page_margins.top = 0.7


def _altezza_righe(ws, first: int, last: int, widths: dict[int, float]) -> None:
    """Row heights for wrapped text columns (neither Excel nor LibreOffice fits them on open)."""
    from addin.workbook.report import righe_testo

    for n in range(first, last + 1):
        lines = 1
        for col, width in widths.items():
            v = ws.cell(row=n, column=col).value
            if isinstance(v, str):
                lines = max(lines, righe_testo(v, width))
        if lines > 1:
            ws.row_dimensions[n].height = 15 * lines + 2


def _prog_value(r: "RigaProgramma", key: str, config: Config):
    if key == "file":
        return ", ".join(Path(f).name for f in r.file) if r.file else ("Nessun file" if r.programma else "")
    if key == "quota_prevista":
        return r.quota_budget.quota if r.quota_budget else None
    if key == "quota_realizzata":
        return r.quota.quota if (r.quota and r.presente) else None
    if key == "quota_minima":
        return config.cofinanziamento.quota_minima
    if key == "esito_quota":
        if not r.presente or r.quota is None:
            return "nessun dato"
        level = ("indicativa" if not r.vincolante else
                 "vincolante" if r.riduzione_quota is not None else "vincolante a fine anno")
        return f"{'rispettata' if r.quota.rispettato else 'NON rispettata'} ({level})"
    if key == "cofin_mancante":
        return r.quota.mancante if (r.quota and r.presente) else None
    if key.startswith("cofin_"):
        return getattr(r.cofin, key.removeprefix("cofin_"))
    if key in ("contributo_finale", "saldo"):
        return getattr(r.liquidazione, key) if (r.liquidazione and r.presente) else None
    return getattr(r, key)


def _programmi(wb: Workbook, r: "RisultatoConsolidato", config: Config) -> tuple[int, dict[str, int]]:
    ws = wb.active
    ws.title = S.CONS_PROGRAMMI
    ntr = len(r.ats.anticipi)
    tranche_cols = [(f"Tranche {i + 1} ({config.tranche[i].quota * 100:.0f}%)", f"tranche{i}", "money", 15)
                    for i in range(ntr)]
    win_cols = [(f"Ammesso finestra {f.etichetta} ({f.stato.lower()})", f"fin{n}", "money", 15)
                for n, f in enumerate(r.finestre, start=1)]
    cols = _PROG_STATIC + tranche_cols + _PROG_TAIL + win_cols
    stato = "; ".join(f"finestra {f.etichetta} {f.stato} (blocco {f.blocco:%d/%m/%Y})" for f in r.finestre)
    _head(ws, f"Consolidato {r.anno}: programmi dell'ATS {config.ats}",
          f"Data di riferimento {r.data_riferimento:%d/%m/%Y}. Stato delle finestre: {stato}. "
          f"Cofinanziamento: vincolante il livello "
          f"{'ATS' if config.cofinanziamento.livello_vincolante == 'ats' else 'programma'}, "
          "indicativo l'altro.", [(h, w) for h, _, _, w in cols])
    rows = r.programmi + [r.ats]
    for i, row in enumerate(rows):
        n = FIRST_DATA_ROW + i
        for j, (_, key, kind, _) in enumerate(cols, start=1):
            if key.startswith("tranche"):
                k = int(key.removeprefix("tranche"))
                v = row.anticipi[k] if k < len(row.anticipi) else None
            elif key.startswith("fin"):
                v = row.ammesso_finestra.get(int(key.removeprefix("fin")), Decimal(0)) if row.presente else None
            else:
                v = _prog_value(row, key, config)
            c = _put(ws, n, j, v, kind)
            if row.programma is None:
                c.font = _BOLD
                c.fill = _ATS_FILL
    ws.auto_filter.ref = None
    # 28 columns do not fit one page width: three pages across, programme code and name on each
    ws.page_setup.fitToWidth = 3
    ws.page_setup.pageOrder = "overThenDown"
    ws.print_title_cols = "A:B"
    ws.column_dimensions["C"].width = 24
    for j, (_, key, kind, _) in enumerate(cols, start=1):
        if kind == "text":
            for n in range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows)):
                ws.cell(row=n, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    _altezza_righe(ws, FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1,
                   {j: w for j, (_, _, kind, w) in enumerate(cols, start=1) if kind == "text"})
    index = {key: j for j, (_, key, _, _) in enumerate(cols, start=1)}
    return len(r.programmi), index


def _azioni(wb: Workbook, r: "RisultatoConsolidato") -> None:
    ws = wb.create_sheet(S.CONS_AZIONI)
    cols = [("Programma", 11), ("Azione", 9), ("Titolo azione", 44), ("Categoria", 30), ("Budget comunale", 15),
            ("Budget cofinanziamento", 15), ("Budget totale", 15), ("Rendicontato", 15), ("Ammesso", 15),
            ("Residuo", 15), ("Oltre il budget", 10)]
    _head(ws, f"Consolidato {r.anno}: programma × azione × categoria",
          "Budget attuale dal foglio Budget dei file (con le variazioni di luglio e novembre); "
          "ammesso secondo la verifica.", cols)
    for i, a in enumerate(r.azioni):
        n = FIRST_DATA_ROW + i
        vals = [(f"P{a.programma}", "text"), (a.azione, "text"), (a.titolo, "text"), (a.categoria, "text"),
                (a.budget_comunale, "money"), (a.budget_cofin, "money"), (a.budget_totale, "money"),
                (a.rendicontato, "money"), (a.ammesso, "money"), (a.residuo, "money"),
                (S.SI if a.ammesso > a.budget_totale else "", "text")]
        for j, (v, kind) in enumerate(vals, start=1):
            _put(ws, n, j, v, kind)
    if r.azioni:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{FIRST_DATA_ROW + len(r.azioni) - 1}"


def _partner(wb: Workbook, r: "RisultatoConsolidato", config: Config) -> None:
    ws = wb.create_sheet(S.CONS_PARTNER)
    progs = [p.codice for p in config.programmi]
    cols = ([("Partner", 32), ("Componente ATS", 10), ("Capofila", 9)]
            + [(f"Ammesso P{p}", 14) for p in progs]
            + [("Rendicontato", 15), ("Ammesso", 15), ("Non ammesso", 15), ("Cofinanziamento dichiarato", 15), ("Righe", 9)])
    _head(ws, f"Consolidato {r.anno}: partner nei programmi",
          "Spese rendicontate e ammesse di ogni partner in ogni programma; cofinanziamento valorizzato.", cols)
    n = FIRST_DATA_ROW
    for p in r.partner:
        vals = ([(p.partner, "text"), (S.SI if p.nell_ats else S.NO, "text"), (S.SI if p.capofila else "", "text")]
                + [(p.ammesso_programma.get(k, Decimal(0)), "money") for k in progs]
                + [(p.rendicontato, "money"), (p.ammesso, "money"), (p.rendicontato - p.ammesso, "money"),
                   (p.cofinanziamento, "money"), (p.righe, "int")])
        for j, (v, kind) in enumerate(vals, start=1):
            _put(ws, n, j, v, kind)
        n += 1
    tot = ([("Totale", "text"), ("", "text"), ("", "text")]
           + [(sum((p.ammesso_programma.get(k, Decimal(0)) for p in r.partner), Decimal(0)), "money") for k in progs]
           + [(sum((p.rendicontato for p in r.partner), Decimal(0)), "money"),
              (sum((p.ammesso for p in r.partner), Decimal(0)), "money"),
              (sum((p.rendicontato - p.ammesso for p in r.partner), Decimal(0)), "money"),
              (sum((p.cofinanziamento for p in r.partner), Decimal(0)), "money"),
              (sum(p.righe for p in r.partner), "int")])
    for j, (v, kind) in enumerate(tot, start=1):
        c = _put(ws, n, j, v, kind)
        c.font = _BOLD
        c.fill = _ATS_FILL


_SEVERITY = {"Bloccante": 0, "Attenzione": 1, "Informazione": 2}


def _anomalie(wb: Workbook, r: "RisultatoConsolidato") -> None:
    ws = wb.create_sheet(S.CONS_ANOMALIE)
    cols = [("N.", 6), ("Tipo", 22), ("Gravità", 12), ("Programma", 11), ("File", 26), ("Riga", 7),
            ("Fornitore", 20), ("N. documento", 14), ("Importo", 13), ("Gruppo", 8), ("Descrizione", 70)]
    _head(ws, f"Consolidato {r.anno}: anomalie",
          f"{len(r.anomalie)} anomalie. «Gruppo» unisce i luoghi in cui compare lo stesso documento "
          "(doppio finanziamento); «Importo» è l'eccedenza oltre il 100% del documento su quella riga.", cols)
    ordered = sorted(r.anomalie, key=lambda a: _SEVERITY.get(a.gravita, 9))
    # perf: thousands of anomalies; openpyxl hashes every new Alignment to find its style, so each kind's
    # style is made once and copied (cell._style, openpyxl's own way of copying a style)
    stili: dict[tuple[str, bool], object] = {}
    for i, a in enumerate(ordered):
        n = FIRST_DATA_ROW + i
        vals = [(i + 1, "int"), (a.tipo, "text"), (a.gravita, "text"),
                (f"P{a.programma}" if a.programma is not None else "", "text"),
                (a.file or "", "text"), (a.riga, "int"), (a.fornitore, "text"), (a.numero_documento, "text"),
                (a.importo, "money"), (a.gruppo, "int"), (a.descrizione, "text")]
        for j, (v, kind) in enumerate(vals, start=1):
            c = _put(ws, n, j, v, kind)
            stile = stili.get((kind, v is None))
            if stile is None:
                c.alignment = Alignment(wrap_text=kind == "text", vertical="top")
                stili[(kind, v is None)] = copy(c._style)
            else:
                c._style = copy(stile)
    _altezza_righe(ws, FIRST_DATA_ROW, FIRST_DATA_ROW + len(ordered) - 1,
                   {j: w for j, (h, w) in enumerate(cols, start=1) if h in ("Tipo", "File", "Fornitore", "Descrizione")})
    if ordered:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{FIRST_DATA_ROW + len(ordered) - 1}"


def _campione(wb: Workbook, r: "RisultatoConsolidato") -> None:
    """The personnel audit sample of every programme: drawn among its persons across all its workbooks."""
    ws = wb.create_sheet(S.CONS_CAMPIONE)
    cols = [("Programma", 11), ("Semestre", 10), ("Seme", 17), ("Origine del seme", 44), ("Persone", 10),
            ("Estratte", 10), ("Persona", 30), ("Righe (file: riga)", 60)]
    provisional = any(c.provvisorio for cs in r.campioni.values() for c in cs)
    _head(ws, f"Consolidato {r.anno}: campione del personale",
          "Fino al 10% delle persone distinte del programma nel semestre (tutti i partner e tutti i file). "
          + ("CAMPIONE PROVVISORIO: senza seme del Comune né chiave del Comune l'estrazione non è riproducibile."
             if provisional else ""), cols)
    n = FIRST_DATA_ROW
    for p, cs in r.campioni.items():
        for c in cs:
            head = [(f"P{p}", "text"), (f"{c.semestre}/{c.anno}", "text"), (str(c.seme), "text"),
                    (c.descrizione_seme(), "text"), (c.persone, "int"), (c.dimensione, "int")]
            for person in c.estratti or [None]:
                where = ", ".join(f"{Path(f).name or 'file'}: {k}" for f, k in c.posizioni.get(person, []))
                for j, (v, kind) in enumerate(head + [(person, "text"), (where, "text")], start=1):
                    _put(ws, n, j, v, kind)
                n += 1


def _spese_cols() -> list[tuple[str, str, str, float]]:
    """(header, Spesa attribute or special key, kind, width) of the consolidated Spese sheet."""
    cols: list[tuple[str, str, str, float]] = [("File", "_file", "text", 24), ("Programma", "_prog", "text", 10),
                                               ("Riga", "_riga", "int", 7)]
    for c in S.input_cols(S.SPESE_COLS):
        cols.append((c.header, c.key, c.kind, c.width))
    cols += [("Esito", "_esito", "text", 14), ("Importo ammesso", "_ammesso", "money", 14),
             ("Motivi", "_motivi", "text", 60)]
    return cols


def _spese_layout(wb: Workbook, r: "RisultatoConsolidato") -> list[tuple[str, str, str, float]]:
    ws = wb.create_sheet(S.CONS_SPESE)
    cols = _spese_cols()
    _head(ws, f"Consolidato {r.anno}: tutte le spese",
          f"{r.righe_spese} righe dai file dei programmi, con esito e importo ammesso della verifica del "
          f"{r.data_riferimento:%d/%m/%Y}. «Riga» è la riga del foglio Spese del file di origine.",
          [(h, w) for h, _, _, w in cols])
    return cols


def _grafici(wb: Workbook, r: "RisultatoConsolidato", nprog: int, index: dict[str, int]) -> None:
    src = wb[S.CONS_PROGRAMMI]
    ws = wb.create_sheet(S.CONS_GRAFICI)
    ws.cell(row=1, column=1, value=f"Consolidato {r.anno}: grafici").font = _TITLE
    first, last = FIRST_DATA_ROW, FIRST_DATA_ROW + nprog - 1
    cats = Reference(src, min_col=index["codice"], min_row=first, max_row=last)

    rows = (HEADER_ROW, last)
    bar = _grafico_budget(src, cats, [index["budget_totale"], index["ammesso"]], rows)
    bar.y_axis.title = "Euro"
    bar.y_axis.numFmt = MONEY_FMT
    bar.height, bar.width = 9, 18
    ws.add_chart(bar, "A3")
    share = _grafico_quota(src, cats, [index["quota_prevista"], index["quota_realizzata"]], index["quota_minima"],
                           rows, "Quota di cofinanziamento per programma (minimo 10%)")
    share.y_axis.title = "Quota"
    share.height, share.width = 9, 18
    ws.add_chart(share, "A23")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.print_area = "A1:L42"
    _pagine(ws, f"Consolidato {r.anno}: grafici")


_CRUSCOTTO_COLS = [("Programma", 11), ("Nome", 30), ("Budget totale", 14), ("Ammesso", 14), ("% speso", 8),
                   ("Quota cofin.", 9), ("Minimo", 8), ("Esito quota", 15), ("Tranche 1", 13), ("Tranche 2", 13),
                   ("Saldo", 14), ("Anomalie bloccanti", 10), ("Anomalie attenzione", 10), ("Altre anomalie", 10),
                   ("Pagato (registro)", 14), ("Tranche in ritardo", 12)]


def _pagato_cruscotto(r: "RisultatoConsolidato", row: "RigaProgramma") -> tuple[Decimal | None, str | None]:
    """Paid so far and the late tranches ("2", "1, 2"; "nessuna") of a programme, or the ATS's sum and its
    late programmes; (None, None) without the register."""
    sits = [x.pagamenti for x in (r.programmi if row.programma is None else [row]) if x.pagamenti is not None]
    if not sits:
        return None, None
    if row.programma is None:
        late = [f"P{s.programma}" for s in sits if s.in_ritardo]
    else:
        late = [str(t.numero) for t in sits[0].in_ritardo]
    return sum((s.pagato for s in sits), Decimal(0)), ", ".join(late) or "nessuna"



def cruscotto(ws, r: "RisultatoConsolidato", config: Config) -> None:
    """The capofila's one-page dashboard (A4 landscape): per programme budget, admitted, % spent,
    co-financing share against the minimum, tranches and balance, anomalies by severity, two charts."""
    from collections import Counter

    ws.title = S.CONS_CRUSCOTTO
    minimum = config.cofinanziamento.quota_minima
    _head(ws, f"Cruscotto {r.anno} dell'ATS {config.ats} al {r.data_riferimento:%d/%m/%Y}",
          f"Ammesso secondo la verifica; cofinanziamento minimo {minimum * 100:.0f}%, vincolante per "
          f"{'l ATS' if config.cofinanziamento.livello_vincolante == 'ats' else 'ciascun programma'}"
          .replace("l ATS", "l'ATS") + f"; {len(r.anomalie)} anomalie nel foglio «Anomalie»."
          + (" Pagamenti dal registro (foglio «Tranche»); ad anno chiuso Saldo = contributo dovuto − pagato."
             if any(x.pagamenti is not None for x in r.programmi) else ""), _CRUSCOTTO_COLS)
    ws.freeze_panes = None
    ws.print_title_rows = None
    counts: dict[tuple[int | None, str], int] = Counter((a.programma, a.gravita) for a in r.anomalie)
    rows = r.programmi + [r.ats]
    last = FIRST_DATA_ROW + len(rows) - 1
    for i, row in enumerate(rows):
        n = FIRST_DATA_ROW + i
        ats = row.programma is None
        spent = (row.ammesso / row.budget_totale) if row.budget_totale else None
        quota = row.quota.quota if (row.quota and row.presente) else None
        if quota is None:
            esito = "nessun dato"
        else:
            esito = ("rispettata" if row.quota.rispettato else "NON rispettata") + \
                (" (vincolante)" if row.vincolante else " (indicativa)")
        anticipi = list(row.anticipi) + [None, None]
        saldo = row.liquidazione.saldo if (row.liquidazione and row.presente) else None
        if row.pagamenti is not None and row.pagamenti.saldo is not None:
            saldo = row.pagamenti.saldo      # the register's payments: contribution due − paid

        def count(level: str) -> int:
            if ats:
                return sum(v for (p, g), v in counts.items() if g == level)
            return counts.get((row.programma, level), 0)

        vals = [(row.codice, "text"), (row.nome, "text"), (row.budget_totale, "money"), (row.ammesso, "money"),
                (spent, "pct"), (quota, "pct"), (minimum, "pct"), (esito, "text"), (anticipi[0], "money"),
                (anticipi[1], "money"), (saldo, "money"), (count("Bloccante"), "int"), (count("Attenzione"), "int"),
                (sum(count(g) for g in ("Informazione",)), "int")]
        pagato, late = _pagato_cruscotto(r, row)
        vals += [(pagato, "money"), (late, "text")]
        for j, (v, kind) in enumerate(vals, start=1):
            c = _put(ws, n, j, v, kind)
            c.alignment = Alignment(wrap_text=kind == "text", vertical="top")
            if ats:
                c.font = _BOLD
                c.fill = _ATS_FILL
            if j == 8 and quota is not None and not row.quota.rispettato:
                c.font = Font(name="Calibri", bold=True, color="C00000")
            if j == 12 and v:
                c.font = Font(name="Calibri", bold=True, color="C00000")
            if j == 16 and late not in (None, "nessuna"):
                c.fill = _LATE_FILL
    _altezza_righe(ws, FIRST_DATA_ROW, last, {2: 30, 8: 15})
    nprog = len(r.programmi)
    cats = Reference(ws, min_col=1, min_row=FIRST_DATA_ROW, max_row=FIRST_DATA_ROW + nprog - 1)
    rows = (HEADER_ROW, FIRST_DATA_ROW + nprog - 1)
    bar = _grafico_budget(ws, cats, [3, 4], rows)
    bar.y_axis.numFmt = "#,##0"
    bar.height, bar.width = 10.5, 15.5
    anchor = last + 2
    ws.add_chart(bar, f"A{anchor}")
    share = _grafico_quota(ws, cats, [6], 7, rows, f"Quota di cofinanziamento (minimo {minimum * 100:.0f}%)")
    share.height, share.width = 10.5, 15.5
    ws.add_chart(share, f"G{anchor}")
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.print_area = f"A1:{get_column_letter(len(_CRUSCOTTO_COLS))}{anchor + 22}"
    ws.print_options.horizontalCentered = True


_TRANCHE_COLS = [("Programma", 11), ("Anno", 8), ("Tranche", 26), ("Scadenza", 12), ("Previsto", 16),
                  ("Compensato", 14), ("Pagato", 16), ("Da pagare", 16), ("Stato", 22), ("In ritardo", 10),
                  ("Pagamenti (data, importo, mandato)", 60)]


def foglio_tranche(ws, pagamenti: "Mapping[tuple[int, int], SituazionePagamenti]", nota: str = "") -> None:
    """The `Tranche` sheet (yearly and three-year consolidation): per programme and year, each tranche
    planned, paid and due side by side, late payments marked in red."""
    _head(ws, "Tranche: previsto, pagato e da pagare",
          "Pagamenti registrati dal Comune. In ritardo: pagamento dopo la scadenza, o scaduta e non pagata. "
          "Il saldo previsto è il contributo definitivo meno gli anticipi pagati." + (f" {nota}" if nota else ""),
          _TRANCHE_COLS)
    n = FIRST_DATA_ROW
    for (prog, anno), s in sorted(pagamenti.items()):
        for t in s.tranche:
            pays = "; ".join(f"{p.data:%d/%m/%Y} {fmt_eur(p.importo)}" + (f" mandato {p.mandato}" if p.mandato else "")
                             + (" (in ritardo)" if p.data > t.scadenza else "") for p in t.pagamenti)
            vals = [(f"P{prog}", "text"), (anno, "int"), (f"{t.numero} - {t.descrizione}", "text"),
                    (t.scadenza, "date"), (t.previsto, "money"), (t.compensato, "money"), (t.pagato, "money"),
                    (t.da_pagare, "money"), (t.stato, "text"), (S.SI if t.in_ritardo else "", "text"),
                    (pays, "text")]
            for j, (v, kind) in enumerate(vals, start=1):
                c = _put(ws, n, j, v, kind)
                if t.in_ritardo:
                    c.fill = _LATE_FILL
            n += 1
        for p in s.fuori_piano:
            _put(ws, n, 1, f"P{prog}")
            _put(ws, n, 2, anno, "int")
            _put(ws, n, 3, f"{p.tranche} - tranche non configurata")
            _put(ws, n, 7, p.importo, "money")
            _put(ws, n, 11, f"{p.data:%d/%m/%Y} {fmt_eur(p.importo)}")
            n += 1
    if n > FIRST_DATA_ROW:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(_TRANCHE_COLS))}{n - 1}"


def _tranche(wb: Workbook, r: "RisultatoConsolidato") -> None:
    """The yearly consolidation's `Tranche` sheet: the register's payments of each programme (none
    without the register: the sheet says so)."""
    sit = {(row.programma, r.anno): row.pagamenti for row in r.programmi if row.pagamenti is not None}
    consulted = any(row.pagamenti is not None for row in r.programmi)
    foglio_tranche(wb.create_sheet(S.CONS_TRANCHE), sit,
                   "" if consulted else "Registro non consultato (--senza-registro): pagamenti non disponibili.")


def _grafico_budget(src, cats: Reference, cols: list[int], rows: tuple[int, int]) -> BarChart:
    """Budget and admitted per programme, as clustered columns (series titles from the header row)."""
    bar = BarChart()
    bar.type, bar.grouping = "col", "clustered"
    bar.title = "Budget e ammesso per programma"
    for col in cols:
        bar.add_data(Reference(src, min_col=col, min_row=rows[0], max_row=rows[1]), titles_from_data=True)
    bar.set_categories(cats)
    bar.legend.position = "b"
    return bar


def _grafico_quota(src, cats: Reference, cols: list[int], minimum_col: int, rows: tuple[int, int],
                   title: str) -> BarChart:
    """Co-financing shares as columns, the minimum as a red line."""
    share = BarChart()
    share.type = "col"
    share.title = title
    share.y_axis.numFmt = "0%"
    for col in cols:
        share.add_data(Reference(src, min_col=col, min_row=rows[0], max_row=rows[1]), titles_from_data=True)
    share.set_categories(cats)
    line = LineChart()
    line.add_data(Reference(src, min_col=minimum_col, min_row=rows[0], max_row=rows[1]), titles_from_data=True)
    line.set_categories(cats)
    line.series[0].graphicalProperties.line.solidFill = "C00000"
    line.series[0].graphicalProperties.line.width = 28575
    share += line
    share.legend.position = "b"
    return share


def _meta(wb: Workbook, r: "RisultatoConsolidato") -> None:
    ws = wb.create_sheet(S.META)
    rows = [("chiave", "valore"), (S.META_PROGRAMMA, ""), (S.META_ANNO, str(r.anno)),
            (S.META_VERSIONE, S.SCHEMA_VERSION), (S.META_TIPO, S.TIPO_CONSOLIDATO),
            (S.META_GENERATORE, _GENERATOR), ("data_riferimento", r.data_riferimento.isoformat())]
    rows += [(f"file.{i + 1}", f.path) for i, f in enumerate(r.fonti)]
    for i, (k, v) in enumerate(rows, start=1):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v)
    ws.sheet_state = "hidden"


def build_workbook(r: "RisultatoConsolidato", config: Config) -> tuple[Workbook, list]:
    """Every sheet but the rows of Spese (see `scrivi_consolidato`)."""
    wb = Workbook()
    nprog, index = _programmi(wb, r, config)
    _azioni(wb, r)
    _partner(wb, r, config)
    _anomalie(wb, r)
    _campione(wb, r)
    _tranche(wb, r)
    cols = _spese_layout(wb, r)
    _grafici(wb, r, nprog, index)
    cruscotto(wb.create_sheet(S.CONS_CRUSCOTTO, 0), r, config)
    _meta(wb, r)
    wb.active = 0
    return wb, cols


# --- the Spese rows as streamed worksheet XML -------------------------------------------------------------

_SHEET_RE = re.compile(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL_RE = re.compile(r'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|'
                     r'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def _esc(s: str) -> str:
    s = ILLEGAL_CHARACTERS_RE.sub("", s)[:32767]
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if s[:1].isspace() or s[-1:].isspace():
        return f'<t xml:space="preserve">{s}</t>'
    return f"<t>{s}</t>"


def _sheet_part(z: zipfile.ZipFile, name: str) -> str:
    wbxml = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = next(m.group(2) for m in _SHEET_RE.finditer(wbxml) if m.group(1) == name)
    for m in _REL_RE.finditer(rels):
        i, t = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if i == rid:
            t = t.lstrip("/")
            return t if t.startswith("xl/") else "xl/" + t
    raise KeyError(name)


_SST = "xl/sharedStrings.xml"
_SST_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" '
             b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_SST_REL = (b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'sharedStrings" Target="sharedStrings.xml" Id="rIdRendicontaSst"/>')


class _SharedStrings:
    """The workbook's shared-string table, extended with the strings of the streamed rows."""

    _COUNT_RE = re.compile(r'(<sst\b[^>]*?)\s(?:count|uniqueCount)="\d+"')

    def __init__(self, xml: str | None) -> None:
        self.xml = xml or ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>')
        self.base = len(re.findall(r"<si>", self.xml)) + len(re.findall(r"<si/>", self.xml))
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def get(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = self.base + len(self.items)
            self.items.append(f"<si>{_esc(s)}</si>")
        return i

    def render(self) -> bytes:
        xml = self.xml
        while self._COUNT_RE.search(xml):
            xml = self._COUNT_RE.sub(r"\1", xml, count=1)
        total = self.base + len(self.items)
        if xml.rstrip().endswith("/>") and "</sst>" not in xml:        # empty table written as <sst .../>
            xml = xml.rstrip()[:-2] + "></sst>"
        head, _, _ = xml.rpartition("</sst>")
        head = re.sub(r"<sst\b", f'<sst uniqueCount="{total}"', head, count=1)
        return (head + "".join(self.items) + "</sst>").encode("utf-8")


def _row_iter(r: "RisultatoConsolidato", cols, styles: dict[str, str], sst: _SharedStrings) -> Iterator[str]:
    """The <row> elements of the Spese sheet. Strings go to the shared-string table (never formulas)."""
    letters = [get_column_letter(j) for j in range(1, len(cols) + 1)]
    s_money, s_date, s_num = styles["money"], styles["date"], styles["number"]
    spesa_keys = [key for _, key, _, _ in cols if not key.startswith("_")]
    special = [key for _, key, _, _ in cols if key.startswith("_")]
    if special != ["_file", "_prog", "_riga", "_esito", "_ammesso", "_motivi"] or \
            [key for _, key, _, _ in cols[3:-3]] != spesa_keys:
        raise AssertionError("unexpected layout of the Spese columns")
    get_vals = attrgetter(*spesa_keys)
    kinds = [kind for _, _, kind, _ in cols]
    money_cols = {L for L, kind in zip(letters, kinds) if kind == "money"}
    serial: dict[dt.date, int] = {}
    index = sst.index
    sst_get = sst.get
    date_cls, datetime_cls, dec_cls, str_cls = dt.date, dt.datetime, Decimal, str
    n = FIRST_DATA_ROW
    for f in r.fonti:
        fname = Path(f.path).name
        prog = f"P{f.cartella.programma}"
        for s, e in zip(f.cartella.spese, f.esiti, strict=True):
            vals = (fname, prog, s.riga, *get_vals(s), e.esito.value, e.importo_ammesso,
                    "; ".join([m.messaggio for m in e.motivi]))
            rn = str(n)
            parts = [f'<row r="{rn}">']
            add = parts.append
            for L, v in zip(letters, vals):
                c = v.__class__
                if c is str_cls:
                    if v:
                        i = index.get(v)
                        if i is None:
                            i = sst_get(v)
                        add(f'<c r="{L}{rn}" t="s"><v>{i}</v></c>')
                elif c is dec_cls:
                    t = str(v)
                    if "E" in t:
                        t = f"{v:f}"
                    add(f'<c r="{L}{rn}" s="{s_money if L in money_cols else s_num}"><v>{t}</v></c>')
                elif v is None:
                    continue
                elif c is bool:
                    add(f'<c r="{L}{rn}" t="s"><v>{sst_get(S.SI if v else S.NO)}</v></c>')
                elif c is date_cls or c is datetime_cls:
                    k = serial.get(v)
                    if k is None:
                        k = serial[v] = S.excel_serial(v)
                    add(f'<c r="{L}{rn}" s="{s_date}"><v>{k}</v></c>')
                elif c is int or c is float:
                    add(f'<c r="{L}{rn}"><v>{v}</v></c>')
                else:
                    add(f'<c r="{L}{rn}" t="s"><v>{sst_get(str(v))}</v></c>')
            add("</row>")
            yield "".join(parts)
            n += 1


def _inject_spese(src: bytes, dest: Path, r: "RisultatoConsolidato", cols) -> None:
    zin = zipfile.ZipFile(io.BytesIO(src))
    part = _sheet_part(zin, S.CONS_SPESE)
    names = zin.namelist()
    has_sst = _SST in names
    sst = _SharedStrings(zin.read(_SST).decode("utf-8") if has_sst else None)
    xml = zin.read(part).decode("utf-8")
    sample = re.search(rf'<row r="{FIRST_DATA_ROW}"[^>]*>.*?</row>', xml, re.S)
    if sample is None:
        raise AssertionError("sample row missing")
    cells = dict(re.findall(r'<c r="([A-Z]+)\d+"[^>]*?s="(\d+)"', sample.group(0)))
    styles = {"money": cells["A"], "date": cells["B"], "number": cells["C"]}
    nrows = r.righe_spese
    last_row = FIRST_DATA_ROW + nrows - 1 if nrows else HEADER_ROW
    last_col = get_column_letter(len(cols))
    head, tail = xml[:sample.start()], xml[sample.end():]
    head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{last_col}{last_row}"', head, count=1)
    tail = re.sub(r'<autoFilter ref="[^"]*"', f'<autoFilter ref="A{HEADER_ROW}:{last_col}{last_row}"', tail,
                  count=1)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        with zout.open(part, "w", force_zip64=True) as fh:
            # zlib releases the GIL: compress and write in a second thread while the rows are built
            chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
            failure: list[BaseException] = []

            def drain() -> None:
                while (chunk := chunks.get()) is not None:
                    if not failure:
                        try:
                            fh.write(chunk)
                        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                            failure.append(exc)

            worker = threading.Thread(target=drain, name="consolidato-zip", daemon=True)
            worker.start()
            try:
                chunks.put(head.encode("utf-8"))
                buf: list[str] = []
                for row in _row_iter(r, cols, styles, sst):
                    buf.append(row)
                    if len(buf) >= 2000:
                        chunks.put("".join(buf).encode("utf-8"))
                        buf.clear()
                chunks.put("".join(buf).encode("utf-8"))
                chunks.put(tail.encode("utf-8"))
            finally:
                chunks.put(None)
                worker.join()
            if failure:
                raise failure[0]
        for info in zin.infolist():
            name = info.filename
            if name == part:
                continue
            data = zin.read(name)
            if name == _SST:
                data = sst.render()
            elif not has_sst and name == "[Content_Types].xml":
                data = data.replace(b"</Types>", _SST_TYPE + b"</Types>")
            elif not has_sst and name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", _SST_REL + b"</Relationships>")
            zout.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        if not has_sst:
            zout.writestr(_SST, sst.render(), compress_type=zipfile.ZIP_DEFLATED)


def scrivi_consolidato(r: "RisultatoConsolidato", path: str | Path, config: Config) -> Path:
    """Write the consolidated workbook atomically (temporary file in the same folder, then rename)."""
    dest = Path(path)
    if dest.suffix.lower() != ".xlsx":
        raise ErroreOutput(f"il file di uscita «{dest.name}» deve avere estensione .xlsx.")
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise ErroreOutput(f"la cartella di destinazione «{folder}» non esiste.")
    wb, cols = build_workbook(r, config)
    ws = wb[S.CONS_SPESE]
    # sample row: its cells give the style ids the streamed rows use; it is replaced by the real rows
    _put(ws, FIRST_DATA_ROW, 1, Decimal("0"), "money")
    _put(ws, FIRST_DATA_ROW, 2, dt.date(2000, 1, 1), "date")
    c = _put(ws, FIRST_DATA_ROW, 3, 0.5, "number")
    c.number_format = "0.##"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{FIRST_DATA_ROW}"
    buf = io.BytesIO()
    wb.save(buf)
    return scrivi_atomico(dest, lambda tmp: _inject_spese(buf.getvalue(), tmp, r, cols), "il consolidato")



def scrivi_cruscotto_pdf(r: "RisultatoConsolidato", config: Config, dest: str | Path) -> Path:
    """The dashboard alone, as a one-page PDF/A-2b (LibreOffice's exporter)."""
    import tempfile

    from addin.documenti.pdfa import esporta_pdfa

    wb = Workbook()
    cruscotto(wb.active, r, config)
    with tempfile.TemporaryDirectory(prefix="rendiconta_cruscotto_") as tmp:
        src = Path(tmp) / "cruscotto.xlsx"
        wb.save(src)
        return esporta_pdfa(src, dest)
