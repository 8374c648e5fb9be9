"""Use case: the reports to the Cabina di regia (issue #16).

Two kinds: the half-year report (January–June, due by 31/07) and the annual report (the year, due by
31/01 of the next year). Each gives, per programme and for the ATS: the approved budget and the
spending of the period against it (reported, admitted, still to complete, not admitted), the
co-financing realised and its share against the minimum, the tranches planned, paid and due with
late payments marked, the Comune's acts of the period (decisions, observations, samples drawn, as
the register holds them), the anomalies of the consolidation and the double funding across years.

`report_cabina(...)` is pure: it takes the three-year result (`consolida_triennio`) and the register's
acts already read. The workbook and the PDF are written by addin.workbook.cabina.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from addin.casi.triennio import RisultatoTriennio
from addin.config.models import Config
from addin.rules.eligibility import totali
from addin.rules.money import ZERO, fmt_eur, fmt_pct, ratio
from addin.rules.payments import StatoTranche

Tipo = Literal["semestrale", "annuale"]
TIPI_REPORT: dict[str, str] = {"semestrale": "Relazione semestrale", "annuale": "Relazione annuale"}


@dataclass(frozen=True, slots=True)
class Periodo:
    tipo: Tipo
    anno: int
    inizio: dt.date
    fine: dt.date
    scadenza: dt.date     # by when the report goes to the Cabina di regia

    @property
    def titolo(self) -> str:
        what = "gennaio-giugno" if self.tipo == "semestrale" else "gennaio-dicembre"
        return f"{TIPI_REPORT[self.tipo]} {self.anno} ({what})"


def periodo_report(tipo: Tipo, anno: int) -> Periodo:
    """Half-year: 1/1-30/6, due 31/07; annual: 1/1-31/12, due 31/01 of the next year."""
    if tipo == "semestrale":
        return Periodo(tipo, anno, dt.date(anno, 1, 1), dt.date(anno, 6, 30), dt.date(anno, 7, 31))
    if tipo == "annuale":
        return Periodo(tipo, anno, dt.date(anno, 1, 1), dt.date(anno, 12, 31), dt.date(anno + 1, 1, 31))
    raise ValueError(f"tipo di relazione sconosciuto: {tipo}")


@dataclass(frozen=True, slots=True)
class AttoComune:
    """An act of the register shown in the report (decision, observations, sample drawn...)."""

    programma: int
    anno: int
    tipo: str          # Italian label: "Decisione", "Osservazioni", "Campione"...
    data: dt.date
    testo: str


@dataclass
class RigaCabina:
    codice: str                    # "P1".."P6", "ATS"
    programma: int | None
    nome: str
    budget_comunale: Decimal
    budget_cofin: Decimal
    rendicontato: Decimal = ZERO   # in the period
    ammesso: Decimal = ZERO
    da_integrare: Decimal = ZERO
    non_ammesso: Decimal = ZERO    # not admitted or excluded
    cofinanziamento: Decimal = ZERO        # realised in the year so far (the co-financing rows carry no date)
    base_cofinanziamento: Decimal = ZERO
    tranche_previsto: Decimal = ZERO    # the tranches due by the end of the period (net of offsets)
    tranche_pagato: Decimal = ZERO
    tranche_ritardo: int = 0
    atti: Counter = field(default_factory=Counter)
    anomalie: int = 0
    file: int = 0

    @property
    def budget_totale(self) -> Decimal:
        return self.budget_comunale + self.budget_cofin

    @property
    def uso_budget(self) -> Decimal:
        return ratio(self.ammesso, self.budget_totale)

    @property
    def quota_cofinanziamento(self) -> Decimal:
        return ratio(self.cofinanziamento, self.base_cofinanziamento)

    @property
    def tranche_da_pagare(self) -> Decimal:
        return max(ZERO, self.tranche_previsto - self.tranche_pagato)


@dataclass
class ReportCabina:
    periodo: Periodo
    data_riferimento: dt.date
    righe: list[RigaCabina]
    ats: RigaCabina
    tranche: list[tuple[int, StatoTranche]]        # (programme, tranche) of the year
    atti: list[AttoComune]
    anomalie: list[tuple[int | None, str, str, str]]   # (programme, kind, severity, description)
    osservazioni: list[str]                        # what the Cabina should look at (Italian sentences)
    quota_minima: Decimal


def report_cabina(config: Config, r: RisultatoTriennio, tipo: Tipo, anno: int,
                  atti: Sequence[AttoComune] = ()) -> ReportCabina:
    """The report of a year's period from the three-year result (which must contain the year)."""
    per = periodo_report(tipo, anno)
    if anno not in r.anni:
        raise ValueError(f"nessun rendiconto del {anno} nel consolidato")
    cons = r.anni[anno]
    atti_p = [a for a in atti if a.anno == anno and per.inizio <= a.data <= max(per.fine, r.data_riferimento)]
    rows: list[RigaCabina] = []
    for i, p in enumerate(config.programmi):
        pt = r.programmi[i]
        d = next(x for x in pt.anni if x.anno == anno)
        row = RigaCabina(f"P{p.codice}", p.codice, p.nome, d.budget_comunale, d.budget_cofin)
        copies = [f for f in cons.fonti if f.cartella.programma == p.codice]
        row.file = len(copies)
        esiti = [e for f in copies for e in f.esiti
                 if e.data_decisiva is None or per.inizio <= e.data_decisiva <= per.fine]
        t = totali(esiti)
        row.rendicontato, row.ammesso, row.da_integrare = t["rendicontato"], t["ammesso"], t["da_integrare"]
        row.non_ammesso = t["non_ammesso"] - t["da_integrare"]
        row.cofinanziamento, row.base_cofinanziamento = d.cofinanziamento, d.base_cofinanziamento
        sit = r.pagamenti.get((p.codice, anno))
        for tr in (sit.tranche if sit else []):
            if tr.scadenza <= per.fine:
                row.tranche_previsto += tr.previsto - tr.compensato
                row.tranche_pagato += tr.pagato
            row.tranche_ritardo += tr.in_ritardo
        row.atti = Counter(a.tipo for a in atti_p if a.programma == p.codice)
        row.anomalie = sum(1 for a in cons.anomalie if a.programma == p.codice)
        rows.append(row)
    ats = RigaCabina("ATS", None, f"ATS {config.ats}", sum((x.budget_comunale for x in rows), ZERO),
                     sum((x.budget_cofin for x in rows), ZERO))
    for name in ("rendicontato", "ammesso", "da_integrare", "non_ammesso", "cofinanziamento", "base_cofinanziamento",
                 "tranche_previsto", "tranche_pagato"):
        setattr(ats, name, sum((getattr(x, name) for x in rows), ZERO))
    ats.tranche_ritardo = sum(x.tranche_ritardo for x in rows)
    ats.atti = sum((x.atti for x in rows), Counter())
    ats.anomalie = len(cons.anomalie)
    ats.file = sum(x.file for x in rows)

    tranche = sorted(((p, t) for (p, y), s in r.pagamenti.items() if y == anno for t in s.tranche),
                     key=lambda x: (x[0], x[1].numero))
    anomalie = [(a.programma, a.tipo, a.gravita, a.descrizione) for a in cons.anomalie]
    anomalie += [(d.luoghi[0][1], "Doppio finanziamento tra anni", "Bloccante", d.descrizione)
                 for d in r.doppi_documenti + r.doppie_persone if any(x[0] == anno for x in d.luoghi)]
    rank = {"Bloccante": 0, "Attenzione": 1}
    anomalie.sort(key=lambda a: (rank.get(a[2], 2), a[0] or 0))
    return ReportCabina(per, r.data_riferimento, rows, ats, tranche, atti_p, anomalie,
                        _osservazioni(config, per, rows, ats, tranche), config.cofinanziamento.quota_minima)


def _osservazioni(config: Config, per: Periodo, rows: list[RigaCabina], ats: RigaCabina,
                  tranche: list[tuple[int, StatoTranche]]) -> list[str]:
    q = config.cofinanziamento.quota_minima
    out = [f"ATS: ammessi {fmt_eur(ats.ammesso)} nel periodo, {fmt_pct(ats.uso_budget)} del budget annuale "
           f"approvato di {fmt_eur(ats.budget_totale)}; cofinanziamento al {fmt_pct(ats.quota_cofinanziamento)} "
           f"(minimo {fmt_pct(q)})."]
    for x in rows:
        if x.file == 0:
            out.append(f"{x.codice}: nessun rendiconto ricevuto.")
            continue
        if x.base_cofinanziamento and x.quota_cofinanziamento < q:
            out.append(f"{x.codice}: cofinanziamento al {fmt_pct(x.quota_cofinanziamento)}, sotto il minimo del "
                       f"{fmt_pct(q)}.")
        if x.da_integrare:
            out.append(f"{x.codice}: {fmt_eur(x.da_integrare)} di spese da integrare entro il blocco della finestra.")
    for p, t in tranche:
        if t.in_ritardo:
            paid = ", ".join(f"{x.data:%d/%m/%Y}" for x in t.pagamenti_in_ritardo)
            what = f"pagata il {paid}" if paid else f"{fmt_eur(t.da_pagare)} non ancora pagati"
            out.append(f"P{p}: tranche {t.numero} in ritardo (scadenza {t.scadenza:%d/%m/%Y}, {what}).")
    return out


_ATTI_RELAZIONE = {"DECISIONE": "Decisione", "AVVISO": "Avviso", "OSSERVAZIONI": "Osservazioni",
                   "CAMPIONE": "Campione", "VARIAZIONE_BUDGET": "Variazione di budget"}


def atti_per_relazione(reg, config: Config, anno: int) -> list[AttoComune]:
    """The register's acts of the year a report shows (decisions, notices, observations, samples,
    approved variations), each summarised in one Italian line."""
    from addin.registro.atti import riassunto

    out = []
    for p in config.programmi:
        for a in reg.atti(p.codice, anno):
            if a.tipo in _ATTI_RELAZIONE:
                out.append(AttoComune(p.codice, anno, _ATTI_RELAZIONE[a.tipo], a.data, riassunto(a.tipo, a.dati)))
    return sorted(out, key=lambda a: (a.data, a.programma))
