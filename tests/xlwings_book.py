"""Test helper of the add-in tests: the book JSON that xlwings' Office.js client sends for a real
xlsx workbook (see getBookData in xlwings_server/static/js/custom-scripts/index.js): values anchored
at A1 up to the last cell with a value, empty cells as "", dates as ISO strings ending in Z
(the client converts date-formatted cells so), formulas as their (here: not computed) empty value."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from openpyxl.utils import get_column_letter


def _cell(v: object) -> object:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00.000Z"
    if isinstance(v, str) and v.startswith("="):
        return ""  # a formula: openpyxl holds no computed value
    if hasattr(v, "text"):  # openpyxl ArrayFormula / rich objects
        return ""
    return v


def book_json(wb, name: str = "Programma.xlsx", active: int = 0, include: list[str] | None = None) -> dict:
    """`include`: the sheets whose values are sent (as the client does for @script(include=...))."""
    import xlwings as xw

    sheets = []
    for ws in wb.worksheets:
        last_r = last_c = 0
        for row in ws.iter_rows():
            for c in row:
                if c.value not in (None, ""):
                    last_r, last_c = max(last_r, c.row), max(last_c, c.column)
        values = [[_cell(v) for v in row] for row in ws.iter_rows(min_row=1, max_row=max(last_r, 1),
                                                                  max_col=max(last_c, 1), values_only=True)]
        if include is not None and ws.title not in include:
            values = [[]]
        tables = []
        for t in ws.tables.values():
            tables.append({"name": t.displayName, "range_address": t.ref, "columns": [c.name for c in t.tableColumns],
                           "show_headers": True, "show_totals": False})
        sheets.append({
            "name": ws.title,
            "visibility": {"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden"),
            "show_gridlines": True, "print_area": None, "notes": [], "notes_supported": True,
            "used_range_address": f"A1:{get_column_letter(last_c)}{last_r}" if last_r else None,
            "used_range_row_count": last_r, "used_range_column_count": last_c,
            "values": values, "pictures": [], "shapes": [], "charts": [], "tables": tables, "pivot_tables": [],
        })
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": name, "active_sheet_index": active, "selection": "A1", "calculation": "automatic"},
            "names": [], "sheets": sheets}


def actions(book_or_json, func: str | None = None) -> list[dict]:
    acts = (book_or_json.json() if hasattr(book_or_json, "json") else book_or_json)["actions"]
    return [a for a in acts if func is None or a["func"] == func]


def foglio_verifica(wb, acts: list[dict]):
    """The `Verifica` sheet as the officer sees it in Excel after the Verifica script: the setValues action
    holding the controller table (`acts`: the script's actions) written into a new sheet of `wb`.
    Returns the sheet, its columns by header (1-based) and a function giving the sheet row of a
    programme row (column «Riga»)."""
    [write] = [a for a in acts if a["func"] == "setValues" and a["start_row"] == 0
               and any(v and v[0] == "Riga" and "Tipologia errore" in v for v in a["values"])]
    ws = wb.create_sheet("Verifica")
    for i, row in enumerate(write["values"], start=1):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j).value = v
    head = next(i for i, v in enumerate(write["values"], start=1) if v and v[0] == "Riga" and "Tipologia errore" in v)
    cols = {v: j for j, v in enumerate(write["values"][head - 1], start=1)}

    def riga(n: int) -> int:
        return next(i for i in range(head + 1, ws.max_row + 1) if ws.cell(i, 1).value == n)

    return ws, cols, riga


def applica_valori(book: dict, acts: list[dict]) -> dict:
    """The book JSON the client would send next: the setValues actions written into its values (as
    Excel would), the sheets widened and lengthened as needed."""
    import copy

    book = copy.deepcopy(book)
    for a in acts:
        if a["func"] != "setValues":
            continue
        values = book["sheets"][a["sheet_position"]]["values"]
        for i, row in enumerate(a["values"]):
            r = a["start_row"] + i
            while len(values) <= r:
                values.append([""] * len(values[0]))
            need = a["start_column"] + len(row)
            if len(values[r]) < need:
                values[r] = values[r] + [""] * (need - len(values[r]))
            values[r][a["start_column"]:need] = row
        width = max(len(v) for v in values)
        for v in values:
            v += [""] * (width - len(v))
        sheet = book["sheets"][a["sheet_position"]]    # Excel's used range grows with the values
        rows = max((i + 1 for i, v in enumerate(values) if any(c not in (None, "") for c in v)), default=0)
        cols = max((j + 1 for v in values for j, c in enumerate(v) if c not in (None, "")), default=0)
        if rows:
            sheet["used_range_address"] = f"A1:{get_column_letter(cols)}{rows}"
            sheet["used_range_row_count"], sheet["used_range_column_count"] = rows, cols
    return book


class _Pagina(HTMLParser):
    """lang of <html>, the <title> text, the text of the overlay shown when Office does not start."""

    def __init__(self) -> None:
        super().__init__()
        self.lang, self.title, self.overlay, self._in, self._depth = None, "", "", None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title":
            self._in = "title"
        if a.get("id") == "xlwings-office-ready-error":
            self._in, self._depth = "overlay", 0
        if self._in == "overlay" and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "title" and self._in == "title":
            self._in = None
        if self._in == "overlay" and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "overlay":
            self.overlay += data


def pagina(html: str) -> _Pagina:
    p = _Pagina()
    p.feed(html)
    return p
