"""Budget per action and category: initial, July and November variations, current; and its use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.models import EsitoRiga, Spesa
from addin.rules.money import ZERO, fmt_eur, money


@dataclass(slots=True)
class VoceBudget:
    azione: str
    categoria: str  # category code
    comunale_iniziale: Decimal = ZERO
    comunale_luglio: Decimal = ZERO
    comunale_novembre: Decimal = ZERO
    cofin_iniziale: Decimal = ZERO
    cofin_luglio: Decimal = ZERO
    cofin_novembre: Decimal = ZERO
    riga: int | None = None

    @property
    def comunale_attuale(self) -> Decimal:
        return money(self.comunale_iniziale + self.comunale_luglio + self.comunale_novembre)

    @property
    def cofin_attuale(self) -> Decimal:
        return money(self.cofin_iniziale + self.cofin_luglio + self.cofin_novembre)

    @property
    def totale_attuale(self) -> Decimal:
        return self.comunale_attuale + self.cofin_attuale


@dataclass(frozen=True, slots=True)
class UsoBudget:
    azione: str
    categoria: str
    budget: Decimal  # current total (comunale + cofinanziamento)
    rendicontato: Decimal
    ammesso: Decimal

    @property
    def residuo(self) -> Decimal:
        return self.budget - self.ammesso

    @property
    def superato(self) -> bool:
        return self.ammesso > self.budget


def uso_budget(config: Config, voci: Sequence[VoceBudget], spese: Sequence[Spesa],
               esiti: Sequence[EsitoRiga]) -> list[UsoBudget]:
    """Admitted spending per action × category against the current budget (overspending flagged).
    Rows whose action or category cannot be resolved are not attributed."""
    lk = lookup_for(config)
    budget: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for v in voci:
        cat = lk.categoria(v.categoria)  # a code, or the Italian label as written in the sheet
        budget[(norm_action(v.azione), cat.codice if cat is not None else v.categoria)] += v.totale_attuale
    rep: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    adm: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for s, r in zip(spese, esiti, strict=True):
        cat = lk.categoria(s.categoria)
        if cat is None or not s.azione:
            continue
        key = (norm_action(s.azione), cat.codice)
        rep[key] += r.importo
        adm[key] += r.importo_ammesso
    keys = sorted(set(budget) | set(rep), key=lambda k: (k[0], _cat_order(config, k[1])))
    return [UsoBudget(a, c, budget[(a, c)], rep[(a, c)], adm[(a, c)]) for a, c in keys]


def _cat_order(config: Config, code: str) -> int:
    for i, c in enumerate(config.categorie):
        if c.codice == code:
            return i
    return len(config.categorie)


def budget_non_conforme(config: Config, programma: int, anno: int, voci: Sequence[VoceBudget]) -> str | None:
    """BUDGET_NON_CONFORME (advisory): the initial budget typed in the `Budget` sheet (sum of its rows,
    municipal and co-financing) differs from the configured budget of the programme and year; None
    when they agree or no initial amount is typed."""
    b = config.programma(programma).budget_anno(anno)
    comunale = money(sum((v.comunale_iniziale for v in voci), ZERO))
    cofin = money(sum((v.cofin_iniziale for v in voci), ZERO))
    if not comunale and not cofin:   # nothing typed yet: nothing to reconcile
        return None
    diffs = [f"{what} iniziale {fmt_eur(typed)} invece di {fmt_eur(money(conf))} (differenza {fmt_eur(typed - money(conf))})"
             for what, typed, conf in (("comunale", comunale, b.comunale), ("cofinanziamento", cofin, b.cofinanziamento))
             if typed != money(conf)]
    if not diffs:
        return None
    return (f"BUDGET_NON_CONFORME: il foglio «Budget» del programma {programma} per il {anno} riporta "
            f"{'; '.join(diffs)} rispetto al budget configurato: da riconciliare (solo segnalazione).")
