"""Writer of the Cabina di regia report: a workbook laid out for print (A4 landscape, one page wide,
wrapped text with rows LibreOffice and Excel size themselves) with native charts, and its PDF/A."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from addin.workbook import schema as S
from addin.workbook.consolidation import (_ATS_FILL, _BOLD, FIRST_DATA_ROW, HEADER_ROW, _grafico_budget, _grafico_quota,
                                          _head, _put)
from addin.workbook.triennio import _LATE_FILL, salva_atomico

if TYPE_CHECKING:
    from addin.casi.cabina import ReportCabina

SHEET_RELAZIONE = "Relazione"
SHEET_OSSERVAZIONI = "Osservazioni"
SHEET_TRANCHE = "Tranche"
SHEET_ATTI = "Atti del Comune"
SHEET_ANOMALIE = "Anomalie"
SHEET_GRAFICI = "Grafici"
_WRAP = Alignment(wrap_text=True, vertical="top")

RELAZIONE_COLS = [("Programma", 12), ("Budget approvato", 14), ("Rendicontato nel periodo", 14),
                  ("Ammesso nel periodo", 14), ("Uso del budget", 10), ("Da integrare", 13), ("Non ammesso", 13),
                  ("Cofinanziamento realizzato nell'anno", 17), ("Quota cofin. nell'anno", 10), ("Quota minima", 9),
                  ("Tranche dovute nel periodo", 14), ("Tranche pagate", 15), ("Tranche da pagare", 14),
                  ("Tranche in ritardo", 9), ("Atti del Comune", 9), ("Anomalie", 9)]


def _relazione(wb: Workbook, rep: ReportCabina, ente: str) -> int:
    ws = wb.active
    ws.title = SHEET_RELAZIONE
    per = rep.periodo
    _head(ws, f"{per.titolo}: {ente}, Cabina di regia",
          f"Periodo {per.inizio:%d/%m/%Y} - {per.fine:%d/%m/%Y}, da trasmettere entro il {per.scadenza:%d/%m/%Y}. "
          f"Dati al {rep.data_riferimento:%d/%m/%Y}: spese del periodo secondo la verifica, budget approvato "
          "con le variazioni della Cabina di regia, pagamenti registrati dal Comune.", RELAZIONE_COLS)
    ws.cell(row=2, column=1).alignment = Alignment(wrap_text=False)
    rows = rep.righe + [rep.ats]
    for i, x in enumerate(rows):
        n = FIRST_DATA_ROW + i
        vals = [(x.codice, "text"), (x.budget_totale, "money"), (x.rendicontato, "money"), (x.ammesso, "money"),
                (x.uso_budget, "pct"), (x.da_integrare, "money"), (x.non_ammesso, "money"),
                (x.cofinanziamento, "money"), (x.quota_cofinanziamento, "pct"), (rep.quota_minima, "pct"),
                (x.tranche_previsto, "money"), (x.tranche_pagato, "money"), (x.tranche_da_pagare, "money"),
                (x.tranche_ritardo, "int"), (sum(x.atti.values()), "int"), (x.anomalie, "int")]
        for j, (v, kind) in enumerate(vals, start=1):
            c = _put(ws, n, j, v, kind)
            if x.programma is None:
                c.font, c.fill = _BOLD, _ATS_FILL
            elif j == 14 and x.tranche_ritardo:
                c.fill = _LATE_FILL
    # the programmes' names under the table (the table keeps narrow codes to fit the page)
    n = FIRST_DATA_ROW + len(rows) + 1
    ws.cell(row=n, column=1, value="Programmi").font = _BOLD
    for k, x in enumerate(rep.righe, start=1):
        _put(ws, n + k, 1, x.codice)
        _put(ws, n + k, 2, f"{x.nome} ({x.file} file)")
    ws.print_area = f"A1:{get_column_letter(len(RELAZIONE_COLS))}{n + len(rep.righe)}"
    return len(rep.righe)


def _lista(wb: Workbook, name: str, title: str, note: str, cols: list[tuple[str, int]], rows: list[list],
           late: list[bool] | None = None) -> None:
    ws = wb.create_sheet(name)
    _head(ws, title, note, cols)
    for i, vals in enumerate(rows):
        n = FIRST_DATA_ROW + i
        lines = 1
        for j, (v, kind) in enumerate(vals, start=1):
            c = _put(ws, n, j, v, kind)
            if kind == "text":
                c.alignment = _WRAP
                lines = max(lines, _righe_testo(str(v or ""), cols[j - 1][1]))
            if late and late[i]:
                c.fill = _LATE_FILL
        # LibreOffice does not size rows of an xlsx to their wrapped text: give the height explicitly
        ws.row_dimensions[n].height = 15 * lines
    if not rows:
        _put(ws, FIRST_DATA_ROW, 1, "Nessuna voce nel periodo.")


def _righe_testo(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (words are not split)."""
    per_line = max(1, int(width * 0.95) - 1)
    lines, used = 1, 0
    for word in text.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= per_line:
            used = need
        else:
            lines += 1 + (len(word) - 1) // per_line
            used = len(word) % per_line or per_line
    return lines


def _grafici(wb: Workbook, nprog: int) -> None:
    src = wb[SHEET_RELAZIONE]
    ws = wb.create_sheet(SHEET_GRAFICI)
    ws.cell(row=1, column=1, value="Grafici").font = Font(bold=True, size=14)
    last = FIRST_DATA_ROW + nprog - 1
    cats = Reference(src, min_col=1, min_row=FIRST_DATA_ROW, max_row=last)

    rows = (HEADER_ROW, last)

    def bars(title: str, cols: list[int]) -> BarChart:
        ch = _grafico_budget(src, cats, cols, rows)
        ch.title, ch.y_axis.numFmt = title, "#,##0"
        return ch

    for chart, anchor in ((bars("Budget approvato e spesa ammessa nel periodo", [2, 4]), "A3"),
                          (_grafico_quota(src, cats, [9], 10, rows, "Quota di cofinanziamento (linea: minimo)"), "A21"),
                          (bars("Tranche dovute e pagate", [11, 12]), "A39")):
        chart.height, chart.width = 8.5, 24
        ws.add_chart(chart, anchor)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.row_breaks.append(Break(id=37))
    ws.print_area = "A1:P74"


def build_cabina_workbook(rep: ReportCabina, ente: str) -> Workbook:
    wb = Workbook()
    nprog = _relazione(wb, rep, ente)
    _lista(wb, SHEET_OSSERVAZIONI, f"{rep.periodo.titolo}: osservazioni",
           "Punti di attenzione per la Cabina di regia, dai dati del periodo.", [("Osservazione", 110)],
           [[(t, "text")] for t in rep.osservazioni])
    _lista(wb, SHEET_TRANCHE, f"{rep.periodo.titolo}: tranche",
           "Previsto, pagato e da pagare per tranche; in ritardo: pagata dopo la scadenza o scaduta e non pagata.",
           [("Programma", 12), ("Tranche", 9), ("Scadenza", 12), ("Previsto", 15), ("Compensato", 14),
            ("Pagato", 15), ("Da pagare", 15), ("Stato", 26), ("Pagamenti", 60)],
           [[(f"P{p}", "text"), (t.numero, "int"), (t.scadenza, "date"), (t.previsto, "money"),
             (t.compensato, "money"), (t.pagato, "money"), (t.da_pagare, "money"), (t.stato, "text"),
             ("; ".join(f"{x.data:%d/%m/%Y}" + (f" mandato {x.mandato}" if x.mandato else "")
                        + (" (in ritardo)" if x.data > t.scadenza else "") for x in t.pagamenti), "text")]
            for p, t in rep.tranche],
           [t.in_ritardo for _, t in rep.tranche])
    _lista(wb, SHEET_ATTI, f"{rep.periodo.titolo}: atti del Comune",
           "Decisioni, avvisi, osservazioni dell'ATS e campioni estratti registrati nel periodo.",
           [("Programma", 12), ("Data", 12), ("Atto", 16), ("Descrizione", 120)],
           [[(f"P{a.programma}", "text"), (a.data, "date"), (a.tipo, "text"), (a.testo, "text")] for a in rep.atti])
    _lista(wb, SHEET_ANOMALIE, f"{rep.periodo.titolo}: anomalie",
           "Anomalie del consolidato dell'anno e doppi finanziamenti tra anni.",
           [("Programma", 12), ("Tipo", 26), ("Gravità", 12), ("Descrizione", 110)],
           [[(f"P{p}" if p else "ATS", "text"), (k, "text"), (g, "text"), (d, "text")] for p, k, g, d in rep.anomalie])
    _grafici(wb, nprog)
    ws = wb.create_sheet(S.META)
    for i, (k, v) in enumerate([("chiave", "valore"), (S.META_ANNO, str(rep.periodo.anno)),
                                (S.META_TIPO, f"cabina_{rep.periodo.tipo}"),
                                (S.META_GENERATORE, "rendiconta (cabina di regia)"),
                                ("data_riferimento", rep.data_riferimento.isoformat())], start=1):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v)
    ws.sheet_state = "hidden"
    wb.active = 0
    return wb


def scrivi_cabina(rep: ReportCabina, path: str | Path, ente: str, *, pdf: str | Path | None = None) -> list[Path]:
    """Write the workbook (atomically) and, when asked, its PDF/A. Returns the files written."""
    out = [salva_atomico(build_cabina_workbook(rep, ente), path)]
    if pdf is not None:
        from addin.documenti.pdfa import esporta_pdfa

        out.append(esporta_pdfa(out[0], pdf))
    return out
