"""Co-financing: monetary, non-monetary and volunteer work, and the minimum share (10%)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.catalogue import effetto
from addin.rules.lookup import norm
from addin.rules.models import Esito, Motivo, TipoCofinanziamento, VoceCofinanziamento
from addin.rules.money import ZERO, allocate, fmt_eur, money, ratio
from addin.rules.windows import FinestraAnno, finestra_di, finestre_anno

_TYPES = {
    "monetario": TipoCofinanziamento.MONETARIO,
    "non monetario": TipoCofinanziamento.NON_MONETARIO,
    "non_monetario": TipoCofinanziamento.NON_MONETARIO,
    "volontariato": TipoCofinanziamento.VOLONTARIATO,
    "volontari": TipoCofinanziamento.VOLONTARIATO,
}


def tipo_cofinanziamento(text: object) -> TipoCofinanziamento | None:
    return _TYPES.get(norm(text))


# the declared kinds of co-financing that carry a date (column «Data»): a monetary row is derived from
# the expenses and belongs to the year as a whole
TIPI_DATATI = frozenset({TipoCofinanziamento.NON_MONETARIO, TipoCofinanziamento.VOLONTARIATO})
_NOMI_TIPO = {TipoCofinanziamento.NON_MONETARIO: "non monetaria", TipoCofinanziamento.VOLONTARIATO: "di volontariato"}


def finestra_voce(config: Config, anno: int, voce: VoceCofinanziamento) -> FinestraAnno | None:
    """The window of `anno` a non-monetary or volunteer row falls in by its date (column «Data»); None for
    a monetary row, a row of an unknown type, an undated row or a row dated in another year."""
    if voce.data is None or voce.data.year != anno or tipo_cofinanziamento(voce.tipo) not in TIPI_DATATI:
        return None
    return finestra_di(config, voce.data)


@dataclass(slots=True)
class EsitoVoce:
    """The outcome of one co-financing row: AMMESSA (counted in the totals), DA_INTEGRARE (not counted
    until completed), NON_AMMESSA or ESCLUSA (not counted), with its reasons."""

    riga: int
    esito: Esito
    motivi: list[Motivo]
    finestra: int | None = None   # the window its date places it in (non-monetary and volunteer rows)

    @property
    def conteggiata(self) -> bool:
        return self.esito is Esito.AMMESSA


def valuta_voci(config: Config, anno: int, data_riferimento: dt.date, voci: Sequence[VoceCofinanziamento], *,
                con_data: bool, motivi_extra: Mapping[int, Sequence[Motivo]] | None = None) -> list[EsitoVoce]:
    """The outcome of each co-financing row at the reference date (same effects as the expense rows,
    addin.rules.catalogue): the reader's cell problems, the seals' reasons (`motivi_extra`, by row) and,
    when the sheet has the column «Data» (`con_data`), the dates of the non-monetary and volunteer rows:
    dated outside the workbook's year -> DATA_FUORI_PERIODO (not counted); undated ->
    COFINANZIAMENTO_SENZA_DATA, to be completed until the lock of the year's last window, then excluded.
    A row to be completed waits for its window's lock (an undated row, for the last one)."""
    wins = finestre_anno(config, anno)
    last = wins[-1]
    start = max(config.periodo.inizio, dt.date(anno, 1, 1))
    end = min(config.periodo.fine, dt.date(anno, 12, 31))
    out: list[EsitoVoce] = []
    for v in voci:
        motivi = list(v.errori)
        kind = tipo_cofinanziamento(v.tipo)
        win = finestra_voce(config, anno, v)
        if con_data and kind in TIPI_DATATI:
            what = f"Voce {_NOMI_TIPO[kind]}"
            if v.data is None:
                motivi.append(Motivo("COFINANZIAMENTO_SENZA_DATA", (
                    f"{what} senza data: indicare nella colonna «Data» il giorno (o il primo giorno del mese) in cui "
                    + ("le ore sono state svolte" if kind is TipoCofinanziamento.VOLONTARIATO
                       else "la risorsa è stata messa a disposizione")
                    + f" entro il blocco del {last.blocco:%d/%m/%Y}; fino ad allora non è conteggiata.")))
            elif not start <= v.data <= end:
                motivi.append(Motivo("DATA_FUORI_PERIODO", f"{what} datata {v.data:%d/%m/%Y}, fuori dall'anno {anno} "
                                                           "della rendicontazione: non conteggiata."))
        motivi.extend((motivi_extra or {}).get(v.riga, ()))
        esito = Esito.AMMESSA
        if motivi:
            effects = {effetto(m.codice) for m in motivi}
            if "non_ammessa" in effects:
                esito = Esito.NON_AMMESSA
            elif "esclusa" in effects:
                esito = Esito.ESCLUSA
            elif "integrabile" in effects:
                lock = win or last
                if lock.chiusa(data_riferimento):
                    esito = Esito.ESCLUSA
                    motivi = [Motivo(m.codice, f"{m.messaggio} Non integrata entro il blocco del "
                                               f"{lock.blocco:%d/%m/%Y}: esclusa.")
                              if effetto(m.codice) == "integrabile" else m for m in motivi]
                else:
                    esito = Esito.DA_INTEGRARE
        out.append(EsitoVoce(v.riga, esito, motivi, win.numero if win is not None else None))
    return out


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


# a declared monetary co-financing that differs from the realised one by more than this is flagged
TOLLERANZA_MONETARIO = Decimal("1.00")


@dataclass(frozen=True, slots=True)
class TotaliCofinanziamento:
    """Co-financing of a programme and year by type.

    `monetario` is the realised monetary co-financing once `con_monetario_realizzato` has derived it
    (admitted expenditure − contribution due, never below 0); `monetario_dichiarato` is the sum of the
    declared `Monetario` rows, kept only to be reconciled with it. Non-monetary resources and volunteer
    work are declared (and recognised row by row)."""

    monetario: Decimal
    non_monetario: Decimal
    volontariato: Decimal
    monetario_dichiarato: Decimal = ZERO

    @property
    def totale(self) -> Decimal:
        return self.monetario + self.non_monetario + self.volontariato

    @property
    def valorizzato(self) -> Decimal:
        """Valued resources that are not expenses in `Spese` (non-monetary and volunteers)."""
        return self.non_monetario + self.volontariato

    @property
    def differenza_monetario(self) -> Decimal:
        """Declared minus realised monetary co-financing."""
        return self.monetario_dichiarato - self.monetario

    @property
    def monetario_incoerente(self) -> bool:
        """COFINANZIAMENTO_MONETARIO_INCOERENTE: declared and realised differ by more than 1 euro."""
        return abs(self.differenza_monetario) > TOLLERANZA_MONETARIO


def avviso_monetario(t: TotaliCofinanziamento, chi: str = "") -> str:
    """The Italian advisory COFINANZIAMENTO_MONETARIO_INCOERENTE (`chi`: "Programma 3: " in a consolidation)."""
    return (f"{chi}COFINANZIAMENTO_MONETARIO_INCOERENTE: cofinanziamento monetario dichiarato "
            f"{fmt_eur(t.monetario_dichiarato)}, realizzato {fmt_eur(t.monetario)} (spesa ammessa meno "
            f"contributo dovuto): differenza {fmt_eur(t.differenza_monetario)}. Vale il realizzato; "
            "verificare le righe «Monetario» del foglio Cofinanziamento.")


def totali_cofinanziamento(voci: Sequence[VoceCofinanziamento], cap: Decimal) -> TotaliCofinanziamento:
    """The declared totals (monetary as declared, until `con_monetario_realizzato`)."""
    t = {k: ZERO for k in TipoCofinanziamento}
    for v in voci:
        kind = tipo_cofinanziamento(v.tipo)
        if kind is not None:
            t[kind] += valore_voce(v, cap)
    mon = t[TipoCofinanziamento.MONETARIO]
    return TotaliCofinanziamento(mon, t[TipoCofinanziamento.NON_MONETARIO], t[TipoCofinanziamento.VOLONTARIATO], mon)


def monetario_realizzato(spesa_ammessa: Decimal, contributo_dovuto: Decimal) -> Decimal:
    """Realised monetary co-financing: the admitted expenditure the municipal contribution does not pay."""
    return max(ZERO, money(spesa_ammessa) - money(contributo_dovuto))


def con_monetario_realizzato(totali: TotaliCofinanziamento, spesa_ammessa: Decimal,
                             contributo_dovuto: Decimal) -> TotaliCofinanziamento:
    """The totals with the realised monetary co-financing (the declared one kept for reconciliation)."""
    return TotaliCofinanziamento(monetario_realizzato(spesa_ammessa, contributo_dovuto), totali.non_monetario,
                                 totali.volontariato, totali.monetario_dichiarato)


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
    """The minimum share of a given base (10% of a total cost already known)."""
    return money(base * config.cofinanziamento.quota_minima)


def cofinanziamento_minimo_comunale(config: Config, comunale: Decimal) -> Decimal:
    """The minimum co-financing next to a municipal amount. On the total-cost base the co-financing is
    itself part of the base: cofin >= q x (comunale + cofin) <=> cofin >= q / (1 - q) x comunale
    (P4 2026: 196,406.30 / 9 = 21,822.92). On the municipal base: q x comunale."""
    q = config.cofinanziamento.quota_minima
    if config.cofinanziamento.base == "costo_totale":
        return money(money(comunale) * q / (1 - q)) if q < 1 else money(comunale)
    return money(money(comunale) * q)


def cofinanziamento_mancante(config: Config, comunale: Decimal, cofinanziamento: Decimal) -> Decimal:
    """What is missing to the minimum: adding it brings the share exactly to the minimum."""
    return max(ZERO, cofinanziamento_minimo_comunale(config, comunale) - money(cofinanziamento))


def verifica_quota(config: Config, cofinanziamento: Decimal, base: Decimal) -> VerificaQuota:
    """The share of `cofinanziamento` in `base`. The minimum is computed on the municipal part (base −
    co-financing on the total-cost base), so that the shortfall, once added, reaches the minimum share."""
    cofinanziamento, base = money(cofinanziamento), money(base)
    comunale = base - cofinanziamento if config.cofinanziamento.base == "costo_totale" else base
    return VerificaQuota(cofinanziamento, base, ratio(cofinanziamento, base),
                         config.cofinanziamento.quota_minima, cofinanziamento_minimo_comunale(config, comunale))


def verifica_budget(config: Config, comunale: Decimal, cofinanziamento: Decimal) -> VerificaQuota:
    """The share as planned in a budget (comunale + cofinanziamento)."""
    return verifica_quota(config, cofinanziamento, base_cofinanziamento(config, comunale, cofinanziamento))


def verifica_realizzato(config: Config, spesa_ammessa: Decimal, totali: TotaliCofinanziamento,
                        contributo_comunale: Decimal | None = None) -> VerificaQuota:
    """The realised share, with `totali` carrying the realised monetary co-financing.

    Total cost = admitted expenses + recognised non-monetary resources and volunteer work (the monetary
    co-financing pays admitted expenses, so it is already inside them): the realised value. With the
    base "finanziamento_comunale" the base is the contribution due instead.
    """
    if config.cofinanziamento.base == "costo_totale":
        base = spesa_ammessa + totali.valorizzato
    else:
        base = contributo_comunale if contributo_comunale is not None else spesa_ammessa - totali.monetario
    return verifica_quota(config, totali.totale, base)


def contributo_massimo_per_quota(config: Config, valore_realizzato: Decimal) -> Decimal:
    """The largest contribution that keeps the minimum share of a realised value V (co-financing =
    V − contribution): (1 − q) × V on the total-cost base, V / (1 + q) on the municipal base."""
    q = config.cofinanziamento.quota_minima
    if config.cofinanziamento.base == "costo_totale":
        return money(money(valore_realizzato) * (1 - q))
    return money(money(valore_realizzato) / (1 + q))


@dataclass(frozen=True, slots=True)
class RiduzioneQuota:
    """The year-end reduction of the contributions that restores the minimum co-financing share."""

    totale: Decimal                    # Σ contribution due − largest contribution keeping the minimum share
    per_programma: dict[int, Decimal]  # its allocation (programmes below the minimum, by their shortfall)
    scoperto: dict[int, Decimal]       # each programme's own shortfall in contribution terms


def riduzione_quota(config: Config, programmi: Sequence[tuple[int, Decimal, Decimal]]) -> RiduzioneQuota:
    """`programmi`: (code, contribution due, realised value) of each programme of the year.

    A programme's co-financing is its realised value minus its contribution, so its shortfall in
    contribution terms is contribution − (1 − q) × realised value (total-cost base), when positive.
    Binding level "ats": when the ATS as a whole is below the minimum, the reduction
    Σ contribution − (1 − q) × Σ realised value (q = 10%: Σ C − 0.9 × Σ V) is allocated to the
    programmes below the minimum in proportion to their shortfall (largest remainder, to the cent;
    never more than a programme's own shortfall). Binding level "programma": each programme below the
    minimum is reduced by its own shortfall."""
    scoperto = {code: max(ZERO, money(c) - contributo_massimo_per_quota(config, v)) for code, c, v in programmi}
    if config.cofinanziamento.livello_vincolante == "programma":
        return RiduzioneQuota(sum(scoperto.values(), ZERO), dict(scoperto), scoperto)
    total_c = sum((money(c) for _, c, _ in programmi), ZERO)
    total_v = sum((money(v) for _, _, v in programmi), ZERO)
    # (at most the sum of the shortfalls: per-programme rounding must not cut anyone beyond its own)
    reduction = min(max(ZERO, total_c - contributo_massimo_per_quota(config, total_v)),
                    sum(scoperto.values(), ZERO))
    codes = [code for code, _, _ in programmi]
    parts = allocate(reduction, [scoperto[k] for k in codes]) if reduction > 0 else [ZERO] * len(codes)
    return RiduzioneQuota(reduction, dict(zip(codes, parts)), scoperto)
