"""The Comune's audit sample: up to 10% of the personnel each semester, reproducible from a seed."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.eligibility import data_decisiva
from addin.rules.lookup import lookup_for, norm
from addin.rules.models import Spesa


@dataclass(frozen=True, slots=True)
class Campione:
    anno: int
    semestre: int
    seme: int
    persone: int  # distinct persons in the semester
    dimensione: int
    estratti: list[str]  # display names, in draw order
    righe: dict[str, list[int]]  # person -> row numbers of that person's expenses in the semester


def dimensione_campione(config: Config, persone: int) -> int:
    if persone <= 0:
        return 0
    size = math.ceil(Decimal(persone) * config.campionamento.quota)
    return min(persone, max(size, config.campionamento.minimo))


def seme_predefinito(programma: int, anno: int, semestre: int) -> int:
    """A documented default seed, so that anyone can redraw the same sample."""
    digest = hashlib.sha256(f"rendiconta-{programma}-{anno}-S{semestre}".encode()).hexdigest()
    return int(digest[:8], 16)


def semestre_di(month: int) -> int:
    return 1 if month <= 6 else 2


def _persone(config: Config, spese: Sequence[Spesa], anno: int) -> dict[int, tuple[dict[str, str], dict[str, list[int]]]]:
    """Per semester of `anno`: the persons of the personnel rows (normalised name -> name as first
    written) and their row numbers, by the row's deciding date. One pass over the rows."""
    lk = lookup_for(config)
    out: dict[int, tuple[dict[str, str], dict[str, list[int]]]] = {1: ({}, {}), 2: ({}, {})}
    for s in spese:
        cat = lk.categoria(s.categoria)
        if cat is None or not cat.personale or not s.persona or not str(s.persona).strip():
            continue
        d = data_decisiva(config, s)
        if d is None or d.year != anno:
            continue
        names, rows = out[semestre_di(d.month)]
        key = norm(s.persona)
        names.setdefault(key, str(s.persona).strip())
        rows.setdefault(key, []).append(s.riga)
    return out


def _estrai(config: Config, names: dict[str, str], rows: dict[str, list[int]], programma: int, anno: int,
            semestre: int, seme: int | None) -> Campione:
    if seme is None:
        seme = seme_predefinito(programma, anno, semestre)
    population = sorted(names)
    k = dimensione_campione(config, len(population))
    drawn = random.Random(seme).sample(population, k)
    return Campione(anno, semestre, seme, len(population), k, [names[p] for p in drawn],
                    {names[p]: rows[p] for p in drawn})


def campione_personale(config: Config, spese: Sequence[Spesa], programma: int, anno: int, semestre: int,
                       seme: int | None = None) -> Campione:
    """Draw ceil(quota × distinct persons) persons (at least `minimo`) among the personnel rows whose
    deciding date falls in the semester. Same rows and seed, same sample."""
    names, rows = _persone(config, spese, anno)[semestre] if semestre in (1, 2) else ({}, {})
    return _estrai(config, names, rows, programma, anno, semestre, seme)


def campioni_personale(config: Config, spese: Sequence[Spesa], programma: int, anno: int,
                       seme: int | None = None) -> list[Campione]:
    """The samples of both semesters of the year (as `campione_personale`, one pass over the rows)."""
    persone = _persone(config, spese, anno)
    return [_estrai(config, *persone[sem], programma, anno, sem, seme) for sem in (1, 2)]


def popolazione(config: Config, spese: Sequence[Spesa], anno: int, semestre: int) -> list[str]:
    """The persons of the semester's personnel rows (names as first written, in sorted order of the
    normalised names: the population the draw samples)."""
    names, _ = _persone(config, spese, anno)[semestre]
    return [names[k] for k in sorted(names)]


def campione_congelato(config: Config, spese: Sequence[Spesa], anno: int, semestre: int, seme: int,
                       popolazione_estratta: Sequence[str], estratti: Sequence[str]) -> Campione:
    """A sample drawn earlier and recorded by the Comune: the same persons (persons added later change
    nothing), with their rows in the workbook as it is now."""
    names, rows = _persone(config, spese, anno)[semestre]
    righe = {}
    for person in estratti:
        key = norm(person)
        righe[names.get(key, person)] = rows.get(key, [])
    return Campione(anno, semestre, seme, len(popolazione_estratta), len(estratti),
                    [names.get(norm(p), p) for p in estratti], righe)
