"""Test helper of the add-in tests: the book JSON that xlwings' Office.js client sends for a real
xlsx workbook (see getBookData in xlwings_server/static/js/custom-scripts/index.js): values anchored
at A1 up to the last cell with a value, empty cells as "", dates as ISO strings ending in Z
(the client converts date-formatted cells so), formulas as their (here: not computed) empty value."""

from __future__ import annotations

import datetime as dt

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


# --- sizes against Excel on the web's 5 MB (docs/addin.md, «Limite di Excel per il web») ---------------

LIMITE_WEB = 5 * 1024 * 1024


def byte_json(x: object) -> int:
    """Bytes of `x` as the task pane sends it (JSON.stringify: no spaces, UTF-8, non-ASCII unescaped)."""
    import json

    return len(json.dumps(x, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _taglia(values: list[list]) -> list[list]:
    """The matrix from A1 to the last cell holding a value (xlwings reads the values-only used range)."""
    rows = max((i + 1 for i, r in enumerate(values) if any(c not in (None, "") for c in r)), default=1)
    cols = max((j + 1 for r in values[:rows] for j, c in enumerate(r) if c not in (None, "")), default=1)
    return [list(r[:cols]) + [""] * (cols - len(r[:cols])) for r in values[:rows]]


def svuota_esiti(book: dict, foglio: str = "Spese") -> dict:
    """What the task pane's svuotaEsiti (static/js/rendiconta.js) does before Valida, Verifica and Blocca:
    Esito, Importo ammesso and Motivi emptied below the header; the values then end at the last used cell."""
    import copy

    book = copy.deepcopy(book)
    for sheet in book["sheets"]:
        values = sheet["values"]
        if sheet["name"] != foglio or values == [[]]:
            continue
        head = next((i for i, r in enumerate(values[:10]) if {"Esito", "Importo ammesso", "Motivi"} <= set(r)), None)
        if head is None:
            continue
        cols = [values[head].index(h) for h in ("Esito", "Importo ammesso", "Motivi")]
        for r in values[head + 1:]:
            for c in cols:
                if c < len(r):
                    r[c] = ""
        sheet["values"] = _taglia(values)
    return book


def solo_fogli(book: dict, include: list[str]) -> dict:
    """The request of a script declared with `include`: the other sheets travel without values."""
    import copy

    book = copy.deepcopy(book)
    for sheet in book["sheets"]:
        if sheet["name"] not in include:
            sheet["values"] = [[]]
    return book


def lettura_excel(book: dict, formati: dict[str, object]) -> int:
    """Bytes of what Excel on the web returns to xlwings' getBookData in ONE request: for every sheet sent,
    the values of its used range (dates as serial numbers: the client converts them afterwards) and the
    number format of every cell (`.load("values, numberFormat")`). `formati`: sheet -> function
    (row, column) -> number format (1-based), "General" when missing."""
    import datetime as dt
    import re

    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")

    def serial(v):
        if isinstance(v, str) and iso.match(v):
            d = dt.datetime.strptime(v[:19], "%Y-%m-%dT%H:%M:%S") - dt.datetime(1899, 12, 30)
            x = d.total_seconds() / 86400
            return int(x) if x == int(x) else x
        return v

    total = 0
    for sheet in book["sheets"]:
        values = sheet["values"]
        if values == [[]]:
            continue
        fmt = formati.get(sheet["name"])
        total += byte_json([[serial(v) for v in r] for r in values])
        total += byte_json([[(fmt(i, j) if fmt else None) or "General" for j in range(1, len(r) + 1)]
                            for i, r in enumerate(values, start=1)])
    return total


def formati_del_modello(wb) -> dict[str, object]:
    """Number formats of the programme sheets as a workbook filled in Excel holds them: the template's
    formats of the first data row repeat down the table (Excel extends a table's formats to new rows)."""
    out = {}
    for ws in wb.worksheets:
        first = {c: ws.cell(4, c).number_format for c in range(1, ws.max_column + 1)}
        top = {(r, c): ws.cell(r, c).number_format for r in range(1, 4) for c in range(1, ws.max_column + 1)}
        if ws.title == "_meta":
            out[ws.title] = lambda r, c: "@"
        else:
            out[ws.title] = (lambda top, first: lambda r, c: top.get((r, c)) if r < 4 else first.get(c))(top, first)
    return out


def scritture_excel(acts: list[dict]) -> int:
    """The largest single write request of a script's actions (each setValues is one Excel request; the
    formats of a script go in one callback request)."""
    return max([byte_json(a.get("values")) for a in acts if a["func"] == "setValues"]
               + [byte_json(a.get("args")) for a in acts if a["func"] == "runMacro"] + [0])
