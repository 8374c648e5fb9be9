"""Tranches: 60% by June, 30% by November, balance by 30 April of the next year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config, month_day
from addin.rules.money import ZERO, money, ratio


@dataclass(frozen=True, slots=True)
class RataPiano:
    numero: int
    descrizione: str
    quota: Decimal
    scadenza: dt.date
    importo: Decimal
    saldo: bool


def scadenza_tranche(config: Config, anno: int, numero: int) -> dt.date:
    for t in config.tranche:
        if t.numero == numero:
            return month_day(anno + 1 if t.anno_successivo else anno, t.scadenza)
    raise KeyError(f"tranche {numero} non configurata")


def piano_tranche(config: Config, anno: int, contributo: Decimal) -> list[RataPiano]:
    """Planned tranches: each advance is its share rounded to cents, the balance is the rest."""
    contributo = money(contributo)
    out: list[RataPiano] = []
    paid = ZERO
    for t in config.tranche:
        amount = contributo - paid if t.saldo else money(contributo * t.quota)
        paid += amount
        out.append(RataPiano(t.numero, t.descrizione, t.quota, scadenza_tranche(config, anno, t.numero),
                             amount, t.saldo))
    return out


def importo_tranche(config: Config, contributo: Decimal, numero: int) -> Decimal:
    for r in piano_tranche(config, 2000, contributo):
        if r.numero == numero:
            return r.importo
    raise KeyError(f"tranche {numero} non configurata")


@dataclass(frozen=True, slots=True)
class Liquidazione:
    """The final contribution of a year and its balance after the advances."""

    contributo_previsto: Decimal
    valore_previsto: Decimal
    valore_realizzato: Decimal
    percentuale_realizzazione: Decimal  # ratio, capped at 1
    contributo_proporzionale: Decimal
    limite_spesa: Decimal  # the admitted expenditure: the contribution due never exceeds it
    contributo_finale: Decimal  # the contribution due
    anticipi: Decimal
    saldo: Decimal  # negative: amount to recover

    @property
    def cofinanziamento_monetario(self) -> Decimal:
        """The realised monetary co-financing: admitted expenditure not paid by the contribution."""
        return max(ZERO, self.limite_spesa - self.contributo_finale)

    @property
    def riduzione(self) -> Decimal:
        return self.contributo_previsto - self.contributo_finale

    @property
    def da_recuperare(self) -> Decimal:
        return -self.saldo if self.saldo < 0 else ZERO


def liquidazione(config: Config, anno: int, contributo_previsto: Decimal, valore_previsto: Decimal,
                 valore_realizzato: Decimal, spesa_ammessa: Decimal,
                 anticipi: Decimal | None = None) -> Liquidazione:
    """The contribution due: the municipal budget × min(1, realised value / planned value), never above
    the admitted expenditure (realised = admitted + recognised non-monetary + volunteers, planned =
    municipal + co-financing budget). The monetary co-financing is what of the admitted expenditure the
    contribution does not pay. The balance is what remains after the advances (the planned non-balance
    tranches unless `anticipi` says what was actually paid)."""
    contributo_previsto = money(contributo_previsto)
    r = min(Decimal(1), ratio(money(valore_realizzato), money(valore_previsto)))
    r = max(r, Decimal(0))
    proportional = money(contributo_previsto * r)
    limit = max(ZERO, money(spesa_ammessa))
    final = min(proportional, limit)
    if anticipi is None:
        anticipi = sum((t.importo for t in piano_tranche(config, anno, contributo_previsto) if not t.saldo), ZERO)
    return Liquidazione(contributo_previsto, money(valore_previsto), money(valore_realizzato), r,
                        proportional, limit, final, money(anticipi), final - money(anticipi))
