"""Use case: the yearly budget overview (budget, co-financing share, tranche plan) from the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from addin.config.models import Config
from addin.rules.cofinancing import VerificaQuota, verifica_budget
from addin.rules.money import ZERO
from addin.rules.tranches import RataPiano, piano_tranche


@dataclass(frozen=True)
class RigaQuadro:
    codice: str          # "P1".."P6" or "ATS"
    nome: str
    comunale: Decimal
    cofinanziamento: Decimal
    quota: VerificaQuota
    vincolante: bool     # the binding level (ATS by default)
    tranche: list[RataPiano]

    @property
    def totale(self) -> Decimal:
        return self.comunale + self.cofinanziamento


def quadro_annuale(config: Config, anno: int) -> list[RigaQuadro]:
    rows = []
    tot_c = tot_f = ZERO
    binding_programme = config.cofinanziamento.livello_vincolante == "programma"
    for p in config.programmi:
        b = p.budget_anno(anno)
        tot_c += b.comunale
        tot_f += b.cofinanziamento
        rows.append(RigaQuadro(f"P{p.codice}", p.nome, b.comunale, b.cofinanziamento,
                               verifica_budget(config, b.comunale, b.cofinanziamento), binding_programme,
                               piano_tranche(config, anno, b.comunale)))
    rows.append(RigaQuadro("ATS", f"ATS {config.ats}", tot_c, tot_f, verifica_budget(config, tot_c, tot_f),
                           not binding_programme, piano_tranche(config, anno, tot_c)))
    return rows
