"""The one definition of "reduction by reason" (decurtazioni per motivo) that the CLI, the report
workbook and the verbale all show.

A row's amount not admitted (reported - admitted, da integrare included) is counted once, under
its *decisive* reason: the first reason of the strongest effect it carries, in the order
non ammessa > esclusa > da integrare (integrabile) > riduzione. So the figures per reason add up
exactly to the total not admitted, and a row with three reasons is never counted three times.
An advisory reason (``segnalazione``: a supplier member of the ATS, discordant document amounts) cuts
nothing and is never decisive; a reason to be justified (``integrabile_riduzione``: hours beyond the
monthly maximum) counts as *da integrare* while the row is DA_INTEGRARE and as a reduction afterwards.
A code outside the catalogue (never expected) counts as the strongest effect; a row with an amount
not admitted but no deciding reason (an invalid amount of zero has none) is counted under ``ALTRO``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from addin.rules.catalogue import CATALOGO
from addin.rules.models import Esito, EsitoRiga, Spesa
from addin.rules.money import ZERO

ALTRO = "ALTRO"
# every effect of the catalogue (rules.catalogue.Effetto): a missing one made Verifica fail with a KeyError
# the effects that cut an amount (catalogue.Effetto); «integrabile_riduzione» ranks as one of its two
# meanings (_rank), «segnalazione» cuts nothing
_STRENGTH = {"non_ammessa": 0, "esclusa": 1, "integrabile": 2, "riduzione": 3}


def _rank(codice: str, esito: Esito) -> int | None:
    """Strength of a reason for a row with this outcome (lower decides); None: it cuts nothing."""
    v = CATALOGO.get(codice)
    if v is None:
        return -1
    if v.effetto == "segnalazione":
        return None
    if v.effetto == "integrabile_riduzione":
        return _STRENGTH["integrabile" if esito is Esito.DA_INTEGRARE else "riduzione"]
    return _STRENGTH[v.effetto]


def motivo_decisivo(e: EsitoRiga) -> str | None:
    """The code a row's amount not admitted is counted under; None when everything is admitted."""
    if e.importo - e.importo_ammesso <= 0:
        return None
    best, rank = None, 99
    for m in e.motivi:
        r = _rank(m.codice, e.esito)
        if r is not None and r < rank:
            best, rank = m.codice, r
    return best or ALTRO


@dataclass
class Decurtazione:
    """Amount not admitted under one decisive reason, with its split by category."""

    codice: str
    righe: int = 0
    importo: Decimal = ZERO
    da_integrare: Decimal = ZERO            # of which still to be completed (window open)
    righe_con_motivo: int = 0               # rows carrying the code at all (decisive or not)
    per_categoria: dict[str, Decimal] = field(default_factory=dict)

    @property
    def descrizione(self) -> str:
        v = CATALOGO.get(self.codice)
        return v.descrizione if v is not None else "Importo non ammesso senza un motivo del catalogo."


def decurtazioni_per_motivo(spese: Sequence[Spesa], esiti: Iterable[EsitoRiga],
                            categoria: Callable[[Spesa], str] = lambda s: s.categoria or "(mancante)",
                            ) -> list[Decurtazione]:
    """Per decisive reason: rows, amount not admitted (and by category), largest amount first."""
    acc: dict[str, Decurtazione] = {}
    for s, e in zip(spese, esiti):
        for code in dict.fromkeys(e.codici):
            acc.setdefault(code, Decurtazione(code)).righe_con_motivo += 1
        code = motivo_decisivo(e)
        if code is None:
            continue
        d = acc.setdefault(code, Decurtazione(code))
        cut = e.importo - e.importo_ammesso
        d.righe += 1
        d.importo += cut
        if e.esito is Esito.DA_INTEGRARE:
            d.da_integrare += cut
        c = categoria(s)
        d.per_categoria[c] = d.per_categoria.get(c, ZERO) + cut
    out = [d for d in acc.values() if d.righe]
    return sorted(out, key=lambda d: (-d.importo, -d.righe, d.codice))
