"""Test and benchmark helper: sizes of what the add-in moves, against Excel on the web's 5 MB a request or
response (docs/addin.md, «Limite di Excel per il web»), on the book JSON of tests/xlwings_book.py."""

from __future__ import annotations


LIMITE_WEB = 5 * 1024 * 1024


def byte_json(x: object) -> int:
    """Bytes of `x` as the task pane sends it (JSON.stringify: no spaces, UTF-8, non-ASCII unescaped)."""
    import json

    return len(json.dumps(x, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def taglia(values: list[list]) -> list[list]:
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
        sheet["values"] = taglia(values)
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
