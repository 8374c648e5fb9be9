"""The three years together: per-year and cumulative figures, and double funding across years.

Pure: the use cases give the figures of each year (from the yearly checks and the register) and the
rows claimed in each year's workbooks; nothing here reads a file.

- `triennio`: per year and cumulative budget, admitted, co-financing share, contribution, paid, to
  recover (the cumulative share is the sum of co-financing over the sum of the bases, not an average
  of shares).
- `situazioni_anni`: the payment situations of a programme's years in order, the amount to recover of
  a year offset on the next year's tranche when the configuration marks one (`compensazione`).
- `doppi_documenti_anni`: a document (supplier + number) claimed in the workbooks of more than one
  year for more than 100% of its amount.
- `persone_oltre_tempo`: the same person claimed in the same month by the workbooks of more than one
  year for more hours than a month's full time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.lookup import norm
from addin.rules.money import ZERO, fmt_eur, money, ratio
from addin.rules.payments import Pagamento, SituazionePagamenti, situazione_pagamenti


# --- figures per year and cumulative --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DatiAnno:
    """A year's money for a programme or the ATS (`anno` None: the cumulative row)."""

    anno: int | None
    budget_comunale: Decimal
    budget_cofin: Decimal
    ammesso: Decimal
    cofinanziamento: Decimal         # realised co-financing (monetary + non-monetary + volunteers)
    base_cofinanziamento: Decimal    # the base of the minimum share (as the yearly check computes it)
    contributo: Decimal              # contribution due (final, or the approved budget while not known)
    pagato: Decimal                  # payments made (cash)
    compensazione_ricevuta: Decimal = ZERO   # previous year's recovery offset on this year's tranche
    recuperato: Decimal = ZERO               # this year's excess recovered by offset on the next year

    @property
    def budget_totale(self) -> Decimal:
        return self.budget_comunale + self.budget_cofin

    @property
    def quota_cofinanziamento(self) -> Decimal:
        return ratio(self.cofinanziamento, self.base_cofinanziamento)

    @property
    def saldo(self) -> Decimal:
        """Contribution − paid (an offset received counts as paid, a recovery by offset as returned)."""
        return self.contributo - self.pagato - self.compensazione_ricevuta + self.recuperato

    @property
    def da_pagare(self) -> Decimal:
        return max(ZERO, self.saldo)

    @property
    def da_recuperare(self) -> Decimal:
        return max(ZERO, -self.saldo)


def triennio(anni: Sequence[DatiAnno]) -> tuple[list[DatiAnno], DatiAnno]:
    """The years in order and the cumulative row (sums; the share recomputed from the sums)."""
    rows = sorted(anni, key=lambda d: d.anno or 0)

    def total(name: str) -> Decimal:
        return sum((getattr(d, name) for d in rows), ZERO)

    return rows, DatiAnno(None, *(total(n) for n in (
        "budget_comunale", "budget_cofin", "ammesso", "cofinanziamento", "base_cofinanziamento", "contributo",
        "pagato", "compensazione_ricevuta", "recuperato")))


def somma_programmi(righe: Sequence[DatiAnno], anno: int | None) -> DatiAnno:
    """The ATS row of a year: the sums of the programmes' rows."""
    return DatiAnno(anno, *(sum((getattr(d, n) for d in righe), ZERO) for n in (
        "budget_comunale", "budget_cofin", "ammesso", "cofinanziamento", "base_cofinanziamento", "contributo",
        "pagato", "compensazione_ricevuta", "recuperato")))


def situazioni_anni(config: Config, programma: int, contributi: Mapping[int, tuple[Decimal, Decimal | None]],
                    pagamenti: Sequence[Pagamento], data_riferimento: dt.date) -> dict[int, SituazionePagamenti]:
    """Payment situations of a programme's years, in order. `contributi`: year -> (approved municipal
    budget, final contribution or None). A year's amount to recover passes to the next year when some
    tranche is configured for the offset (`compensazione = true`); otherwise it stays to recover."""
    offset_on = any(t.compensazione for t in config.tranche)
    out: dict[int, SituazionePagamenti] = {}
    carry = ZERO
    for anno in sorted(contributi):
        previsto, dovuto = contributi[anno]
        s = situazione_pagamenti(config, programma, anno, previsto, pagamenti, data_riferimento,
                                 contributo_dovuto=dovuto, da_recuperare_precedente=carry if offset_on else ZERO)
        out[anno] = s
        carry = s.da_recuperare
    return out


def recuperi_compensati(situazioni: Mapping[int, SituazionePagamenti]) -> dict[int, Decimal]:
    """Year -> its amount to recover offset on the next year's tranche."""
    return {anno: situazioni[anno + 1].compensazione_ricevuta if anno + 1 in situazioni else ZERO
            for anno in situazioni}


# --- double funding across years -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RigaDocumento:
    """A row of a year's workbook claiming a document (the check gives its identity and amounts)."""

    anno: int
    programma: int
    file: str
    riga: int
    documento: tuple[str, str]       # eligibility.chiave_documento(fornitore, numero)
    fornitore: str
    numero: str
    importo_documento: Decimal | None
    rendicontato: Decimal
    ammesso: Decimal


@dataclass(frozen=True, slots=True)
class DoppioAnni:
    """One document or person found beyond 100% across years: every place, the excess and a message."""

    descrizione: str
    luoghi: tuple[tuple[int, int, str, int], ...]     # (year, programme, file, row)
    eccedenza: Decimal | None                          # admitted beyond the document (None: no amount)


def doppi_documenti_anni(righe: Sequence[RigaDocumento]) -> list[DoppioAnni]:
    """Documents claimed in the workbooks of more than one year for more than 100% of their amount.

    The document amount is the largest given for it; with none given, any claim in more than one year
    is reported. The excess is measured on the admitted amounts, in year, file and row order (what
    would be paid twice). Claims within one year are the yearly consolidation's business."""
    groups: dict[tuple[str, str], list[RigaDocumento]] = defaultdict(list)
    for r in righe:
        groups[r.documento].append(r)
    out: list[DoppioAnni] = []
    for rows in groups.values():
        years = sorted({r.anno for r in rows})
        if len(years) < 2:
            continue
        rows.sort(key=lambda r: (r.anno, r.file, r.riga))
        amounts = [r.importo_documento for r in rows if r.importo_documento is not None]
        doc = money(max(amounts)) if amounts else None
        claimed = sum((r.rendicontato for r in rows), ZERO)
        admitted = sum((r.ammesso for r in rows), ZERO)
        if doc is not None and claimed <= doc:
            continue
        where = "; ".join(f"{r.anno} P{r.programma} {r.file} riga {r.riga}" for r in rows)
        years_txt = ", ".join(str(y) for y in years)
        first = rows[0]
        if doc is None:
            text = (f"Documento {first.numero} di {first.fornitore} senza importo del documento, rendicontato "
                    f"negli anni {years_txt}: {where}.")
            excess = None
        else:
            excess = max(ZERO, admitted - doc)
            text = (f"Documento {first.numero} di {first.fornitore} (importo {fmt_eur(doc)}) rendicontato per "
                    f"{fmt_eur(claimed)} e ammesso per {fmt_eur(admitted)} negli anni {years_txt}: {where}. "
                    f"Eccedenza ammessa: {fmt_eur(excess)}.")
        out.append(DoppioAnni(text, tuple((r.anno, r.programma, r.file, r.riga) for r in rows), excess))
    return sorted(out, key=lambda d: d.luoghi[0])


@dataclass(frozen=True, slots=True)
class OrePersona:
    """Hours of a person claimed in a month (of competence) by a row of a year's workbook."""

    anno: int
    programma: int
    file: str
    riga: int
    persona: str
    mese: dt.date        # any day of the month of competence (the pay slip's month)
    ore: Decimal


_MESI = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
         "ottobre", "novembre", "dicembre")


def persone_oltre_tempo(righe: Sequence[OrePersona], ore_mese: Decimal) -> list[DoppioAnni]:
    """The same person in the same month claimed by the workbooks of more than one year for more than a
    month's full time (`ore_mese` hours, 100% of time). Within one year the yearly check decides."""
    groups: dict[tuple[str, int, int], list[OrePersona]] = defaultdict(list)
    for r in righe:
        who = norm(r.persona)
        if who and r.ore > 0:
            groups[(who, r.mese.year, r.mese.month)].append(r)
    out: list[DoppioAnni] = []
    for (_, y, m), rows in groups.items():
        if len({r.anno for r in rows}) < 2:
            continue
        hours = sum((r.ore for r in rows), Decimal(0))
        if hours <= ore_mese:
            continue
        rows.sort(key=lambda r: (r.anno, r.file, r.riga))
        where = "; ".join(f"{r.anno} P{r.programma} {r.file} riga {r.riga} ({_ore(r.ore)} ore)" for r in rows)
        years_txt = ", ".join(str(a) for a in sorted({r.anno for r in rows}))
        text = (f"{rows[0].persona}: {_ore(hours)} ore in {_MESI[m - 1]} {y} nei rendiconti degli anni {years_txt}, "
                f"oltre il tempo pieno di {_ore(ore_mese)} ore ({_ore(hours * 100 / ore_mese)}%): {where}.")
        out.append(DoppioAnni(text, tuple((r.anno, r.programma, r.file, r.riga) for r in rows), None))
    return sorted(out, key=lambda d: d.luoghi[0])


def _ore(v: Decimal) -> str:
    q = v.quantize(Decimal("0.01"))
    s = f"{q:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return s[:-3] if s.endswith(",00") else s
