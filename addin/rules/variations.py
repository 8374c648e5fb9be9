"""Budget variations approved by the Cabina di regia, applied per action and category.

The approved variations are acts of the Comune (they live in the register, with the approval date
and the minute's reference); the variation columns of a partner's `Budget` sheet are only proposals.
The approved current budget of an action × category is its initial figure (the sheet's "iniziale"
columns) plus every approved variation up to the reference date; the programme's municipal budget,
which the contribution and the tranches use, is the configured one plus the approved municipal
variations (a variation moving money between two actions changes the first, not the second).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import BudgetAnno, Config
from addin.rules.budget import VoceBudget, _cat_order
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.money import ZERO, fmt_eur, money


@dataclass(frozen=True, slots=True)
class RigaVariazione:
    """One line of a variation: the change (+/-) of an action × category's budget."""

    azione: str           # action code ("1.2")
    categoria: str        # category code
    comunale: Decimal = ZERO
    cofinanziamento: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class VariazioneBudget:
    """A variation approved by the Cabina di regia (an act of the register)."""

    programma: int
    anno: int
    data_approvazione: dt.date
    verbale: str                           # the minute's reference
    righe: tuple[RigaVariazione, ...]
    descrizione: str = ""

    @property
    def comunale(self) -> Decimal:
        return sum((r.comunale for r in self.righe), ZERO)

    @property
    def cofinanziamento(self) -> Decimal:
        return sum((r.cofinanziamento for r in self.righe), ZERO)


def errori_variazione(config: Config, v: VariazioneBudget) -> list[str]:
    """What is wrong with a variation before it is recorded (Italian; empty when it is fine)."""
    errs: list[str] = []
    try:
        prog = config.programma(v.programma)
    except KeyError:
        return [f"il programma {v.programma} non è configurato."]
    if v.anno not in prog.budget:
        errs.append(f"nessun budget del programma {v.programma} per l'anno {v.anno}.")
    if not v.verbale.strip():
        errs.append("indicare il riferimento del verbale della Cabina di regia.")
    if not v.righe:
        errs.append("la variazione non ha righe.")
    for i, r in enumerate(v.righe, start=1):
        if norm_action(r.azione) not in prog.codici_azioni:
            errs.append(f"riga {i}: l'azione «{r.azione}» non è del programma {v.programma} "
                        f"({', '.join(prog.codici_azioni)}).")
        if config.categoria(r.categoria) is None:
            errs.append(f"riga {i}: categoria «{r.categoria}» sconosciuta "
                        f"({', '.join(c.codice for c in config.categorie)}).")
        if r.comunale == 0 and r.cofinanziamento == 0:
            errs.append(f"riga {i}: variazione nulla.")
        if money(r.comunale) != r.comunale or money(r.cofinanziamento) != r.cofinanziamento:
            errs.append(f"riga {i}: gli importi vanno indicati al centesimo.")
    return errs


def approvate(variazioni: Sequence[VariazioneBudget], programma: int, anno: int,
              alla_data: dt.date | None = None) -> list[VariazioneBudget]:
    """The programme's year variations approved by the reference date, in approval order."""
    return sorted((v for v in variazioni if v.programma == programma and v.anno == anno
                   and (alla_data is None or v.data_approvazione <= alla_data)),
                  key=lambda v: v.data_approvazione)


def budget_programma_approvato(config: Config, programma: int, anno: int, variazioni: Sequence[VariazioneBudget],
                               alla_data: dt.date | None = None) -> BudgetAnno:
    """The programme's budget of the year: configured + approved variations (contribution and tranches
    use its `comunale`)."""
    b = config.programma(programma).budget_anno(anno)
    vs = approvate(variazioni, programma, anno, alla_data)
    return BudgetAnno(comunale=money(b.comunale) + sum((v.comunale for v in vs), ZERO),
                      cofinanziamento=money(b.cofinanziamento) + sum((v.cofinanziamento for v in vs), ZERO))


@dataclass(frozen=True, slots=True)
class VoceApprovata:
    """An action × category: initial budget, approved variations, current, and the partner's proposal."""

    azione: str
    categoria: str
    comunale_iniziale: Decimal
    cofin_iniziale: Decimal
    comunale_variazioni: Decimal
    cofin_variazioni: Decimal
    comunale_proposto: Decimal   # the partner's current figure in the Budget sheet (variations typed)
    cofin_proposto: Decimal

    @property
    def comunale_attuale(self) -> Decimal:
        return self.comunale_iniziale + self.comunale_variazioni

    @property
    def cofin_attuale(self) -> Decimal:
        return self.cofin_iniziale + self.cofin_variazioni

    @property
    def totale_attuale(self) -> Decimal:
        return self.comunale_attuale + self.cofin_attuale

    @property
    def differenza_comunale(self) -> Decimal:
        """Proposed − approved (municipal): a variation typed by the partner, not yet approved."""
        return self.comunale_proposto - self.comunale_attuale

    @property
    def differenza_cofin(self) -> Decimal:
        return self.cofin_proposto - self.cofin_attuale

    @property
    def proposta_non_approvata(self) -> bool:
        return bool(self.differenza_comunale or self.differenza_cofin)

    def come_voce_budget(self) -> VoceBudget:
        """The approved current figures as a `VoceBudget` (the budget check's input): the approved
        variations go in the July slot, the November slot stays empty (the partner's columns are
        proposals and are not carried)."""
        return VoceBudget(self.azione, self.categoria, comunale_iniziale=self.comunale_iniziale,
                          comunale_luglio=self.comunale_variazioni, cofin_iniziale=self.cofin_iniziale,
                          cofin_luglio=self.cofin_variazioni)


def budget_approvato(config: Config, voci_foglio: Sequence[VoceBudget], variazioni: Sequence[VariazioneBudget],
                     programma: int, anno: int, alla_data: dt.date | None = None) -> list[VoceApprovata]:
    """Per action × category: the sheet's initial figures + the approved variations, beside what the
    partner typed as current (initial + its own July/November columns)."""
    lk = lookup_for(config)

    def key(azione: object, categoria: object) -> tuple[str, str]:
        cat = lk.categoria(categoria)
        return norm_action(azione), cat.codice if cat is not None else str(categoria or "")

    acc: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO] * 6)
    for v in voci_foglio:
        a = acc[key(v.azione, v.categoria)]
        a[0] += money(v.comunale_iniziale)
        a[1] += money(v.cofin_iniziale)
        a[4] += v.comunale_attuale
        a[5] += v.cofin_attuale
    for var in approvate(variazioni, programma, anno, alla_data):
        for r in var.righe:
            a = acc[key(r.azione, r.categoria)]
            a[2] += r.comunale
            a[3] += r.cofinanziamento
    order = {c: i for i, c in enumerate(config.programma(programma).codici_azioni)}
    keys = sorted(acc, key=lambda k: (order.get(k[0], len(order)), k[0], _cat_order(config, k[1])))
    return [VoceApprovata(k[0], k[1], *acc[k]) for k in keys]


def differenze_proposte(config: Config, voci: Sequence[VoceApprovata]) -> list[str]:
    """The partner's variations not (yet) approved, one Italian line each."""
    names = {c.codice: c.nome for c in config.categorie}
    out = []
    for v in voci:
        if not v.proposta_non_approvata:
            continue
        parts = []
        if v.differenza_comunale:
            parts.append(f"comunale proposto {fmt_eur(v.comunale_proposto)}, approvato {fmt_eur(v.comunale_attuale)} "
                         f"(differenza {fmt_eur(v.differenza_comunale)})")
        if v.differenza_cofin:
            parts.append(f"cofinanziamento proposto {fmt_eur(v.cofin_proposto)}, approvato "
                         f"{fmt_eur(v.cofin_attuale)} (differenza {fmt_eur(v.differenza_cofin)})")
        out.append(f"Azione {v.azione}, {names.get(v.categoria, v.categoria)}: {'; '.join(parts)}: "
                   "variazione proposta, non approvata dalla Cabina di regia.")
    return out
