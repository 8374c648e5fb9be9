"""Payments made by the Comune against the planned tranches: paid, still due, late, to recover.

The payments are acts of the Comune (they live in the register); this module only computes with
them. The planned advances are the shares of the approved municipal budget (`piano_tranche`); the
planned balance is what the final contribution leaves after the advances actually paid (or, before
the contribution is known, the plan's last share). The balance of the year is
contribution due − payments made: positive, still to pay; negative, an amount to recover, which the
configuration may offset against the next year's tranche marked `compensazione = true`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from addin.config.models import Config
from addin.rules.money import ZERO, money
from addin.rules.tranches import piano_tranche


@dataclass(frozen=True, slots=True)
class Pagamento:
    """One payment made by the Comune (an act of the register): a tranche of a programme's year."""

    programma: int
    anno: int
    tranche: int
    data: dt.date
    importo: Decimal
    mandato: str | None = None   # the payment order's reference


@dataclass(frozen=True, slots=True)
class StatoTranche:
    """A tranche of a year: planned, paid and still due side by side."""

    numero: int
    descrizione: str
    scadenza: dt.date
    saldo: bool
    previsto: Decimal            # planned amount (the balance: contribution − advances paid, ≥ 0)
    compensato: Decimal          # previous year's amount to recover offset on this tranche
    pagamenti: tuple[Pagamento, ...]
    scaduta: bool                # the due date has passed at the reference date

    @property
    def pagato(self) -> Decimal:
        return sum((p.importo for p in self.pagamenti), ZERO)

    @property
    def da_pagare(self) -> Decimal:
        """Still due on this tranche (never negative: a payment beyond the plan shows in the balance)."""
        return max(ZERO, self.previsto - self.compensato - self.pagato)

    @property
    def pagamenti_in_ritardo(self) -> tuple[Pagamento, ...]:
        return tuple(p for p in self.pagamenti if p.data > self.scadenza)

    @property
    def in_ritardo(self) -> bool:
        """Some payment came after the due date, or something is still due after it."""
        return bool(self.pagamenti_in_ritardo) or (self.scaduta and self.da_pagare > 0)

    @property
    def stato(self) -> str:
        """Italian label for sheets and reports."""
        if self.da_pagare == 0 and not self.pagamenti and self.compensato:
            return "Compensata"
        if self.da_pagare == 0 and self.pagamenti:
            return "Pagata in ritardo" if self.pagamenti_in_ritardo else "Pagata"
        if self.pagato > 0:
            return "Pagata in parte, scaduta" if self.scaduta else "Pagata in parte"
        if self.previsto == 0:
            return "Nulla da pagare"
        return "Scaduta, non pagata" if self.scaduta else "Da pagare"


@dataclass(frozen=True, slots=True)
class SituazionePagamenti:
    programma: int
    anno: int
    data_riferimento: dt.date
    contributo_previsto: Decimal           # approved municipal budget of the year
    contributo_dovuto: Decimal | None      # final contribution (None: not computed yet)
    tranche: list[StatoTranche]
    compensazione_ricevuta: Decimal        # previous year's amount to recover offset on this year
    fuori_piano: list[Pagamento] = field(default_factory=list)   # tranche numbers not configured

    @property
    def pagato(self) -> Decimal:
        return sum((t.pagato for t in self.tranche), ZERO) + sum((p.importo for p in self.fuori_piano), ZERO)

    @property
    def saldo(self) -> Decimal | None:
        """Contribution due − payments made − previous recovery offset here; negative: to recover."""
        if self.contributo_dovuto is None:
            return None
        return self.contributo_dovuto - self.pagato - self.compensazione_ricevuta

    @property
    def da_recuperare(self) -> Decimal:
        s = self.saldo
        return -s if s is not None and s < 0 else ZERO

    @property
    def in_ritardo(self) -> list[StatoTranche]:
        return [t for t in self.tranche if t.in_ritardo]


def situazione_pagamenti(config: Config, programma: int, anno: int, contributo_previsto: Decimal,
                         pagamenti: Sequence[Pagamento], data_riferimento: dt.date, *,
                         contributo_dovuto: Decimal | None = None,
                         da_recuperare_precedente: Decimal = ZERO) -> SituazionePagamenti:
    """Planned, paid and due per tranche of one programme's year at the reference date.

    `pagamenti` may hold other programmes' and years' payments: only this programme's year counts.
    `da_recuperare_precedente` is the previous year's amount to recover; it is offset on the tranche
    configured with `compensazione = true` (at most that tranche's planned amount), and only then.
    """
    own = sorted((p for p in pagamenti if p.programma == programma and p.anno == anno),
                 key=lambda p: (p.data, p.tranche))
    plan = piano_tranche(config, anno, contributo_previsto)
    by_number = {t.numero: t for t in config.tranche}
    numbers = {r.numero for r in plan}
    paid_advances = sum((p.importo for p in own if p.tranche in numbers and not by_number[p.tranche].saldo), ZERO)
    to_offset = money(da_recuperare_precedente) if da_recuperare_precedente > 0 else ZERO
    received = ZERO
    rows: list[StatoTranche] = []
    for r in plan:
        planned = r.importo
        if r.saldo and contributo_dovuto is not None:
            planned = max(ZERO, money(contributo_dovuto) - paid_advances - received)
        offset = ZERO
        if by_number[r.numero].compensazione and to_offset > 0:
            offset = min(to_offset, planned)
            received += offset
            to_offset -= offset
        rows.append(StatoTranche(r.numero, r.descrizione, r.scadenza, r.saldo, planned, offset,
                                 tuple(p for p in own if p.tranche == r.numero), r.scadenza < data_riferimento))
    return SituazionePagamenti(programma, anno, data_riferimento, money(contributo_previsto),
                               None if contributo_dovuto is None else money(contributo_dovuto), rows, received,
                               [p for p in own if p.tranche not in numbers])
