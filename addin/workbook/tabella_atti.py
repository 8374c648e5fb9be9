"""Read a simple table of acts (payments made, approved budget variations) from a sheet the Comune's
officers fill: a header row with the expected Italian headers within the first rows, one act line per
row. Safe opening as for the programme workbooks; errors in Italian naming sheet, row and column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from addin.errors import ErroreInput
from addin.rules.lookup import norm
from addin.rules.money import to_decimal
from addin.workbook.reader import data_cella, leggi_griglie

HEADER_SCAN_ROWS = 10


@dataclass(frozen=True, slots=True)
class Colonna:
    chiave: str
    intestazione: str
    tipo: str                 # "text" | "int" | "date" | "money"
    obbligatoria: bool = True


def leggi_tabella(path: str | Path, foglio: str, colonne: Sequence[Colonna]) -> tuple[str, list[tuple[int, dict]]]:
    """The rows of the table: (sheet row number, {key: parsed value or None}). The sheet named `foglio`,
    else the first sheet. Empty rows are skipped; the first bad cell raises ErroreInput."""
    fname = Path(path).name
    grids, _ = leggi_griglie(path, (foglio,), primo=True)      # checked before parsing, read once
    sheet, grid = next(iter(grids.items()), (foglio, []))
    wanted = {norm(c.intestazione): c for c in colonne}
    for h, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        found = {wanted[norm(v)].chiave: j for j, v in enumerate(row) if isinstance(v, str) and norm(v) in wanted}
        if all(c.chiave in found for c in colonne if c.obbligatoria):
            break
    else:
        need = ", ".join(f"«{c.intestazione}»" for c in colonne if c.obbligatoria)
        raise ErroreInput(f"intestazione non trovata nelle prime {HEADER_SCAN_ROWS} righe: servono le colonne "
                          f"{need}.", file=fname, foglio=sheet)
    out: list[tuple[int, dict]] = []
    for i, row in enumerate(grid[h + 1:], start=h + 2):
        cells = {c.chiave: (row[found[c.chiave]] if c.chiave in found and found[c.chiave] < len(row) else None)
                 for c in colonne}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        values = {}
        for c in colonne:
            try:
                values[c.chiave] = _valore(cells[c.chiave], c.tipo)
            except ValueError as exc:
                raise ErroreInput(str(exc), file=fname, foglio=sheet, riga=i, colonna=c.intestazione) from None
            if values[c.chiave] is None and c.obbligatoria:
                raise ErroreInput("valore mancante.", file=fname, foglio=sheet, riga=i, colonna=c.intestazione)
        out.append((i, values))
    return sheet, out


def _valore(v: object, tipo: str) -> object:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if tipo == "text":
        return (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip()
    if tipo == "date":
        d = data_cella(v)
        return d.date() if isinstance(d, dt.datetime) else d
    n = to_decimal(v)
    if n is None:
        raise ValueError(f"«{v}» non è un numero.")
    if tipo == "int":
        if n != n.to_integral_value():
            raise ValueError(f"«{v}» non è un numero intero.")
        return int(n)
    return Decimal(n)
