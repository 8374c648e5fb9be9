"""Build programme workbooks for the verifica tests from the real templates
(addin.workbook.template.build_template + addin.workbook.filler.fill_workbook, contract 2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl

from addin.demo_data import cartella_compilata
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento


def spesa_valida(**kw) -> Spesa:
    """An invoice of 100.00 € that every rule admits (February 2026, paid by bank transfer, documents
    complete); `kw` overrides any field."""
    base = dict(riga=0, azione="1.1", partner="Igea", categoria="BENI", descrizione="Materiale didattico",
                fornitore="Cartoleria srl", tipo_documento="Fattura", numero_documento="F1",
                data_documento=dt.date(2026, 2, 1), data_pagamento=dt.date(2026, 2, 10),
                modalita_pagamento="Bonifico", importo_documento=Decimal("100.00"), importo=Decimal("100.00"),
                doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                data_trasmissione=dt.date(2026, 3, 1))
    base.update(kw)
    return Spesa(**base)


def build_workbook(cfg, spese: Sequence[Spesa] = (), cofin: Sequence[VoceCofinanziamento] = (),
                   budget: list[VoceBudget] | None = None, *, programma: int = 1, anno: int = 2026
                   ) -> openpyxl.Workbook:
    return cartella_compilata(cfg, programma, anno, spese, cofin, budget)


def save_workbook(path: Path, cfg, spese=(), cofin=(), budget=None, **kw) -> Path:
    build_workbook(cfg, spese, cofin, budget, **kw).save(path)
    return path
