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


def _seriale(v):
    """A date as Excel holds it (serial number) from the ISO text the client sends."""
    import datetime as dt
    import re

    if isinstance(v, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$", v):
        d = dt.datetime.strptime(v[:19], "%Y-%m-%dT%H:%M:%S") - dt.datetime(1899, 12, 30)
        x = d.total_seconds() / 86400
        return int(x) if x == int(x) else x
    return v


BYTE_BLOCCO = 750_000   # static/js/rendiconta.js, BYTE_BLOCCO and PRIME_RIGHE
PRIME_RIGHE = 64


def blocchi_lettura(values: list[list], fmt=None, byte_blocco: int = BYTE_BLOCCO, prime: int = PRIME_RIGHE) -> list[int]:
    """Bytes of each Excel response when the task pane reads a sheet in blocks of rows (leggiFogli in
    static/js/rendiconta.js, whose block sizing this follows; tests/js proves the function itself): each
    block's values (dates as serials) and number formats. `fmt`: (row, column) -> format, 1-based."""
    per_riga = [(byte_json([_seriale(v) for v in r]),
                 byte_json([(fmt(i, j) if fmt else None) or "General" for j in range(1, len(r) + 1)]))
                for i, r in enumerate(values, start=1)]
    out, r, n = [], 0, prime
    while r < len(per_riga):
        k = max(1, min(n, len(per_riga) - r))
        rows = per_riga[r:r + k]
        b = sum(v + f for v, f in rows) + 2 * (k - 1) + 4   # commas between rows, brackets of both matrices
        if b > LIMITE_WEB and k > 1:
            n = k // 2
            continue
        out.append(b)
        r += k
        n = max(1, min(2 * k, int(byte_blocco // max(1, b / k))))
    return out


def richiesta_a_blocchi(book: dict, grandi: list[str], formati: dict[str, object], args: list | None = None,
                        meta: str = "_meta") -> tuple[dict, list[int]]:
    """The request the task pane sends now (static/js/main.js, eseguiScript) for the state `book` (book
    JSON with every sheet's values): xlwings' book data with only `_meta`'s values, the `grandi` sheets'
    values and their tables' rows as the script's last argument; and the bytes of every Excel response it
    took: getBookData of `_meta` (values and formats, one request) and each block of the large sheets."""
    import copy

    from openpyxl.utils.cell import range_boundaries

    out = copy.deepcopy(book)
    griglie, tabelle, letture = {}, {}, []
    for sheet in out["sheets"]:
        if sheet["name"] in grandi and sheet["values"] != [[]]:
            griglie[sheet["name"]] = sheet["values"]
            tabelle[sheet["name"]] = [[range_boundaries(t["range_address"])[1], range_boundaries(t["range_address"])[3]]
                                      for t in sheet.get("tables", [])]
            letture += blocchi_lettura(sheet["values"], formati.get(sheet["name"]))
        if sheet["name"] != meta:
            sheet["values"] = [[]]
    letture.insert(0, lettura_excel(out, formati))
    out["args"] = [*(args or []), {"griglie": griglie, "tabelle": tabelle}]
    return out, letture


def lettura_excel(book: dict, formati: dict[str, object]) -> int:
    """Bytes of what Excel on the web returns to xlwings' getBookData in ONE request: for every sheet sent,
    the values of its used range (dates as serial numbers: the client converts them afterwards) and the
    number format of every cell (`.load("values, numberFormat")`). `formati`: sheet -> function
    (row, column) -> number format (1-based), "General" when missing."""
    total = 0
    for sheet in book["sheets"]:
        values = sheet["values"]
        if values == [[]]:
            continue
        fmt = formati.get(sheet["name"])
        total += byte_json([[_seriale(v) for v in r] for r in values])
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
