"""Reporting windows: which window a date falls in, its lock date, whether it is closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from addin.config.models import Config, month_day


@dataclass(frozen=True, slots=True)
class FinestraAnno:
    anno: int
    numero: int
    inizio: dt.date
    fine: dt.date
    blocco: dt.date

    def chiusa(self, riferimento: dt.date) -> bool:
        """Closed once the lock date has passed: the lock date itself is still open."""
        return riferimento > self.blocco

    def contiene(self, data: dt.date) -> bool:
        return self.inizio <= data <= self.fine

    @property
    def etichetta(self) -> str:
        return f"{self.numero}/{self.anno}"

    @property
    def descrizione(self) -> str:
        return (f"Finestra {self.numero}/{self.anno}: spese dal {self.inizio:%d/%m/%Y} "
                f"al {self.fine:%d/%m/%Y}, blocco il {self.blocco:%d/%m/%Y}")

    def stato(self, riferimento: dt.date) -> str:
        if self.chiusa(riferimento):
            return "CHIUSA"
        if riferimento < self.inizio:
            return "NON INIZIATA"
        return "APERTA"


def finestre_anno(config: Config, anno: int) -> list[FinestraAnno]:
    return list(_finestre(config, anno))


# perf: a check asks for the window of thousands of dates. The windows of a configuration are computed
# once per year (configurations are immutable; the last few are kept, by identity, as lookup_for does)
_per_config: dict[int, tuple[Config, dict[int, tuple[FinestraAnno, ...]], dict[dt.date, FinestraAnno]]] = {}


def _memo(config: Config) -> tuple[dict[int, tuple[FinestraAnno, ...]], dict[dt.date, FinestraAnno]]:
    entry = _per_config.get(id(config))
    if entry is None or entry[0] is not config:
        if len(_per_config) >= 8:
            _per_config.clear()
        entry = _per_config[id(config)] = (config, {}, {})
    return entry[1], entry[2]


def _finestre(config: Config, anno: int) -> tuple[FinestraAnno, ...]:
    by_year = _memo(config)[0]
    out = by_year.get(anno)
    if out is None:
        out = by_year[anno] = tuple(
            FinestraAnno(anno, f.numero, month_day(anno, f.inizio), month_day(anno, f.fine),
                         month_day(anno + 1 if f.blocco_anno_successivo else anno, f.blocco))
            for f in config.finestre)
    return out


def finestra_di(config: Config, data: dt.date) -> FinestraAnno:
    by_date = _memo(config)[1]
    found = by_date.get(data)
    if found is None:
        for f in _finestre(config, data.year):
            if f.contiene(data):
                found = f
                break
        else:
            raise AssertionError("windows tile the year")  # guaranteed by Config validation
        if len(by_date) < 20_000:
            by_date[data] = found
    return found


def finestra_chiusa(config: Config, data: dt.date, riferimento: dt.date) -> bool:
    return finestra_di(config, data).chiusa(riferimento)


def scadenza_blocco(config: Config, data: dt.date) -> dt.date:
    return finestra_di(config, data).blocco


def anno_chiuso(config: Config, anno: int, data_riferimento: dt.date) -> bool:
    """Every window of the year is locked at the reference date: the year's contribution is final."""
    return all(f.chiusa(data_riferimento) for f in finestre_anno(config, anno))


MESI_DOPO_LA_FINE = 15   # a reference date later than this after the year's end is not a check of that year


def avviso_anno(anno: int, riferimento: dt.date) -> str | None:
    """A warning (Italian) when the reference date does not fit the workbook's year: before the year
    starts, or more than 15 months after it ends (after 31/03 of the second following year)."""
    if riferimento < dt.date(anno, 1, 1):
        return (f"ATTENZIONE: la data di riferimento {riferimento:%d/%m/%Y} precede l'anno {anno} del file: "
                "nessuna finestra è ancora iniziata. Controllare la data (--data) o il file.")
    limite = dt.date(anno + 2, 3, 31)
    if riferimento > limite:
        return (f"ATTENZIONE: la data di riferimento {riferimento:%d/%m/%Y} è oltre {MESI_DOPO_LA_FINE} mesi dalla "
                f"fine dell'anno {anno} del file (dopo il {limite:%d/%m/%Y}): probabilmente il file o la data "
                "sono sbagliati.")
    return None
