"""Build programme workbooks for the verifica tests from the real templates
(addin.workbook.template.build_template + addin.workbook.filler.fill_workbook, contract 2)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from addin.demo_data import cartella_compilata
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento



def build_workbook(cfg, spese: Sequence[Spesa] = (), cofin: Sequence[VoceCofinanziamento] = (),
                   budget: list[VoceBudget] | None = None, *, programma: int = 1, anno: int = 2026
                   ) -> openpyxl.Workbook:
    return cartella_compilata(cfg, programma, anno, spese, cofin, budget)


def save_workbook(path: Path, cfg, spese=(), cofin=(), budget=None, **kw) -> Path:
    build_workbook(cfg, spese, cofin, budget, **kw).save(path)
    return path
