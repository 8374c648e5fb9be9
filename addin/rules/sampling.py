"""The Comune's audit sample: up to 10% of the programme's personnel each semester.

"Fino al 10%": the size is quota × distinct persons of the semester rounded down (configurable:
`campionamento.arrotondamento`), at least `minimo` when there is any person. The population is every
person with personnel rows of the programme in the semester, across all the workbooks given (the
partners' copies), identified by the tax code (`Codice fiscale`) when given, else by the normalised
name.

A partner must not be able to compute the draw in advance, so the seed never comes from public
data alone: it is the officer's (`--seme`), or it is derived from the Comune's key (HMAC-SHA256 of
programme, year and semester). Without either, the draw uses a random seed from the operating
system and is *provisional*: the result says so, and freezing the draw belongs to the register.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from addin.config.models import Config
from addin.rules.eligibility import codice_fiscale, data_decisiva
from addin.rules.lookup import lookup_for, norm
from addin.rules.models import Spesa

# where the seed comes from
SEME_UFFICIALE = "indicato"        # given by the officer (--seme)
SEME_CHIAVE = "chiave"             # derived from the Comune's key
SEME_PROVVISORIO = "provvisorio"   # random, not recorded: the sample is provisional
SEME_REGISTRO = "registro"         # drawn once and recorded in the Comune's register (frozen)


@dataclass(frozen=True, slots=True)
class Campione:
    anno: int
    semestre: int
    seme: int
    persone: int  # distinct persons in the semester
    dimensione: int
    estratti: list[str]  # display names ("Name (TAX CODE)" when the tax code is given), in draw order
    righe: dict[str, list[int]]  # person -> row numbers of that person's expenses in the semester
    origine_seme: str = SEME_UFFICIALE
    # person -> (source, row) of every row of that person (the source is the workbook, "" for one workbook)
    posizioni: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def provvisorio(self) -> bool:
        return self.origine_seme == SEME_PROVVISORIO

    def descrizione_seme(self) -> str:
        """Italian: where the seed comes from (shown next to it in the report and the CLI)."""
        return {SEME_UFFICIALE: "seme indicato dal Comune",
                SEME_CHIAVE: "seme derivato dalla chiave del Comune",
                SEME_REGISTRO: "campione estratto e registrato dal Comune",
                SEME_PROVVISORIO: "campione PROVVISORIO: seme casuale non registrato; indicare il seme "
                                  "(--seme) o la chiave del Comune"}[self.origine_seme]


def dimensione_campione(config: Config, persone: int) -> int:
    """quota × persons rounded down ("difetto") or up ("eccesso"), at least `minimo`, at most everyone."""
    if persone <= 0:
        return 0
    exact = Decimal(persone) * config.campionamento.quota
    size = math.floor(exact) if config.campionamento.arrotondamento == "difetto" else math.ceil(exact)
    return min(persone, max(size, config.campionamento.minimo))


def seme_da_chiave(chiave: bytes, programma: int, anno: int, semestre: int) -> int:
    """The seed derived from the Comune's key: the first 6 bytes (an integer exact in Excel and JSON) of
    HMAC-SHA256(key, "rendiconta-campione|<programma>|<anno>|S<semestre>"), big-endian unsigned."""
    msg = f"rendiconta-campione|{programma}|{anno}|S{semestre}".encode()
    return int.from_bytes(hmac.new(chiave, msg, hashlib.sha256).digest()[:6], "big")


def semestre_di(month: int) -> int:
    return 1 if month <= 6 else 2


Fonti = Sequence[tuple[str, Sequence[Spesa]]]   # (source name, rows of that workbook)


@dataclass(slots=True)
class _Popolazione:
    names: dict[str, str] = field(default_factory=dict)                    # identity -> name as first written
    places: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # identity -> (source, row)


def _persone(config: Config, fonti: Fonti, anno: int) -> dict[int, _Popolazione]:
    """Per semester of `anno`: the persons of the personnel rows and where their rows are, by the
    row's deciding date. A person is its tax code when given; a row without tax code joins the tax
    code written on other rows with the same name when there is exactly one, else its name."""
    lk = lookup_for(config)
    rows: list[tuple[int, str, str, str, int, str]] = []   # semester, cf, name key, name, row, source
    cf_of_name: dict[str, set[str]] = {}
    for source, spese in fonti:
        for s in spese:
            cat = lk.categoria(s.categoria)
            name = str(s.persona).strip() if s.persona is not None else ""
            cf = codice_fiscale(getattr(s, "codice_fiscale", None))
            if cat is None or not cat.personale or not (name or cf):
                continue
            d = data_decisiva(config, s)
            if d is None or d.year != anno:
                continue
            key = norm(name)
            if cf and key:
                cf_of_name.setdefault(key, set()).add(cf)
            rows.append((semestre_di(d.month), cf, key, name, s.riga, source))
    out = {1: _Popolazione(), 2: _Popolazione()}
    for sem, cf, key, name, riga, source in rows:
        if not cf:
            known = cf_of_name.get(key, set())
            cf = next(iter(known)) if len(known) == 1 else ""
        ident = f"cf:{cf}" if cf else f"nome:{key}"
        p = out[sem]
        p.names.setdefault(ident, f"{name} ({cf})" if name and cf else name or cf)
        p.places.setdefault(ident, []).append((source, riga))
    return out


def _estrai(config: Config, pop: _Popolazione, programma: int, anno: int, semestre: int, seme: int | None,
            chiave: bytes | None) -> Campione:
    if seme is not None:
        origine = SEME_UFFICIALE
    elif chiave:
        seme, origine = seme_da_chiave(chiave, programma, anno, semestre), SEME_CHIAVE
    else:
        seme, origine = secrets.randbits(32), SEME_PROVVISORIO
    population = sorted(pop.names)
    k = dimensione_campione(config, len(population))
    drawn = random.Random(seme).sample(population, k)
    righe = {pop.names[p]: [r for _, r in pop.places[p]] for p in drawn}
    posizioni = {pop.names[p]: list(pop.places[p]) for p in drawn}
    return Campione(anno, semestre, seme, len(population), k, [pop.names[p] for p in drawn], righe, origine,
                    posizioni)


def campione_personale(config: Config, spese: Sequence[Spesa], programma: int, anno: int, semestre: int,
                       seme: int | None = None, chiave: bytes | None = None) -> Campione:
    """The sample of one semester among the personnel rows of one workbook whose deciding date falls
    in it. Same rows and seed, same sample."""
    pop = _persone(config, [("", spese)], anno)[semestre] if semestre in (1, 2) else _Popolazione()
    return _estrai(config, pop, programma, anno, semestre, seme, chiave)


def campioni_personale(config: Config, spese: Sequence[Spesa], programma: int, anno: int,
                       seme: int | None = None, chiave: bytes | None = None) -> list[Campione]:
    """The samples of both semesters of the year of one workbook (one pass over the rows)."""
    return campioni_programma(config, [("", spese)], programma, anno, seme, chiave)


def campioni_programma(config: Config, fonti: Fonti, programma: int, anno: int, seme: int | None = None,
                       chiave: bytes | None = None) -> list[Campione]:
    """The samples of both semesters over every workbook of the programme (the partners' copies):
    the population is the programme's persons, wherever their rows are."""
    pop = _persone(config, fonti, anno)
    return [_estrai(config, pop[sem], programma, anno, sem, seme, chiave) for sem in (1, 2)]


def popolazione(config: Config, spese: Sequence[Spesa], anno: int, semestre: int) -> list[str]:
    """The persons of the semester's personnel rows of one workbook, as displayed (in the sorted order of
    their identities: the population the draw samples)."""
    pop = _persone(config, [("", spese)], anno)[semestre]
    return [pop.names[k] for k in sorted(pop.names)]


def campione_congelato(config: Config, spese: Sequence[Spesa], anno: int, semestre: int, seme: int,
                       popolazione_estratta: Sequence[str], estratti: Sequence[str]) -> Campione:
    """A sample drawn earlier and recorded by the Comune: the same persons (persons added later change
    nothing), with their rows in the workbook as it is now (found by the name as displayed, else by the
    normalised name)."""
    pop = _persone(config, [("", spese)], anno)[semestre]
    by_display = {v: k for k, v in pop.names.items()}
    by_name = {norm(v): k for k, v in pop.names.items()}
    righe: dict[str, list[int]] = {}
    posizioni: dict[str, list[tuple[str, int]]] = {}
    for person in estratti:
        ident = by_display.get(person) or by_name.get(norm(person))
        places = list(pop.places.get(ident, [])) if ident else []
        righe[person] = [r for _, r in places]
        posizioni[person] = places
    return Campione(anno, semestre, seme, len(popolazione_estratta), len(estratti), list(estratti), righe,
                    SEME_REGISTRO, posizioni)
