"""Fast reader (python-calamine) of programme workbooks built from the templates.

INTERFACE CONTRACT (used by check, lock, consolidate and the add-in):
    leggi_cartella(path, config) -> CartellaRendiconto, raising ErroreInput (Italian, with
    sheet/row/column) when the file cannot be read as a reporting workbook. Cell-level problems
    of a single row do not raise: they become `Spesa.errori` reasons of that row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from addin.config.models import Config
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento


@dataclass
class CartellaRendiconto:
    path: str | None
    programma: int
    anno: int
    versione: str
    spese: list[Spesa]
    cofinanziamento: list[VoceCofinanziamento]
    budget: list[VoceBudget]
    meta: dict[str, str] = field(default_factory=dict)   # raw key/value pairs of the hidden _meta sheet
    avvisi: list[str] = field(default_factory=list)      # non-blocking warnings (Italian)


def leggi_cartella(path: str | Path, config: Config) -> CartellaRendiconto:
    raise NotImplementedError("reader: being implemented (issue: one-click check)")
