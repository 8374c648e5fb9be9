"""Tranches: the P1 2026 plan, due dates, proportional reduction, cap, amount to recover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from addin.rules.tranches import importo_tranche, liquidazione, piano_tranche, scadenza_tranche


def test_p1_2026_plan(cfg):
    plan = piano_tranche(cfg, 2026, cfg.programma(1).budget_anno(2026).comunale)
    assert [r.importo for r in plan] == [D("433476.79"), D("216738.39"), D("72246.13")]
    assert [r.scadenza for r in plan] == [dt.date(2026, 6, 30), dt.date(2026, 11, 30), dt.date(2027, 4, 30)]
    assert [r.saldo for r in plan] == [False, False, True]
    assert sum(r.importo for r in plan) == D("722461.31")


def test_ats_2026_plan(cfg):
    plan = piano_tranche(cfg, 2026, D("1908181.78"))
    # 60%: 1,144,909.068 -> .07; 30%: 572,454.534 -> .53; balance the rest
    assert [r.importo for r in plan] == [D("1144909.07"), D("572454.53"), D("190818.18")]


def test_due_dates_other_years(cfg):
    assert scadenza_tranche(cfg, 2028, 3) == dt.date(2029, 4, 30)
    assert scadenza_tranche(cfg, 2027, 1) == dt.date(2027, 6, 30)
    with pytest.raises(KeyError):
        scadenza_tranche(cfg, 2026, 4)
    assert importo_tranche(cfg, D("100.00"), 2) == D("30.00")


def test_balance_absorbs_rounding(cfg):
    # 0.05 -> 60%: 0.03, 30%: 0.015 -> 0.02 (half-up), balance 0.00
    assert [r.importo for r in piano_tranche(cfg, 2026, D("0.05"))] == [D("0.03"), D("0.02"), D("0.00")]


def test_full_realisation(cfg):
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("2000.00"), D("1900.00"))
    assert liq.contributo_finale == D("1000.00")
    assert liq.cofinanziamento_monetario == D("900.00")      # admitted 1,900 - contribution 1,000
    assert liq.anticipi == D("900.00") and liq.saldo == D("100.00") and liq.da_recuperare == D("0.00")


def test_over_realisation_capped_at_100_percent(cfg):
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("2500.00"), D("5000.00"))
    assert liq.percentuale_realizzazione == 1 and liq.contributo_finale == D("1000.00")


def test_proportional_reduction_and_recovery(cfg):
    # realised 1,500 of 2,000 planned -> 75% -> 750.00; advances 600 + 300 -> recover 150.00
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("1500.00"), D("1400.00"))
    assert liq.contributo_proporzionale == D("750.00")
    assert liq.limite_spesa == D("1400.00")
    assert liq.contributo_finale == D("750.00")
    assert liq.riduzione == D("250.00")
    assert liq.saldo == D("-150.00") and liq.da_recuperare == D("150.00")


def test_contribution_never_above_admitted(cfg):
    # realised 2,000 (admitted 800 + 1,200 valued): proportional 1,000 > admitted 800 -> 800; no monetary
    # co-financing left (the monetary share is derived, never declared); advances 900 -> recover 100
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("2000.00"), D("800.00"))
    assert (liq.contributo_proporzionale, liq.limite_spesa, liq.contributo_finale) == (
        D("1000.00"), D("800.00"), D("800.00"))
    assert liq.cofinanziamento_monetario == D("0.00") and liq.saldo == D("-100.00")


def test_actual_advances(cfg):
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("2000.00"), D("2000.00"), anticipi=D("600.00"))
    assert liq.saldo == D("400.00")


def test_p1_reduced_with_hand_figures(cfg):
    # P1 2026: realised 90% of planned value 810,897.48 -> 729,807.73; contribution
    # 722,461.31 x 729,807.73 / 810,897.48 = 650,215.1772 -> 650,215.18; advances 650,215.18 -> balance 0.00
    liq = liquidazione(cfg, 2026, D("722461.31"), D("810897.48"), D("729807.73"), D("729807.73"))
    assert liq.contributo_finale == D("650215.18")
    assert liq.anticipi == D("650215.18") and liq.saldo == D("0.00")


def test_nothing_realised(cfg):
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.00"), D("0"), D("0"))
    assert liq.contributo_finale == D("0.00") and liq.da_recuperare == D("900.00")
