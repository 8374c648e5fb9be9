"""Build programme workbooks for the verifica tests.

Uses the real templates (addin.workbook.template.build_template + addin.workbook.filler.fill_workbook,
contract 2) when they exist; otherwise a minimal openpyxl workbook laid out as contract 1 says
(title row 1, instruction row 2, header row 3, data from row 4, hidden _meta).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.workbook import schema as S

try:  # the real templates (templates issue)
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template
    REAL_TEMPLATES = True
except ImportError:  # pragma: no cover - only while the templates are being written
    REAL_TEMPLATES = False


def _cell(col: S.Col, v, cfg):
    if v is None:
        return None
    if col.key == "categoria":
        c = cfg.categoria(v)
        return c.nome if c is not None else v
    if col.kind == "bool":
        return S.SI if v else S.NO
    if col.kind in ("money", "number"):
        return float(v)
    return v


def _fallback(cfg, programma, anno, spese, cofin, budget) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cols, rows in ((S.SPESE, S.SPESE_COLS, spese), (S.COFINANZIAMENTO, S.COFIN_COLS, cofin),
                             (S.BUDGET, S.BUDGET_COLS, budget or [])):
        ws = wb.create_sheet(name)
        ws.cell(1, 1, name)
        ws.cell(2, 1, "Compilare una riga per voce.")
        for j, c in enumerate(cols, start=1):
            ws.cell(3, j, c.header)
        for i, obj in enumerate(rows):
            for j, c in enumerate(cols, start=1):
                if c.kind in ("formula", "output"):
                    continue
                ws.cell(4 + i, j, _cell(c, getattr(obj, c.key, None), cfg))
    meta = wb.create_sheet(S.META)
    meta.sheet_state = "hidden"
    for row in (("chiave", "valore"), (S.META_PROGRAMMA, programma), (S.META_ANNO, anno),
                (S.META_VERSIONE, S.SCHEMA_VERSION), (S.META_TIPO, "programma"),
                (S.META_GENERATORE, "test")):
        meta.append(row)
    return wb


def build_workbook(cfg, spese: Sequence[Spesa] = (), cofin: Sequence[VoceCofinanziamento] = (),
                   budget: list[VoceBudget] | None = None, *, programma: int = 1, anno: int = 2026
                   ) -> openpyxl.Workbook:
    if REAL_TEMPLATES:
        wb = build_template(cfg, programma, anno)
        fill_workbook(wb, list(spese), list(cofin), budget)
        return wb
    return _fallback(cfg, programma, anno, spese, cofin, budget)


def save_workbook(path: Path, cfg, spese=(), cofin=(), budget=None, **kw) -> Path:
    build_workbook(cfg, spese, cofin, budget, **kw).save(path)
    return path
