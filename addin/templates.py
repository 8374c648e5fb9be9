"""Use case: generate the reporting workbooks (one per programme, plus the consolidation one)."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreInput, ErroreOutput


@dataclass
class RisultatoModelli:
    file: list[Path] = field(default_factory=list)
    note: list[str] = field(default_factory=list)   # Italian, e.g. what was skipped


def _check(config: Config, programma: int | None, anno: int) -> None:
    if programma is not None and programma not in {p.codice for p in config.programmi}:
        codes = ", ".join(str(p.codice) for p in config.programmi)
        raise ErroreInput(f"il programma {programma} non è configurato (programmi: {codes})")
    for p in config.programmi:
        if programma is not None and p.codice != programma:
            continue
        if anno not in p.budget:
            years = ", ".join(str(y) for y in sorted(p.budget))
            raise ErroreInput(f"nessun budget del programma {p.codice} per l'anno {anno} (anni: {years})")


def genera_modello(config: Config, programma: int, anno: int, out: str | Path) -> Path:
    """Write the empty workbook of one programme and year to `out`."""
    from addin.workbook.template import save_template

    _check(config, programma, anno)
    try:
        return save_template(config, programma, anno, out)
    except OSError as exc:
        raise ErroreOutput(f"impossibile scrivere «{out}»: {exc.strerror or exc}") from None


def genera_modelli(config: Config, anno: int, out_dir: str | Path) -> RisultatoModelli:
    """All programme workbooks of the year, plus `consolidato_<anno>.xlsx` when the consolidation
    use case provides its template builder."""
    from addin.workbook.template import nome_file, workbook_bytes, write_bytes_atomic

    _check(config, None, anno)
    out_dir = Path(out_dir)
    res = RisultatoModelli()
    for p in config.programmi:
        res.file.append(genera_modello(config, p.codice, anno, out_dir / nome_file(p.codice, anno)))
    try:
        builder = getattr(importlib.import_module("addin.casi.consolida"), "build_consolidation_template")
    except (ImportError, AttributeError):
        res.note.append("modello di consolidamento non disponibile in questa versione: non generato")
        return res
    try:
        wb = builder(config, anno)
    except ImportError as exc:  # the consolidation package is incomplete in this installation
        res.note.append(f"modello di consolidamento non generato ({exc})")
        return res
    wb.properties.created = wb.properties.modified = dt.datetime(anno, 1, 1)  # reproducible bytes
    path = out_dir / f"consolidato_{anno}.xlsx"
    try:
        res.file.append(write_bytes_atomic(path, workbook_bytes(wb)))
    except OSError as exc:
        raise ErroreOutput(f"impossibile scrivere «{path}»: {exc.strerror or exc}") from None
    return res
