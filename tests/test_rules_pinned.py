"""Boundaries pinned with hand-computed figures (issue #17): each test below fails on a small change
that once left the whole suite green (a `>=` turned into `>`, a tie given to the other row, reported
instead of admitted amounts...). They are fast unit tests: `make mutate` runs them.

Reference: programme 1, year 2026, window 1 (expenses to 30/04/2026, lock 31/05/2026), checked on
31/05/2026 unless said otherwise.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D

from addin.rules.cofinancing import TotaliCofinanziamento, verifica_budget, verifica_realizzato
from addin.rules.models import Esito
from addin.rules.money import allocate
from addin.workbook.seals import leggi_sigilli, verifica_sigilli
from tests.test_rules_eligibility import check, config_with, one, spesa
from tests.test_seals import KEY, LOCK, cartella, seal_into
from tests.test_seals import spesa as sealed_row

ALLOWANCE_300 = ('contanti_massimo = "0.00"', 'contanti_massimo = "300.00"')


# --- 1. co-financing of exactly 10% is met ----------------------------------------------------------

def test_cofinancing_exactly_ten_percent_is_met(cfg):
    # budget 900.00 municipal + 100.00 co-financing: 100 / 1,000 = exactly 10%
    q = verifica_budget(cfg, D("900.00"), D("100.00"))
    assert q.quota == D("0.1")
    assert q.minimo == D("100.00")
    assert q.rispettato and q.mancante == D("0.00")


def test_cofinancing_one_cent_below_ten_percent_is_not_met(cfg):
    # 900.01 + 99.99 = 1,000.00; minimum 10% = 100.00; missing 100.00 - 99.99 = 0.01
    q = verifica_budget(cfg, D("900.01"), D("99.99"))
    assert not q.rispettato and q.mancante == D("0.01")


def test_realised_cofinancing_exactly_ten_percent_is_met(cfg):
    # admitted 950.00 + valued (non-monetary 30.00 + volunteers 20.00) = 1,000.00 total cost;
    # co-financing 50.00 monetary + 50.00 valued = 100.00 = exactly 10% of 1,000.00
    t = TotaliCofinanziamento(D("50.00"), D("30.00"), D("20.00"))
    q = verifica_realizzato(cfg, D("950.00"), t)
    assert (q.base, q.cofinanziamento, q.minimo) == (D("1000.00"), D("100.00"), D("100.00"))
    assert q.rispettato and q.mancante == D("0.00")


# --- 2. a seal made for another programme is not intact ---------------------------------------------

def test_seal_of_programme_2_is_not_intact_on_programme_1(cfg):
    # the same rows, sealed by the Comune on programme 2's workbook on 01/06/2026 ...
    rows = [sealed_row(4, dt.date(2026, 1, 15)), sealed_row(5, dt.date(2026, 3, 31), "250.50")]
    p2 = copy.deepcopy(cartella(rows))
    p2.programma = 2
    seal_into(p2, cfg, LOCK)
    assert leggi_sigilli(p2.meta)["finestra1"].intestazione["programma"] == "2"
    assert verifica_sigilli(p2, cfg, KEY, LOCK).integri   # on its own programme the seal holds
    # ... copied into programme 1's workbook: its HMAC is right, but it is not programme 1's seal
    p1 = cartella(copy.deepcopy(rows), meta=dict(p2.meta))
    assert p1.programma == 1
    r = verifica_sigilli(p1, cfg, KEY, LOCK)
    assert not r.integri
    assert r.sigilli_alterati == ["finestra 1/2026"]
    assert sorted(r.motivi) == [4, 5]
    assert all(m.codice == "RIGA_SIGILLATA_MODIFICATA" for ms in r.motivi.values() for m in ms)


# --- 3. rounding ties in allocate go to the earlier row ---------------------------------------------

def test_allocate_tie_goes_to_the_earlier_weight():
    # 1 cent on two equal weights: raw 0.5 / 0.5 -> floors 0 / 0, the spare cent to the first
    assert allocate(D("0.01"), [D("1"), D("1")]) == [D("0.01"), D("0.00")]
    # 5 cents on two equal weights: 2.5 / 2.5 -> 2 / 2, the spare cent to the first
    assert allocate(D("0.05"), [D("7"), D("7")]) == [D("0.03"), D("0.02")]
    # 2 cents on three equal weights: 0.667 each -> 0 / 0 / 0, spare cents to the first two
    assert allocate(D("0.02"), [D("1"), D("1"), D("1")]) == [D("0.01"), D("0.01"), D("0.00")]
    # a larger remainder still wins over the earlier position: 10 cents on 1 / 2 -> 3.33 / 6.67
    # -> floors 3 / 6, the spare cent to the second (remainder .67 > .33)
    assert allocate(D("0.10"), [D("1"), D("2")]) == [D("0.03"), D("0.07")]


def test_overheads_tie_goes_to_the_earlier_row():
    # direct 1,000.05 -> cap 10% = 100.005 -> 100.01 (half-up); overheads 60.00 + 60.00 = 120.00 over it;
    # 10,001 cents on equal weights: 5,000.5 each -> 5,000 / 5,000, the spare cent to row 5
    rows = [spesa(4, importo=D("1000.05"), importo_documento=D("1000.05")),
            spesa(5, categoria="Spese generali", importo=D("60.00"), importo_documento=D("60.00")),
            spesa(6, categoria="Spese generali", importo=D("60.00"), importo_documento=D("60.00"))]
    assert [r.importo_ammesso for r in check(rows)] == [D("1000.05"), D("50.01"), D("50.00")]


# --- 4. a document of 01/01/2026 is in the period ---------------------------------------------------

def test_first_day_of_the_co_design_is_in_period():
    r = one(spesa(data_documento=dt.date(2026, 1, 1), data_pagamento=dt.date(2026, 1, 1)))
    assert (r.esito, r.importo_ammesso, r.codici, r.finestra) == (Esito.AMMESSA, D("1000.00"), [], 1)


def test_last_day_of_the_year_is_in_period():
    # paid 31/12/2026 (window 3, locks 31/01/2027), documents transmitted 10/01/2027
    r = one(spesa(data_documento=dt.date(2026, 12, 31), data_pagamento=dt.date(2026, 12, 31),
                  data_trasmissione=dt.date(2027, 1, 10)), ref=dt.date(2027, 1, 31))
    assert (r.esito, r.importo_ammesso, r.codici, r.finestra) == (Esito.AMMESSA, D("1000.00"), [], 3)


def test_day_before_the_co_design_is_out_of_period():
    # documents transmitted 10/01/2026, in time for the window of 2025 (locks 31/01/2026)
    r = one(spesa(data_documento=dt.date(2025, 12, 31), data_pagamento=dt.date(2025, 12, 31),
                  data_trasmissione=dt.date(2026, 1, 10)))
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])


# --- 5. cash exactly at the configured allowance ----------------------------------------------------

def test_cash_exactly_at_the_allowance_is_admitted_in_full():
    cfg = config_with(*ALLOWANCE_300)
    r = one(spesa(modalita_pagamento="Contanti", importo=D("300.00"), importo_documento=D("300.00")), cfg=cfg)
    assert (r.esito, r.importo_ammesso, r.motivi) == (Esito.AMMESSA, D("300.00"), [])


def test_cash_one_cent_over_the_allowance_is_cut_to_it():
    # 300.01 paid in cash, allowance 300.00: admitted 300.00, not admitted 300.01 - 300.00 = 0.01
    cfg = config_with(*ALLOWANCE_300)
    r = one(spesa(modalita_pagamento="Contanti", importo=D("300.01"), importo_documento=D("300.01")), cfg=cfg)
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("300.00"), ["CONTANTI_OLTRE_LIMITE"])
    assert "0,01 €" in r.motivi[0].messaggio and "300,00 €" in r.motivi[0].messaggio


# --- 8. overheads are capped on the ADMITTED direct costs ------------------------------------------

def test_overheads_capped_on_admitted_not_reported_direct_costs():
    # direct row reported 6,000.00 on a 5,000.00 invoice: admitted 5,000.00 -> cap 10% = 500.00
    # (on the reported amount the cap would be 600.00)
    rows = [spesa(4, importo=D("6000.00"), importo_documento=D("5000.00")),
            spesa(5, categoria="Spese generali", importo=D("800.00"), importo_documento=D("800.00"))]
    direct, overhead = check(rows)
    assert direct.importo_ammesso == D("5000.00")
    assert (overhead.esito, overhead.importo_ammesso) == (Esito.AMMESSA, D("500.00"))
    assert "500,00 €" in overhead.motivi[0].messaggio and "300,00 €" in overhead.motivi[0].messaggio


def test_overheads_cap_uses_admitted_overheads_too():
    # overheads reported 700.00 on a 550.00 invoice -> admitted 550.00 before the cap;
    # direct 5,000.00 -> cap 500.00 -> overheads cut by 550.00 - 500.00 = 50.00
    rows = [spesa(4, importo=D("5000.00"), importo_documento=D("5000.00")),
            spesa(5, categoria="Spese generali", importo=D("700.00"), importo_documento=D("550.00"))]
    _, overhead = check(rows)
    assert overhead.importo_ammesso == D("500.00")
    assert "550,00 €" in overhead.motivi[-1].messaggio and "50,00 €" in overhead.motivi[-1].messaggio
