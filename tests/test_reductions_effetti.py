"""Reductions by reason (addin.rules.reductions) know every effect of the catalogue: a row cut by
PERSONALE_ORE_ECCESSIVE (effect «integrabile_riduzione») made the report and the verbale fail with a
KeyError before (found with bench/verifica.py's 10,000-row workbook)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import get_args

from addin.rules.catalogue import CATALOGO, Effetto
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa
from addin.rules.reductions import _STRENGTH, decurtazioni_per_motivo, motivo_decisivo


def test_every_effect_of_the_catalogue_has_a_rank():
    assert set(get_args(Effetto)) == set(_STRENGTH)
    assert {v.effetto for v in CATALOGO.values()} <= set(_STRENGTH)


def test_hours_beyond_the_limit_are_a_decisive_reason():
    # row 7: 500.00 reported, 400.00 admitted (hours cut) -> 100.00 under PERSONALE_ORE_ECCESSIVE
    e = EsitoRiga(7, Esito.AMMESSA, D("500.00"), D("400.00"), [Motivo("PERSONALE_ORE_ECCESSIVE", "x")])
    assert motivo_decisivo(e) == "PERSONALE_ORE_ECCESSIVE"
    # with a plain reduction beside it, the hours (integrable, then reduced) come first
    e2 = EsitoRiga(8, Esito.AMMESSA, D("300.00"), D("250.00"),
                   [Motivo("IVA_DETRAIBILE", "y"), Motivo("PERSONALE_ORE_ECCESSIVE", "x")])
    assert motivo_decisivo(e2) == "PERSONALE_ORE_ECCESSIVE"
    # an advisory note never wins over a reduction
    e3 = EsitoRiga(9, Esito.AMMESSA, D("100.00"), D("90.00"),
                   [Motivo("FORNITORE_PARTNER_ATS", "z"), Motivo("IVA_DETRAIBILE", "y")])
    assert motivo_decisivo(e3) == "IVA_DETRAIBILE"
    ded = decurtazioni_per_motivo([Spesa(7, categoria="P"), Spesa(8, categoria="P"), Spesa(9, categoria="B")],
                                  [e, e2, e3])
    # PERSONALE_ORE_ECCESSIVE: 100.00 + 50.00 = 150.00 on 2 rows; IVA_DETRAIBILE: 10.00 on 1 row
    assert [(d.codice, d.righe, d.importo) for d in ded] == [
        ("PERSONALE_ORE_ECCESSIVE", 2, D("150.00")), ("IVA_DETRAIBILE", 1, D("10.00"))]
