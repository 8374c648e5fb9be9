"""Write rule-model rows into a programme workbook built by addin.workbook.template (openpyxl).

INTERFACE CONTRACT: fill_workbook(wb, spese, cofinanziamento=(), budget=None) writes the rows in
place, typed as Excel would hold them: dates as dates, amounts as numbers, SI/NO as text, categories
as their Italian label (Categoria.nome), co-financing types as schema.TIPI_COFIN labels. The `riga`
of the input rows is ignored: written rows are numbered from the first data row (4). Formula
columns (Cofinanziamento «Valore», Budget «attuale») are never overwritten.
Used by tests, demos and the bench to produce realistic filled workbooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from addin.config import default_config
from addin.config.models import Config
from addin.errors import ErroreInput
from addin.rules.budget import VoceBudget
from addin.rules.cofinancing import tipo_cofinanziamento
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.workbook import schema as S


def _header_row(ws: Worksheet, cols: tuple[S.Col, ...]) -> tuple[int, dict[str, int]]:
    """Locate the header row (first 10 rows) and the column number of every schema column."""
    row, found = S.locate_header(ws.iter_rows(min_row=1, max_row=S.HEADER_SCAN_ROWS, values_only=True), cols)
    if len(found) != len(cols):
        raise ErroreInput("intestazioni della tabella non trovate nelle prime 10 righe", foglio=ws.title)
    return row + 1, {k: i + 1 for k, i in found.items()}


def _table_last_row(ws: Worksheet, name: str) -> int:
    for t in ws.tables.values():
        if t.displayName == name:
            return int(t.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return ws.max_row


def _cell_value(col: S.Col, value: object, config: Config) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return S.SI if value else S.NO
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if col.key == "categoria":
        cat = lookup_for(config).categoria(value)
        return cat.nome if cat is not None else value
    if col.key == "tipo":
        kind = tipo_cofinanziamento(value)
        return S.TIPI_COFIN[kind.value] if kind is not None else value
    return value


def _put(ws: Worksheet, row: int, column: int, value: object) -> None:
    """Write a value; text is always stored as text, even when it begins with '=' (never a formula)."""
    cell = ws.cell(row, column)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _write_rows(ws: Worksheet, table: str, cols: tuple[S.Col, ...], rows: Sequence[object],
                config: Config) -> None:
    header, where = _header_row(ws, cols)
    first, last = header + 1, _table_last_row(ws, table)
    if len(rows) > last - first + 1:
        raise ErroreInput(f"{len(rows)} righe da scrivere, la tabella {table} ne ha {last - first + 1}",
                          foglio=ws.title)
    for i, row in enumerate(rows):
        r = first + i
        for col in S.input_cols(cols):
            if not hasattr(row, col.key):
                continue
            _put(ws, r, where[col.key], _cell_value(col, getattr(row, col.key), config))


def _write_budget(ws: Worksheet, voci: Iterable[VoceBudget], config: Config) -> None:
    cols = S.BUDGET_COLS
    header, where = _header_row(ws, cols)
    last = _table_last_row(ws, S.TAB_BUDGET)
    lk = lookup_for(config)
    index: dict[tuple[str, str], int] = {}
    for r in range(header + 1, last + 1):
        cat = lk.categoria(ws.cell(r, where["categoria"]).value)
        index[(norm_action(ws.cell(r, where["azione"]).value), cat.codice if cat else "")] = r
    for v in voci:
        cat = lk.categoria(v.categoria)
        key = (norm_action(v.azione), cat.codice if cat else str(v.categoria))
        if key not in index:
            raise ErroreInput(f"nessuna riga di budget per l'azione {v.azione} e la categoria {v.categoria}",
                              foglio=ws.title)
        r = index[key]
        for col in S.input_cols(cols):
            if col.key in ("azione", "categoria"):
                continue
            _put(ws, r, where[col.key], _cell_value(col, getattr(v, col.key), config))


def fill_workbook(wb: Workbook, spese: Sequence[Spesa], cofinanziamento: Sequence[VoceCofinanziamento] = (),
                  budget: Sequence[VoceBudget] | None = None, config: Config | None = None) -> None:
    config = config or default_config()
    _write_rows(wb[S.SPESE], S.TAB_SPESE, S.SPESE_COLS, list(spese), config)
    _write_rows(wb[S.COFINANZIAMENTO], S.TAB_COFIN, S.COFIN_COLS, list(cofinanziamento), config)
    if budget is not None:
        _write_budget(wb[S.BUDGET], budget, config)
