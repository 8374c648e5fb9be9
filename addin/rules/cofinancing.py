"""Co-financing: monetary, non-monetary and volunteer work, and the minimum share (10%)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.lookup import norm
from addin.rules.models import TipoCofinanziamento, VoceCofinanziamento
from addin.rules.money import ZERO, money, ratio

_TYPES = {
    "monetario": TipoCofinanziamento.MONETARIO,
    "non monetario": TipoCofinanziamento.NON_MONETARIO,
    "non_monetario": TipoCofinanziamento.NON_MONETARIO,
    "volontariato": TipoCofinanziamento.VOLONTARIATO,
    "volontari": TipoCofinanziamento.VOLONTARIATO,
}


def tipo_cofinanziamento(text: object) -> TipoCofinanziamento | None:
    return _TYPES.get(norm(text))


@dataclass(frozen=True, slots=True)
class TariffaVolontari:
    valore: Decimal
    fonte: str


def tariffa_tabellare(config: Config, anno: int) -> TariffaVolontari:
    """The dated fallback rate in force on 1 January of the year (the earliest if none yet)."""
    start = dt.date(anno, 1, 1)
    rates = sorted(config.volontari.tariffe, key=lambda t: t.dal)
    valid = [t for t in rates if t.dal <= start] or rates[:1]
    t = valid[-1]
    return TariffaVolontari(money(t.valore), t.fonte)


def tariffa_volontari(config: Config, anno: int, programma: int) -> TariffaVolontari:
    """Volunteer hourly cap: the hourly cost of the lowest grade planned by the programme
    (`costo_orario_minimo_previsto`, from the Progetto definitivo), else the dated ministerial table.
    The reported rows never change it (a row at 9.50 EUR/h, admitted or not, lowers nobody's value)."""
    planned = config.programma(programma).costo_orario_minimo_previsto
    if planned is not None:
        return TariffaVolontari(money(planned), "costo orario dell'inquadramento più basso previsto dal "
                                                "programma (Progetto definitivo)")
    return tariffa_tabellare(config, anno)


def valore_voce(voce: VoceCofinanziamento, cap: Decimal) -> Decimal:
    """Recognised value of a co-financing row: quantity (1 if empty) × unit value, volunteers capped."""
    unit = voce.valore_unitario if voce.valore_unitario is not None else ZERO
    qty = voce.quantita if voce.quantita is not None else Decimal(1)
    if tipo_cofinanziamento(voce.tipo) is TipoCofinanziamento.VOLONTARIATO:
        unit = min(unit, cap)
    value = money(qty * unit)
    return value if value > 0 else ZERO


@dataclass(frozen=True, slots=True)
class TotaliCofinanziamento:
    monetario: Decimal
    non_monetario: Decimal
    volontariato: Decimal

    @property
    def totale(self) -> Decimal:
        return self.monetario + self.non_monetario + self.volontariato

    @property
    def valorizzato(self) -> Decimal:
        """Valued resources that are not expenses in `Spese` (non-monetary and volunteers)."""
        return self.non_monetario + self.volontariato


def totali_cofinanziamento(voci: Sequence[VoceCofinanziamento], cap: Decimal) -> TotaliCofinanziamento:
    t = {k: ZERO for k in TipoCofinanziamento}
    for v in voci:
        kind = tipo_cofinanziamento(v.tipo)
        if kind is not None:
            t[kind] += valore_voce(v, cap)
    return TotaliCofinanziamento(t[TipoCofinanziamento.MONETARIO], t[TipoCofinanziamento.NON_MONETARIO],
                                 t[TipoCofinanziamento.VOLONTARIATO])


@dataclass(frozen=True, slots=True)
class VerificaQuota:
    """Co-financing against its minimum: amounts in euro, share as an unrounded ratio."""

    cofinanziamento: Decimal
    base: Decimal
    quota: Decimal
    quota_minima: Decimal
    minimo: Decimal

    @property
    def rispettato(self) -> bool:
        return self.cofinanziamento >= self.minimo

    @property
    def mancante(self) -> Decimal:
        return max(ZERO, self.minimo - self.cofinanziamento)


def base_cofinanziamento(config: Config, comunale: Decimal, cofinanziamento: Decimal) -> Decimal:
    if config.cofinanziamento.base == "costo_totale":
        return comunale + cofinanziamento
    return comunale


def cofinanziamento_minimo(config: Config, base: Decimal) -> Decimal:
    return money(base * config.cofinanziamento.quota_minima)


def verifica_quota(config: Config, cofinanziamento: Decimal, base: Decimal) -> VerificaQuota:
    cofinanziamento, base = money(cofinanziamento), money(base)
    return VerificaQuota(cofinanziamento, base, ratio(cofinanziamento, base),
                         config.cofinanziamento.quota_minima, cofinanziamento_minimo(config, base))


def verifica_budget(config: Config, comunale: Decimal, cofinanziamento: Decimal) -> VerificaQuota:
    """The share as planned in a budget (comunale + cofinanziamento)."""
    return verifica_quota(config, cofinanziamento, base_cofinanziamento(config, comunale, cofinanziamento))


def verifica_realizzato(config: Config, spesa_ammessa: Decimal, totali: TotaliCofinanziamento,
                        contributo_comunale: Decimal | None = None) -> VerificaQuota:
    """The realised share.

    Total cost = admitted expenses + valued non-monetary resources and volunteer work (monetary
    co-financing pays admitted expenses, so it is already inside them). With the base
    "finanziamento_comunale" the base is the municipal contribution instead.
    """
    if config.cofinanziamento.base == "costo_totale":
        base = spesa_ammessa + totali.valorizzato
    else:
        base = contributo_comunale if contributo_comunale is not None else spesa_ammessa - totali.monetario
    return verifica_quota(config, totali.totale, base)
