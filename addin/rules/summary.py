"""What the `Riepilogo` and `Tranche` sheets of a programme workbook show, computed from the rules.

Pure: no workbook I/O. The template's native Excel formulas compute the same figures from the same
rows; tests/test_templates.py proves the two agree to the cent after a LibreOffice recalculation.

The sheets work on what the partner *reported* (Importo rendicontato): the workbook cannot decide
eligibility by itself, so the tranche figures are a provisional estimate until the Comune's check.
Figures that are rule decisions come from the rule functions (cofinancing, tranches), never
reimplemented here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.budget import VoceBudget
from addin.rules.cofinancing import (TariffaVolontari, TotaliCofinanziamento, VerificaQuota,
                                     con_monetario_realizzato, tariffa_volontari, totali_cofinanziamento,
                                     verifica_realizzato)
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.rules.money import ZERO, money
from addin.rules.tranches import Liquidazione, RataPiano, liquidazione, piano_tranche


@dataclass(frozen=True, slots=True)
class RigaAzioneCategoria:
    """One row of the Riepilogo list: an action × category pair of the programme."""

    azione: str
    categoria: str          # category code
    budget_comunale: Decimal
    budget_cofin: Decimal
    rendicontato: Decimal

    @property
    def budget_totale(self) -> Decimal:
        return self.budget_comunale + self.budget_cofin

    @property
    def residuo(self) -> Decimal:
        return self.budget_totale - self.rendicontato


@dataclass(frozen=True, slots=True)
class Riepilogo:
    programma: int
    anno: int
    contributo_previsto: Decimal     # municipal budget of the year (configuration)
    cofin_previsto: Decimal          # planned co-financing of the year (configuration)
    righe: list[RigaAzioneCategoria]
    per_azione: dict[str, Decimal]        # reported, by action code
    per_categoria: dict[str, Decimal]     # reported, by category code
    rendicontato: Decimal                 # every reported amount on Spese
    tariffa: TariffaVolontari
    cofinanziamento: TotaliCofinanziamento   # monetary: realised (reported − contribution), declared kept
    quota: VerificaQuota
    piano: list[RataPiano]
    liquidazione: Liquidazione

    @property
    def valore_previsto(self) -> Decimal:
        return self.contributo_previsto + self.cofin_previsto

    @property
    def attribuito(self) -> Decimal:
        """Reported on rows with an action of the programme and a known category."""
        return sum(self.per_azione.values(), ZERO)

    @property
    def non_attribuito(self) -> Decimal:
        return self.rendicontato - self.attribuito

    @property
    def valore_realizzato(self) -> Decimal:
        return self.rendicontato + self.cofinanziamento.valorizzato

    @property
    def budget_comunale(self) -> Decimal:
        return sum((r.budget_comunale for r in self.righe), ZERO)

    @property
    def budget_cofin(self) -> Decimal:
        return sum((r.budget_cofin for r in self.righe), ZERO)


def riepilogo(config: Config, programma: int, anno: int, spese: Sequence[Spesa],
              cofinanziamento: Sequence[VoceCofinanziamento] = (),
              budget: Sequence[VoceBudget] = ()) -> Riepilogo:
    prog = config.programma(programma)
    lk = lookup_for(config)
    b = prog.budget_anno(anno)
    contributo, cofin_prev = money(b.comunale), money(b.cofinanziamento)

    cats = [c.codice for c in config.categorie]
    rep: dict[tuple[str, str], Decimal] = {(a, c): ZERO for a in prog.codici_azioni for c in cats}
    total = ZERO
    for s in spese:
        if s.importo is None:
            continue
        total += s.importo
        cat = lk.categoria(s.categoria)
        key = (norm_action(s.azione), cat.codice if cat else "")
        if key in rep:
            rep[key] += s.importo
    bud_c: dict[tuple[str, str], Decimal] = {k: ZERO for k in rep}
    bud_f: dict[tuple[str, str], Decimal] = {k: ZERO for k in rep}
    for v in budget:
        key = (norm_action(v.azione), v.categoria)
        if key in rep:
            bud_c[key] += v.comunale_attuale
            bud_f[key] += v.cofin_attuale
    righe = [RigaAzioneCategoria(a, c, bud_c[(a, c)], bud_f[(a, c)], rep[(a, c)])
             for a in prog.codici_azioni for c in cats]
    per_azione = {a: sum((rep[(a, c)] for c in cats), ZERO) for a in prog.codici_azioni}
    per_categoria = {c: sum((rep[(a, c)] for a in prog.codici_azioni), ZERO) for c in cats}

    total = money(total)
    tariffa = tariffa_volontari(config, anno, programma)
    dichiarato = totali_cofinanziamento(list(cofinanziamento), tariffa.valore)
    piano = piano_tranche(config, anno, contributo)
    liq = liquidazione(config, anno, contributo, contributo + cofin_prev, total + dichiarato.valorizzato, total)
    tot_cofin = con_monetario_realizzato(dichiarato, total, liq.contributo_finale)
    quota = verifica_realizzato(config, total, tot_cofin, liq.contributo_finale)
    return Riepilogo(programma, anno, contributo, cofin_prev, righe, per_azione, per_categoria, total,
                     tariffa, tot_cofin, quota, piano, liq)
