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

import pytest

from addin.rules.cofinancing import TotaliCofinanziamento, verifica_budget, verifica_realizzato
from addin.rules.models import Esito
from addin.rules.money import allocate
from addin.workbook.seals import leggi_sigilli, verifica_sigilli
from tests.test_rules_eligibility import check, config_with, one, spesa
from tests.test_seals import BASE, KEY, LOCK, cartella, seal_into
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

@pytest.mark.parametrize("direct,overhead,words", [
    # direct reported 6,000.00 on a 5,000.00 invoice: admitted 5,000.00 -> cap 10% = 500.00 (on the reported
    # amount it would be 600.00); overheads 800.00 -> cut 300.00
    (("6000.00", "5000.00"), ("800.00", "800.00"), ("500,00 €", "300,00 €")),
    # overheads reported 700.00 on a 550.00 invoice: admitted 550.00 before the cap; direct 5,000.00 -> cap
    # 500.00 -> overheads cut by 550.00 - 500.00 = 50.00
    (("5000.00", "5000.00"), ("700.00", "550.00"), ("550,00 €", "50,00 €")),
])
def test_overheads_capped_on_admitted_amounts(direct, overhead, words):
    rows = [spesa(4, importo=D(direct[0]), importo_documento=D(direct[1])),
            spesa(5, categoria="Spese generali", importo=D(overhead[0]), importo_documento=D(overhead[1]))]
    d, o = check(rows)
    assert d.importo_ammesso == D("5000.00")
    assert (o.esito, o.importo_ammesso, o.codici[-1]) == (Esito.AMMESSA, D("500.00"), "SPESE_GENERALI_OLTRE_LIMITE")
    assert all(w in o.motivi[-1].messaggio for w in words), o.motivi[-1].messaggio


# --- mutants that survived `make mutate` (docs/sviluppo.md): each test names what it kills ------------

def test_amount_below_one_euro_is_valid():
    # 0.50 € reported on a 0.80 € document: admitted 0.50 (kills `importo <= 1` and `documento <= 1`)
    r = one(spesa(importo=D("0.50"), importo_documento=D("0.80")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("0.50"), [])


def test_invalid_amount_from_the_reader_is_reported_once():
    # the reader already said why the amount is invalid: the rules do not add a second reason
    from addin.rules.models import Motivo

    r = one(spesa(importo=None, errori=[Motivo("IMPORTO_NON_VALIDO", "«cento euro» non è un importo.")]))
    assert r.motivi == [Motivo("IMPORTO_NON_VALIDO", "«cento euro» non è un importo.")]


def test_reduction_leaving_cents_keeps_the_row_admitted():
    # invoice 1,000.00 imputed 999.50 + 1,000.00: the second row keeps 1,000.00 - 999.50 = 0.50
    rows = [spesa(4, numero_documento="F-5", importo=D("999.50")), spesa(5, numero_documento="F-5")]
    a, b = check(rows)
    assert (a.esito, a.importo_ammesso) == (Esito.AMMESSA, D("999.50"))
    assert (b.esito, b.importo_ammesso, b.codici) == (Esito.AMMESSA, D("0.50"), ["DOCUMENTO_DUPLICATO"])


def test_totals_add_several_rows_of_each_outcome():
    from addin.rules.eligibility import totali

    # checked on 10/07/2026: window 1 locked (31/05), window 2 open (lock 30/09)
    # to complete (window 2): no payment (1,000.00) + no documents (1,000.00); excluded (window 1):
    # transmitted late twice (issue 11: a late transmission is judged once the lock has passed)
    june = dict(data_documento=dt.date(2026, 6, 10), data_pagamento=dt.date(2026, 6, 20))
    rows = [spesa(4, **{**june, "data_pagamento": None}),
            spesa(5, **june, doc_trasmessa=False, data_trasmissione=None),
            spesa(6, data_trasmissione=dt.date(2026, 7, 1)), spesa(7, data_trasmissione=dt.date(2026, 7, 2)),
            spesa(8, importo=D("250.00"), importo_documento=D("250.00"))]
    assert totali(check(rows, ref=dt.date(2026, 7, 10))) == {"rendicontato": D("4250.00"), "ammesso": D("250.00"),
                                   "non_ammesso": D("4000.00"), "da_integrare": D("2000.00"),
                                   "escluso": D("2000.00")}


# the Italian messages users read, written out by hand (codes whose wording issue #11 does not change)
MESSAGES = [
    (dict(importo=D("0")), "Importo rendicontato mancante, nullo o negativo."),
    (dict(importo_documento=D("-1")), "Importo del documento nullo o negativo."),
    (dict(importo=D("1200.00")), "Importo rendicontato 1.200,00 € superiore all'importo del documento "
                                 "1.000,00 €: non ammessi 200,00 €."),
    (dict(categoria=None), "Categoria di spesa mancante."),
    (dict(categoria="Interessi passivi"), "«Interessi passivi» è un costo non ammissibile."),
    (dict(categoria="Cena sociale"), "«Cena sociale» non è una categoria di spesa ammissibile."),
    (dict(azione=None), "Azione mancante."),
    (dict(azione="2.1"), "L'azione «2.1» non appartiene al programma 1 (azioni: 1.1, 1.2, 1.3, 1.4, 1.5)."),
    (dict(partner=None), "Partner mancante."),
    (dict(partner="Ditta Esterna"), "«Ditta Esterna» non è un componente dell'ATS Impronte Sociali 2.0."),
    (dict(modalita_pagamento="Baratto"), "Pagamento «Baratto» non tracciabile: spesa non ammessa."),
    (dict(doc_conservata=False, doc_trasmessa=None, data_trasmissione=None),
     "Documentazione mancante: conservazione agli atti, trasmissione al Comune."),
    (dict(data_trasmissione=None), "Documentazione dichiarata trasmessa ma senza data di trasmissione."),
    # issue 11: on 31/05 a transmission dated 03/06 has not happened yet (late only after the lock:
    # test_late_transmission_message_word_for_word)
    (dict(data_trasmissione=dt.date(2026, 6, 3)),
     "Trasmissione al Comune datata 03/06/2026, dopo la data di riferimento 31/05/2026: la documentazione non "
     "risulta ancora trasmessa."),
    (dict(decisione_comune="respinta", motivazione_comune="  Fuori tema  "), "Non ammessa dal Comune: Fuori tema"),
    (dict(decisione_comune="Non ammessa"), "Non ammessa dal Comune (motivazione non indicata)."),
    (dict(doc_conservata=False), "Documentazione mancante: conservazione agli atti."),
    (dict(doc_giustificativo=False), "Documentazione mancante: giustificativo."),
]


def test_italian_messages_word_for_word():
    for kw, message in MESSAGES:
        r = one(spesa(**kw))
        assert [m.messaggio for m in r.motivi] == [message], kw


def test_late_transmission_message_word_for_word():
    r = one(spesa(data_trasmissione=dt.date(2026, 6, 3)), ref=dt.date(2026, 6, 10))
    assert [m.messaggio for m in r.motivi] == [
        "Documentazione trasmessa il 03/06/2026, dopo il blocco della finestra 1/2026 (31/05/2026)."]


def test_personnel_messages_word_for_word():
    from tests.test_rules_eligibility import personale

    assert [m.messaggio for m in one(personale(ore=None, costo_orario=None)).motivi] == [
        "Spesa di personale senza ore, costo orario."]
    assert [m.messaggio for m in one(personale(ore=D("-2"))).motivi] == ["Ore e costo orario devono essere positivi."]
    # 40 h x 25.00 = 1,000.00 against 1,001.50 reported: 1.50 over the 1.00 € tolerance, cut (issue 11)
    assert [m.messaggio for m in one(personale(importo=D("1001.50"))).motivi] == [
        "Ore × costo orario = 1.000,00 €, importo rendicontato 1.001,50 € (differenza oltre 1,00 €): "
        "ammessi 1.000,00 €, non ammessi 1,50 €."]


def test_cash_and_overhead_messages_word_for_word():
    cfg = config_with(*ALLOWANCE_300)
    r = one(spesa(modalita_pagamento="contanti", importo=D("450.00"), importo_documento=D("450.00")), cfg=cfg)
    assert [m.messaggio for m in r.motivi] == [
        "Pagamento «Contanti» non tracciabile: ammesso fino a 300,00 €, non ammessi 150,00 €."]
    # direct 2,000.00 -> cap 200.00; overheads 250.00 -> cut 50.00
    rows = [spesa(4, importo=D("2000.00"), importo_documento=D("2000.00")),
            spesa(5, categoria="Spese generali", importo=D("250.00"), importo_documento=D("250.00"))]
    assert [m.messaggio for m in check(rows)[1].motivi] == [
        "Spese generali 250,00 € oltre il 10% dei costi diretti ammessi (200,00 €): non ammessi 50,00 €."]


def test_allocate_with_weights_below_one_and_remainders_against_size():
    # weights summing to 0.75: 100 cents -> 66.67 / 33.33 -> 66 / 33, the spare cent to the first
    assert allocate(D("1.00"), [D("0.5"), D("0.25")]) == [D("0.67"), D("0.33")]
    # 10 cents on 6 / 5: 5.45 / 4.55 -> 5 / 4; the cent goes to the larger REMAINDER (.55), the second
    assert allocate(D("0.10"), [D("6"), D("5")]) == [D("0.05"), D("0.05")]


def test_allocate_on_zero_weights_and_money_of_ints_and_text():
    # kills money.x_allocate__mutmut_11 (`wsum < 0`: weights summing to 0 would divide by zero)
    assert allocate(D("10.00"), [D("0"), D("0.00")]) == [D("0.00"), D("0.00")]
    assert allocate(D("10.00"), []) == []
    # kills money.x_money__mutmut_5-7 (ints and text converted to Decimal before rounding)
    from addin.rules.money import fmt_num, money

    assert money(5) == D("5.00") and money("1.005") == D("1.01") and money("-1.005") == D("-1.01")
    assert money(0.1) == D("0.10") and money(None) == D("0.00")
    # kills money.x_fmt_num__mutmut_5-6: hours in Italian, no trailing zeros
    assert fmt_num(D("180.50")) == "180,5" and fmt_num(D("173.00")) == "173" and fmt_num(D("1200")) == "1200"


def test_percent_rounds_half_up_and_ratio_of_zero_is_zero():
    from addin.rules.money import fmt_pct, money_str, percent, ratio

    assert percent(D("0.13625")) == D("13.63")          # 13.625 -> 13.63 (half-even would give 13.62)
    assert fmt_pct(D("0.136398")) == "13,64%"
    assert ratio(D("5.00"), D("0")) == 0
    assert money_str(D("1234.5")) == "1234.50" and money_str(D("0.005")) == "0.01"


def test_to_decimal_edges():
    from addin.rules.money import to_decimal

    assert to_decimal(D("1.5")) == D("1.5")
    assert to_decimal(D("NaN")) is None and to_decimal(D("Infinity")) is None
    assert to_decimal(float("inf")) is None
    assert to_decimal("1 234,50") == D("1234.50")
    # both separators: the last one is the decimal one; text where that is ambiguous is not a number
    assert to_decimal("1,2.3,4") is None and to_decimal("1.234,567.8") is None


def test_tranche_plan_descriptions_and_unknown_tranche(cfg):
    from addin.rules.tranches import importo_tranche, piano_tranche, scadenza_tranche

    assert [r.descrizione for r in piano_tranche(cfg, 2026, D("1000.00"))] == [
        "Prima soluzione anticipata", "Seconda soluzione anticipata", "Saldo"]
    with pytest.raises(KeyError, match="tranche 4 non configurata"):
        scadenza_tranche(cfg, 2026, 4)
    with pytest.raises(KeyError, match="tranche 0 non configurata"):
        importo_tranche(cfg, D("1000.00"), 0)


def test_liquidation_keeps_planned_and_realised_values_rounded(cfg):
    from addin.rules.tranches import liquidazione

    # planned 2,000.005 -> 2,000.01, realised 1,000.004 -> 1,000.00 (half-up to cents)
    liq = liquidazione(cfg, 2026, D("1000.00"), D("2000.005"), D("1000.004"), D("5000.00"), D("0"))
    assert (liq.valore_previsto, liq.valore_realizzato) == (D("2000.01"), D("1000.00"))
    # 1,000.00 x 1,000.00 / 2,000.01 = 499.9975 -> 500.00
    assert liq.contributo_proporzionale == D("500.00")


def test_window_is_open_on_its_first_day(cfg):
    from addin.rules.windows import finestra_di

    f = finestra_di(cfg, dt.date(2026, 5, 1))   # window 2: 01/05 - 31/08
    assert [f.stato(x) for x in (dt.date(2026, 4, 30), dt.date(2026, 5, 1))] == ["NON INIZIATA", "APERTA"]


def _row(riga, azione, categoria, importo):
    return spesa(riga, azione=azione, categoria=categoria, importo=D(importo), importo_documento=D(importo))


def test_budget_use_sums_lines_orders_by_configured_category_and_skips_unattributable(cfg):
    from addin.rules.budget import VoceBudget, uso_budget

    voci = [VoceBudget("1.1", "BENI", comunale_iniziale=D("100.00")),
            VoceBudget("1.1", "Beni di consumo e materie prime", comunale_iniziale=D("50.00")),   # same line
            VoceBudget("1.1", "PERSONALE_INTERNO", comunale_iniziale=D("900.00")),
            VoceBudget("1.1", "SPESE_GENERALI", comunale_iniziale=D("1.00")),
            VoceBudget("1.1", "SERVIZI", comunale_iniziale=D("2.00")),
            VoceBudget("1.1", "PERSONALE_ESTERNO", comunale_iniziale=D("3.00")),
            VoceBudget("1.2", "Voce sconosciuta", comunale_iniziale=D("10.00"))]
    rows = [_row(4, None, "BENI", "5.00"),               # no action: not attributed
            _row(5, "1.1", "Cena sociale", "7.00"),      # unknown category: not attributed
            _row(6, "1.1", "BENI", "120.00")]
    uso = uso_budget(cfg, voci, rows, check(rows))
    # the configured order of the categories (not alphabetical); 100 + 50 = 150.00 for 1.1 x BENI
    assert [(u.azione, u.categoria, u.budget, u.ammesso) for u in uso] == [
        ("1.1", "PERSONALE_INTERNO", D("900.00"), D("0")), ("1.1", "PERSONALE_ESTERNO", D("3.00"), D("0")),
        ("1.1", "BENI", D("150.00"), D("120.00")), ("1.1", "SERVIZI", D("2.00"), D("0")),
        ("1.1", "SPESE_GENERALI", D("1.00"), D("0")), ("1.2", "Voce sconosciuta", D("10.00"), D("0"))]
    with pytest.raises(ValueError):   # rows and outcomes must be aligned
        uso_budget(cfg, voci, rows, check(rows)[:2])


def test_lookup_resolves_codes_names_and_spaced_codes(cfg):
    from addin.rules.lookup import Lookup, _cache, lookup_for, norm, norm_action

    lk = Lookup(cfg)
    for text in ("PERSONALE_INTERNO", "personale interno", "Personale interno"):
        assert lk.categoria(text).codice == "PERSONALE_INTERNO", text
    assert lk.categoria("personale esterno").codice == "PERSONALE_ESTERNO"   # the code with a space
    assert lk.costo_non_ammissibile("INTERESSI_PASSIVI") == "Interessi passivi"
    assert lk.costo_non_ammissibile("multe, sanzioni e penali") == "Multe, sanzioni e penali"
    assert (norm(None), norm(12), norm_action(None), norm_action(" 1 , 2 - Titolo")) == ("", "12", "", "1.2")
    # a cached lookup built for another configuration object is never reused
    other = Lookup(cfg.model_copy())
    _cache[id(cfg)] = other
    assert lookup_for(cfg).config is cfg


# --- what the seal report shows of a changed or deleted sealed row (verifica_sigilli) ---------------

def test_seal_report_shows_each_changed_field_old_and_new(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    row = c.spese[1]                                  # row 5: paid 31/03/2026, 250.50 €
    row.descrizione, row.data_pagamento, row.persona, row.ore, row.doc_conservata = (
        None, dt.date(2026, 4, 1), "Anna", D("12.5"), False)
    (m,) = verifica_sigilli(c, cfg, KEY, LOCK).motivi[5]
    assert ("Descrizione: Materiale 5 → (vuoto); Data pagamento: 31/03/2026 → 01/04/2026; Persona: (vuoto) → "
            "Anna; Ore: (vuoto) → 12,5; Doc. conservata: SI → NO.") in m.messaggio, m.messaggio


def test_seal_report_recalls_a_deleted_row(cfg):
    from addin.rules.models import VoceCofinanziamento

    cof = [VoceCofinanziamento(4, "Igea", "1.1", "Monetario", "Quota", None, D("500"))]
    c = seal_into(cartella(copy.deepcopy(BASE), cof), cfg, dt.date(2027, 2, 1))
    c.spese = [s for s in c.spese if s.riga != 6]
    c.cofinanziamento = []
    r = verifica_sigilli(c, cfg, KEY, dt.date(2027, 2, 1))
    assert r.righe_cancellate == [6]
    text = "\n".join(r.dettagli)
    assert ("(era: Data pagamento 30/04/2026, Data documento 30/04/2026, Fornitore/Percettore Cartoleria Rossi, "
            "N. documento F6, Importo rendicontato 12,34 €)") in text, text
    assert "(era: Partner Igea, Tipo Monetario, Descrizione Quota, Valore unitario 500,00 €)" in text, text


# A version-1 seal of window 1/2026 over one row, computed outside the program (HMAC-SHA256 with the test
# key, by the format of docs/blocco.md, with Python's hmac/json and checked with `openssl dgst -hmac`).
# Seals already in partners' workbooks must keep verifying: any change of the MAC format breaks this.
T4 = ('{"azione":"1.1","partner":"Consorzio Arcobaleno","categoria":"Beni di consumo e materie prime",'
      '"descrizione":"Materiale 4","fornitore":"Cartoleria Rossi","tipo_documento":"Fattura","numero_documento":"F4",'
      '"data_documento":"2026-01-15","data_pagamento":"2026-01-15","modalita_pagamento":"Bonifico",'
      '"importo_documento":"100","importo":"100","persona":null,"ore":null,"costo_orario":null,'
      '"doc_giustificativo":true,"doc_conservata":true,"doc_trasmessa":true,"data_trasmissione":"2026-01-15"}')
SIGILLO_V1 = {
    "programma": "1",
    "sigillo.finestra1.versione": "1", "sigillo.finestra1.programma": "1", "sigillo.finestra1.anno": "2026",
    "sigillo.finestra1.finestra": "1/2026", "sigillo.finestra1.periodo": "2026-01-01..2026-04-30",
    "sigillo.finestra1.blocco": "2026-05-31", "sigillo.finestra1.data": "2026-06-01",
    "sigillo.finestra1.righe": "1", "sigillo.finestra1.chiave": "81aa720c5fba19c8",
    "sigillo.finestra1.hmac": "2c5be00225b09437eaabf9234952e79890bfce72565f1d221684d3c4a248cb0c",
    "sigillo.finestra1.riga.4": "773487201f2d0829fce02f24ca8aea50a3388627ccbf8e21213a48fa9c75c44c " + T4,
}


def test_a_version_1_seal_computed_by_hand_verifies(cfg):
    from addin.workbook.seals import impronta_chiave

    assert impronta_chiave(KEY) == "81aa720c5fba19c8"
    c = cartella([sealed_row(4, dt.date(2026, 1, 15))], meta=dict(SIGILLO_V1))
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri and r.sigilli_alterati == [] and r.motivi == {}, r.dettagli
    # the same row with 100.01 instead of 100.00 is caught, and the report shows both values
    c.spese[0].importo = D("100.01")
    (m,) = verifica_sigilli(c, cfg, KEY, LOCK).motivi[4]
    assert "Importo rendicontato: 100,00 € → 100,01 €" in m.messaggio


def test_seal_of_another_year_is_not_intact(cfg):
    # the seal of window 1/2027 copied into the 2026 workbook of the same programme
    rows = [sealed_row(4, dt.date(2027, 1, 15))]
    y27 = cartella(copy.deepcopy(rows))
    y27.anno = 2027
    seal_into(y27, cfg, dt.date(2027, 6, 1))
    c = cartella([sealed_row(4, dt.date(2026, 1, 15))], meta=dict(y27.meta))
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert not r.integri and r.sigilli_alterati == ["finestra 1/2027"]


# --- behaviours issue #11 changed (landed): the smallest document amount when copies disagree, the seed
# from the officer or from the Comune's key (never from public data alone) -----------------------------------

def test_duplicates_when_copies_disagree_on_the_document_amount():
    # invoice F-8 typed as 1,000.00 on row 4 and 800.00 on row 5; imputed 600.00 + 300.00 = 900.00.
    # Issue #11: the cap is the SMALLEST amount typed (800.00): row 5 keeps 800 - 600 = 200.00, and both
    # rows say the amounts disagree (before #11: the largest, both admitted in full)
    rows = [spesa(4, numero_documento="F-8", importo=D("600.00"), importo_documento=D("1000.00")),
            spesa(5, numero_documento="F-8", importo=D("300.00"), importo_documento=D("800.00"))]
    a, b = check(rows)
    assert [a.importo_ammesso, b.importo_ammesso] == [D("600.00"), D("200.00")]
    assert (a.codici, b.codici) == (["IMPORTO_DOCUMENTO_DISCORDANTE"],
                                    ["IMPORTO_DOCUMENTO_DISCORDANTE", "DOCUMENTO_DUPLICATO"])


def test_seed_from_the_comunes_key():
    # issue 11: no public seed; from the Comune's key, HMAC-SHA256(key, "rendiconta-campione|3|2026|S1"), first
    # 6 bytes: with the key b"chiave-di-prova-del-comune-0123456789" that is 8844fdd05cf0 (by
    # `openssl dgst -sha256 -hmac`) = 149,829,897,444,592
    from addin.rules import sampling
    from addin.rules.sampling import seme_da_chiave

    assert seme_da_chiave(b"chiave-di-prova-del-comune-0123456789", 3, 2026, 1) == 149829897444592
    assert not hasattr(sampling, "seme_predefinito")


def test_personnel_boundaries():
    from tests.test_rules_eligibility import personale

    cases = [  # (row, codes, admitted)
        (personale(persona=None), ["PERSONALE_DATI_MANCANTI"], "0.00"),
        (personale(persona=""), ["PERSONALE_DATI_MANCANTI"], "0.00"),
        (personale(costo_orario=D("0")), ["PERSONALE_DATI_MANCANTI"], "0.00"),
        (personale(importo=None), ["IMPORTO_NON_VALIDO"], "0.00"),
        (personale(importo=D("0")), ["IMPORTO_NON_VALIDO"], "0.00"),
        (personale(ore=D("0.5"), importo=D("12.50")), [], "12.50"),                  # 0.5 h x 25.00
        (personale(ore=D("10"), costo_orario=D("0.80"), importo=D("8.00")), [], "8.00"),   # 10 h x 0.80
        # 1 h x 25.00 = 25.00 against 0.50 claimed: issue #11 admits a claim below hours x rate as claimed
        (personale(ore=D("1"), importo=D("0.50")), [], "0.50"),
        # ... and cuts a claim above it: 1 h x 25.00 claimed 26.01 (1.01 over the tolerance) -> 25.00
        (personale(ore=D("1"), importo=D("26.01")), ["PERSONALE_IMPORTO_INCOERENTE"], "25.00"),
    ]
    for row, codes, admitted in cases:
        r = one(row)
        assert (r.codici, r.importo_ammesso) == (codes, D(admitted)), (row, r.motivi)
    assert one(personale(persona=None)).motivi[0].messaggio == "Spesa di personale senza persona."
    assert one(personale(costo_orario=D("0"))).motivi[0].messaggio == "Ore e costo orario devono essere positivi."


def test_cash_allowance_boundaries_and_unknown_methods():
    cfg = config_with(*ALLOWANCE_300)
    r = one(spesa(modalita_pagamento="Baratto"), cfg=cfg)        # unknown method: never admitted
    assert (r.esito, r.importo_ammesso, [m.messaggio for m in r.motivi]) == (
        Esito.NON_AMMESSA, D("0.00"), ["Pagamento «Baratto» non tracciabile: spesa non ammessa."])
    small = config_with('contanti_massimo = "0.00"', 'contanti_massimo = "0.50"')
    r = one(spesa(modalita_pagamento="Contanti", importo=D("0.40"), importo_documento=D("0.40")), cfg=small)
    assert (r.esito, r.importo_ammesso, r.motivi) == (Esito.AMMESSA, D("0.40"), [])


def test_negative_amount_is_reported_as_zero_and_extra_reasons_only_on_their_row():
    from addin.rules.models import Motivo

    assert one(spesa(importo=D("-5"))).importo == D("0.00")
    a, b = check([spesa(4), spesa(5)], extra={5: [Motivo("INSERIMENTO_RETROATTIVO", "dal sigillo")]})
    assert (a.esito, a.motivi, b.codici) == (Esito.AMMESSA, [], ["INSERIMENTO_RETROATTIVO"])


# --- the register's hash chain (addin/registro/catena.py, verifica_catene) ---------------------------

def test_canonical_payload_keeps_accents_sorts_keys_and_refuses_floats():
    import pytest

    from addin.registro.catena import dati_canonici

    dati = {"città": "Crema – è", "n": D("1.50"), "d": dt.date(2026, 1, 2), "s": ("a", "b")}
    assert dati_canonici(dati) == '{"città":"Crema – è","d":"2026-01-02","n":"1.50","s":["a","b"]}'
    with pytest.raises(TypeError, match="virgola mobile"):
        dati_canonici({"a": [{"b": 1.5}]})                    # however deep
    with pytest.raises(TypeError, match="non serializzabile nel registro: object"):
        dati_canonici({"x": object()})


def test_act_hash_and_heads_digest_computed_outside_the_program():
    import hashlib
    import json

    from addin.registro.catena import hash_atto, impronta_teste

    campi = {"programma": 1, "anno": 2026, "posizione": 1, "tipo": "DECISIONE", "data": "2026-06-01",
             "registrato_il": "2026-06-01T10:00:00", "autore": "Nicolò Bianchi", "riferimento": None,
             "dati": '{"esito":"NON_AMMESSA"}', "hash_precedente": "0" * 64}
    envelope = ["rendiconta-registro/1", 1, 2026, 1, "DECISIONE", "2026-06-01", "2026-06-01T10:00:00",
                "Nicolò Bianchi", None, '{"esito":"NON_AMMESSA"}', "0" * 64]   # UTF-8, not \\u escapes
    text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    assert "Nicolò" in text
    assert hash_atto(campi) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # sha256 of '[[1,2026,1,"cd…cd"],[2,2026,3,"ab…ab"]]' (heads sorted), by `sha256sum`
    assert impronta_teste([(2, 2026, 3, "ab" * 32), (1, 2026, 1, "cd" * 32)]) == \
        "2fe41c638d1223abbafdfdc42e277516d994ec9bdbb369617b2415ab7f61b658"


def test_chain_with_an_act_removed_in_the_middle():
    from addin.registro.catena import HASH_INIZIALE, hash_atto
    from addin.registro.registro import verifica_catene

    rows, prev = [], HASH_INIZIALE
    for pos in (1, 2, 3):
        r = {"programma": 1, "anno": 2026, "posizione": pos, "tipo": "RICEZIONE", "data": "2026-06-01",
             "registrato_il": "2026-06-01T10:00:00", "autore": "Rossi", "riferimento": None,
             "dati": '{"file":"P1.xlsx"}', "hash_precedente": prev}
        r["hash"] = prev = hash_atto(r)
        rows.append(r)
    del rows[1]
    found = [(a.programma, a.anno, a.posizione, a.codice, a.messaggio)
             for a in verifica_catene(rows, {(1, 2026): (3, rows[-1]["hash"])})]
    assert found == [
        (1, 2026, 3, "ATTO_MANCANTE", "Registro programma 1, anno 2026: mancano gli atti da 2 a 2 "
                                      "(cancellati o spostati)."),
        (1, 2026, 3, "CATENA_INTERROTTA", "Registro programma 1, anno 2026: l'atto 3 non segue l'atto che lo "
                                          "precede (un atto precedente è stato modificato o cancellato).")]


def test_chain_with_a_position_repeated():
    # an act written again at position 2 after act 2, correctly chained and hashed: its position is not
    # valid (kills registro.x__verifica_catena__mutmut_28-35: the POSIZIONE_NON_VALIDA anomaly had no test)
    from addin.registro.catena import HASH_INIZIALE, hash_atto
    from addin.registro.registro import verifica_catene

    rows, prev = [], HASH_INIZIALE
    for pos, when in ((1, "10:00:00"), (2, "11:00:00"), (2, "12:00:00")):
        r = {"programma": 1, "anno": 2026, "posizione": pos, "tipo": "RICEZIONE", "data": "2026-06-01",
             "registrato_il": f"2026-06-01T{when}", "autore": "Rossi", "riferimento": None,
             "dati": '{"file":"P1.xlsx"}', "hash_precedente": prev}
        r["hash"] = prev = hash_atto(r)
        rows.append(r)
    found = [(a.programma, a.anno, a.posizione, a.codice, a.messaggio)
             for a in verifica_catene(rows, {(1, 2026): (2, rows[-1]["hash"])})]
    assert found == [(1, 2026, 2, "POSIZIONE_NON_VALIDA", "Registro programma 1, anno 2026: posizione 2 non valida.")]


# --- duplicates and overheads: control flow that mutants showed unguarded ----------------------------

def test_duplicates_control_flow():
    # a single-copy document before a duplicated one; no document amount: the cap is the largest claim
    # (numbers differ in their digits: issue 11 drops letter prefixes, so S-1 and N-1 would be one document)
    rows = [spesa(4, numero_documento="S-101"),
            spesa(5, numero_documento="N-102", importo=D("600.00"), importo_documento=None),
            spesa(6, numero_documento="N-102", importo=D("500.00"), importo_documento=None)]
    assert [r.importo_ammesso for r in check(rows)] == [D("1000.00"), D("600.00"), D("0.00")]
    # a copy not admitted (cash) first: the others still share the document's 1,000.00: 600 + 400
    rows = [spesa(4, numero_documento="C-103", modalita_pagamento="Contanti"),
            spesa(5, numero_documento="C-103", importo=D("600.00")), spesa(6, numero_documento="C-103", importo=D("600.00"))]
    assert [r.importo_ammesso for r in check(rows)] == [D("0.00"), D("600.00"), D("400.00")]
    # 0.50 admitted first counts: 100.00 - 0.50 = 99.50 left
    rows = [spesa(4, numero_documento="P-104", importo=D("0.50"), importo_documento=D("100.00")),
            spesa(5, numero_documento="P-104", importo=D("100.00"), importo_documento=D("100.00"))]
    assert [r.importo_ammesso for r in check(rows)] == [D("0.50"), D("99.50")]
    # exactly 100%: no reason on either copy
    rows = [spesa(4, numero_documento="E-105", importo=D("500.00")), spesa(5, numero_documento="E-105", importo=D("500.00"))]
    assert [r.motivi for r in check(rows)] == [[], []]
    # the message lists the other rows in row order, whatever the order of the list
    rows = [spesa(7, numero_documento="O-106", importo=D("600.00")), spesa(5, numero_documento="O-106", importo=D("300.00")),
            spesa(4, numero_documento="O-106", importo=D("300.00"))]
    r7 = check(rows)[0]
    assert [m.messaggio for m in r7.motivi] == [
        "Documento O-106 di Cartoleria Rossi srl imputato anche nelle righe 4, 5 oltre il suo importo (1.000,00 €): "
        "non ammessi 200,00 €."]


def test_document_key_apostrophes():
    from addin.rules.eligibility import chiave_documento

    # issue 11: number prefixes and separators are dropped (FT 12 = F-12 = 12)
    assert chiave_documento("Ditta", "F'12") == chiave_documento("Ditta", "F 12") == ("ditta", "12")


def test_overheads_by_partner_and_rounding_edges():
    by_partner = config_with('spese_generali_livello = "programma"', 'spese_generali_livello = "partner"')
    # Igea: direct 1,000.00, overheads 100.00 (within 10%); Koala: no direct costs, overheads 50.00
    rows = [spesa(4, importo=D("1000.00"), importo_documento=D("1000.00")),
            spesa(5, categoria="Spese generali", importo=D("100.00"), importo_documento=D("100.00")),
            spesa(6, partner="Koala", categoria="Spese generali", importo=D("50.00"), importo_documento=D("50.00"))]
    assert [r.importo_ammesso for r in check(rows, cfg=by_partner)] == [D("1000.00"), D("100.00"), D("0.00")]
    # at programme level the same rows share one cap: 10% of 1,000.00 = 100.00 for 150.00 -> 66.67 / 33.33
    assert [r.importo_ammesso for r in check(rows)] == [D("1000.00"), D("66.67"), D("33.33")]
    # direct 0.50 + 999.50 = 1,000.00 -> cap 100.00; overheads 100.50 cut by 0.50
    rows = [spesa(4, importo=D("0.50"), importo_documento=D("0.50")),
            spesa(5, importo=D("999.50"), importo_documento=D("999.50")),
            spesa(6, categoria="Spese generali", importo=D("100.50"), importo_documento=D("100.50"))]
    assert check(rows)[2].importo_ammesso == D("100.00")
    # cap 1.00 (direct 10.00) for overheads 0.01 + 1.00: 100 cents -> 0.99 / 99.01 -> 0 / 99, the spare cent
    # to the first (remainder .99): 0.01 / 0.99; the first keeps its amount and gets no reason
    rows = [spesa(4, importo=D("10.00"), importo_documento=D("10.00")),
            spesa(5, categoria="Spese generali", importo=D("0.01"), importo_documento=D("0.01")),
            spesa(6, categoria="Spese generali", importo=D("1.00"), importo_documento=D("1.00"))]
    res = check(rows)
    assert [r.importo_ammesso for r in res] == [D("10.00"), D("0.01"), D("0.99")]
    assert (res[1].motivi, res[2].codici) == ([], ["SPESE_GENERALI_OLTRE_LIMITE"])


def test_reduced_row_below_one_euro_stays_admitted_and_closed_window_marks_only_integrable_reasons():
    small = config_with('contanti_massimo = "0.00"', 'contanti_massimo = "0.50"')
    r = one(spesa(modalita_pagamento="Contanti", importo=D("0.80"), importo_documento=D("0.80")), cfg=small)
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("0.50"), ["CONTANTI_OLTRE_LIMITE"])
    from tests.test_rules_eligibility import AFTER_LOCK

    r = one(spesa(importo=D("1200.00"), doc_trasmessa=False, data_trasmissione=None), ref=AFTER_LOCK)
    assert r.codici == ["IMPORTO_OLTRE_DOCUMENTO", "DOCUMENTAZIONE_MANCANTE"]
    assert "Non integrata" not in r.motivi[0].messaggio and "Non integrata" in r.motivi[1].messaggio


def test_overheads_by_partner_after_a_partner_without_overheads():
    by_partner = config_with('spese_generali_livello = "programma"', 'spese_generali_livello = "partner"')
    # Auser: direct only; Igea: direct 1,000.00 and overheads 150.00 -> cut to 10% = 100.00
    rows = [spesa(4, partner="Auser", importo=D("500.00"), importo_documento=D("500.00")),
            spesa(5, importo=D("1000.00"), importo_documento=D("1000.00")),
            spesa(6, categoria="Spese generali", importo=D("150.00"), importo_documento=D("150.00"))]
    assert [r.importo_ammesso for r in check(rows, cfg=by_partner)] == [D("500.00"), D("1000.00"), D("100.00")]


# --- recoverable VAT and other funding (eligibility._row_reasons): thresholds and messages ---------------

def test_vat_and_other_funding_thresholds_and_messages():
    # kills eligibility.x__row_reasons__mutmut_65 (`value >= 0`): a VAT of 0.00 is no reason at all
    r = one(spesa(iva_detraibile=D("0.00"), altri_contributi=D("0.00")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("1000.00"), [])
    # kills 66 (`value > 1`) and the messages (54-56, 82-83): 1,000.00 - 0.50 = 999.50
    r = one(spesa(iva_detraibile=D("0.50")))
    assert (r.esito, r.importo_ammesso) == (Esito.AMMESSA, D("999.50"))
    assert [m.messaggio for m in r.motivi] == ["IVA detraibile 0,50 €: non ammessi 0,50 €."]
    # kills 68 (`ammesso > 1`) and the messages (59-61): 100.00 - 99.50 VAT = 0.50 left, other
    # funding 0.20 still cut from it: 0.50 - 0.20 = 0.30
    r = one(spesa(importo=D("100.00"), importo_documento=D("100.00"), iva_detraibile=D("99.50"),
                  altri_contributi=D("0.20")))
    assert (r.esito, r.importo_ammesso) == (Esito.AMMESSA, D("0.30"))
    assert [m.messaggio for m in r.motivi] == ["IVA detraibile 99,50 €: non ammessi 99,50 €.",
                                               "Altri contributi sulla spesa 0,20 €: non ammessi 0,20 €."]
    # kills 67 (`ammesso >= 0`): VAT 120.004 -> 120.00 takes the whole 100.00, nothing is left for the
    # other funding to cut, so it is no reason (and the row is NON_AMMESSA: the reduction left nothing)
    r = one(spesa(importo=D("100.00"), importo_documento=D("100.00"), iva_detraibile=D("120.004"),
                  altri_contributi=D("10.00")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.NON_AMMESSA, D("0.00"), ["IVA_DETRAIBILE"])
    assert r.motivi[0].messaggio == "IVA detraibile 120,00 €: non ammessi 100,00 €."


# --- the period by competence and by payment (issue #11 landed): which date decides, and what is said ---

def test_period_messages_by_competence():
    from tests.test_rules_eligibility import personale

    # an invoice: its document date decides even with a month typed (kills x__row_reasons__mutmut_182, 184)
    r = one(spesa(data_documento=dt.date(2025, 12, 20), mese_competenza=dt.date(2025, 12, 1),
                  data_pagamento=dt.date(2026, 1, 10), data_trasmissione=dt.date(2026, 1, 15)))
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])
    assert r.motivi[0].messaggio == ("Spesa di competenza del 20/12/2025, fuori dall'anno 2026 della "
                                     "rendicontazione.")
    # a pay slip: the month it refers to (kills 183, 184)
    r = one(personale(mese_competenza=dt.date(2025, 12, 1), data_documento=dt.date(2026, 1, 10),
                      data_pagamento=dt.date(2026, 1, 12), data_trasmissione=dt.date(2026, 1, 19)))
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])
    assert r.motivi[0].messaggio == "Spesa di competenza del mese 12/2025, fuori dall'anno 2026 della rendicontazione."
    # the January 2026 pay slip on a document dated before the co-design: out of period, and nothing
    # else is checked of its payment (paid 15/06/2026, after the reference date 31/05/2026: with the
    # payment checked it would also be PAGAMENTO_MANCANTE). Kills 196, 198, 199, 200.
    r = one(personale(mese_competenza=dt.date(2026, 1, 1), data_documento=dt.date(2025, 12, 31),
                      data_pagamento=dt.date(2026, 6, 15), data_trasmissione=dt.date(2026, 1, 19)))
    assert (r.esito, r.codici, r.finestra) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"], 1)
    assert r.motivi[0].messaggio == ("Documento del 31/12/2025, anteriore all'inizio della co-progettazione "
                                     "(01/01/2026).")
    # a row without category (kills 92)
    assert [(m.codice, m.messaggio) for m in one(spesa(categoria=None)).motivi] == [
        ("CATEGORIA_NON_AMMISSIBILE", "Categoria di spesa mancante.")]


def test_period_by_payment():
    from addin.rules.eligibility import data_decisiva
    from tests.test_rules_eligibility import PER_PAGAMENTO

    cfg = config_with(*PER_PAGAMENTO)
    # the payment decides; without it, the document date
    assert data_decisiva(cfg, spesa(data_pagamento=dt.date(2026, 5, 4))) == dt.date(2026, 5, 4)
    assert data_decisiva(cfg, spesa(data_pagamento=None)) == dt.date(2026, 3, 2)
    # paid 28/12/2025: "sostenuta" (kills _RowConstants.of 9, 48, 49: read as by competence)
    r = one(spesa(data_documento=dt.date(2025, 12, 20), data_pagamento=dt.date(2025, 12, 28),
                  data_trasmissione=dt.date(2026, 1, 10)), cfg=cfg)
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])
    assert r.motivi[0].messaggio == "Spesa sostenuta il 28/12/2025, fuori dall'anno 2026 della rendicontazione."
    # paid 30/12/2026 on a document of 05/01/2027: the document is after the year; out of period, so
    # the transmission (05/02/2027, after the reference date 31/01/2027) is not looked at
    r = one(spesa(data_documento=dt.date(2027, 1, 5), data_pagamento=dt.date(2026, 12, 30),
                  data_trasmissione=dt.date(2027, 2, 5)), cfg=cfg, ref=dt.date(2027, 1, 31))
    assert (r.esito, r.codici, r.finestra) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"], 3)
    assert r.motivi[0].messaggio == "Documento del 05/01/2027, successivo all'anno 2026."
    # a document of 31/12/2026 paid the day before is in the year (kills x__row_reasons__mutmut_214, `>=`)
    r = one(spesa(data_documento=dt.date(2026, 12, 31), data_pagamento=dt.date(2026, 12, 30),
                  data_trasmissione=dt.date(2027, 1, 10)), cfg=cfg, ref=dt.date(2027, 1, 31))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("1000.00"), [])
    # the same document by competence: 05/01/2027 is out of the year 2026 itself
    assert one(spesa(data_documento=dt.date(2027, 1, 5), data_pagamento=dt.date(2026, 12, 30),
                     data_trasmissione=dt.date(2027, 1, 10)), ref=dt.date(2027, 1, 31)).motivi[0].messaggio == (
        "Spesa di competenza del 05/01/2027, fuori dall'anno 2026 della rendicontazione.")


def test_amount_rounding_to_zero_cents_is_not_valid():
    # bug fixed: 0.004 rounds to 0.00 and the row was NON_AMMESSA with no reason at all
    # (also kills valuta_spese 54/55 before the fix: `AMMESSA if ammesso > 0 ... or True` / `>= 0`)
    r = one(spesa(importo=D("0.004")))
    assert (r.esito, r.importo, r.importo_ammesso, r.codici) == (Esito.NON_AMMESSA, D("0.00"), D("0.00"),
                                                                  ["IMPORTO_NON_VALIDO"])
    # 0.005 rounds half up to 0.01: a valid (tiny) amount
    r = one(spesa(importo=D("0.005")))
    assert (r.esito, r.importo, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("0.01"), D("0.01"), [])


# --- monthly hours of a person (eligibility._cap_hours, ore_persona_mese): order, message, control flow --

def test_hours_cap_rows_in_row_order_and_message_word_for_word():
    from tests.test_rules_eligibility import AFTER_LOCK, personale
    from tests.test_rules_personale import cedolino

    # March 2026, Mario Bianchi, rows given out of order: 9 (100 h), 4 (73 h), 6 (1 h), and row 5 with
    # 0 hours (incomplete, does not count). In row order: 73 + 1 = 74, then row 9: room 173 - 74 = 99,
    # excess 100 - 99 = 1 h (kills _cap_hours 19, 21 (list order), 23, 25, 26 (rows), 44 (`excess <= 1`);
    # ore_persona_mese 14 (0 h counted), 15 (1 h not counted))
    rows = [cedolino(9, "100"), cedolino(4, "73"), cedolino(6, "1"),
            personale(5, persona="Mario Bianchi", fornitore="Mario Bianchi", ore=D("0"), costo_orario=D("20.00"),
                      importo=D("100.00"))]
    r9, r4, r6, r5 = check(rows)
    assert [(x.esito, x.codici) for x in (r4, r6)] == [(Esito.AMMESSA, []), (Esito.AMMESSA, [])]
    assert r5.codici == ["PERSONALE_DATI_MANCANTI"]
    assert (r9.esito, r9.importo_ammesso) == (Esito.DA_INTEGRARE, D("0.00"))
    assert [m.messaggio for m in r9.motivi] == [
        "Mario Bianchi: 174 ore nel mese 03/2026 (righe 4, 6, 9), oltre il massimo di 173 ore al mese: 1 ore di "
        "questa riga da giustificare entro il blocco del 31/05/2026."]
    # after the lock: 1 h × 20.00 = 20.00 cut from 2,000.00 = 1,980.00
    r9 = check(rows, ref=AFTER_LOCK)[0]
    assert (r9.esito, r9.importo_ammesso) == (Esito.AMMESSA, D("1980.00"))
    assert [m.messaggio for m in r9.motivi] == [
        "Mario Bianchi: 174 ore nel mese 03/2026 (righe 4, 6, 9), oltre il massimo di 173 ore al mese: 1 ore di "
        "questa riga non giustificate entro il blocco del 31/05/2026: non ammessi 20,00 €."]


def test_hours_cap_message_names_six_rows_and_counts_the_others():
    from tests.test_rules_personale import cedolino

    # eight March rows of 25 h each, rows 4..11: 8 × 25 = 200 h; in row order the cap 173 is reached in
    # row 10 (6 × 25 = 150, room 23, excess 2), row 11 is 25 h beyond it. The message names rows 4..9 and
    # counts the other two (a person-month with hundreds of rows must not make a message of pages).
    rows = [cedolino(n, "25") for n in range(4, 12)]
    got = check(rows)
    assert [m.messaggio for m in got[-1].motivi] == [
        "Mario Bianchi: 200 ore nel mese 03/2026 (righe 4, 5, 6, 7, 8, 9 e altre 2), oltre il massimo di 173 ore "
        "al mese: 25 ore di questa riga da giustificare entro il blocco del 31/05/2026."]
    assert [m.messaggio.split(": ")[2] for m in got[-2].motivi] == ["2 ore di questa riga da giustificare entro il blocco del 31/05/2026."]
    # exactly six rows, 6 × 30 = 180 h (7 over the cap in row 9): all six named, nothing counted
    rows = [cedolino(n, "30") for n in range(4, 10)]
    assert [m.messaggio for m in check(rows)[-1].motivi] == [
        "Mario Bianchi: 180 ore nel mese 03/2026 (righe 4, 5, 6, 7, 8, 9), oltre il massimo di 173 ore al mese: "
        "7 ore di questa riga da giustificare entro il blocco del 31/05/2026."]


def test_hours_cap_skips_rejected_and_non_personnel_rows_and_goes_on():
    from tests.test_rules_personale import cedolino

    rows = [cedolino(3, "50", azione="2.1"),                       # NON_AMMESSA: does not count
            spesa(8, persona="Mario Bianchi", ore=D("100")),        # not personnel: its hours do not count
            cedolino(4, "100", data_documento=dt.date(2026, 2, 10)),   # February: 100 + 73 = 173, the cap
            cedolino(5, "73", data_documento=dt.date(2026, 2, 11)),
            cedolino(6, "100"), cedolino(7, "73"), cedolino(10, "10")]  # March: 183, row 7 fills the cap
    # exactly (excess 0: no reason), row 10 is 10 h beyond it. Kills ore_persona_mese 16, 26 (`break`),
    # 21, 22 (non-personnel hours counted); _cap_hours 16 (`break` after February), 43 (`excess < 0`)
    got = [(x.riga, x.esito, x.codici) for x in check(rows)]
    assert got == [(3, Esito.NON_AMMESSA, ["AZIONE_NON_DEL_PROGRAMMA"]), (8, Esito.AMMESSA, []),
                   (4, Esito.AMMESSA, []), (5, Esito.AMMESSA, []), (6, Esito.AMMESSA, []), (7, Esito.AMMESSA, []),
                   (10, Esito.DA_INTEGRARE, ["PERSONALE_ORE_ECCESSIVE"])]


def test_payment_on_the_reference_date_and_personnel_amount_edges():
    from tests.test_rules_eligibility import personale

    # paid on the reference date itself: paid (kills x__row_reasons__mutmut_262, `paid >= ref`)
    r = one(spesa(data_pagamento=dt.date(2026, 5, 31)), ref=dt.date(2026, 5, 31))
    assert (r.esito, r.codici) == (Esito.AMMESSA, [])
    # 40 h × 25.00 = 1,000.00; claimed 1,100.00 of which 100.00 recoverable VAT: 1,000.00 left, which is
    # hours × rate: no personnel reason (kills 418, `ammesso >= expected`)
    r = one(personale(importo=D("1100.00"), iva_detraibile=D("100.00")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("1000.00"), ["IVA_DETRAIBILE"])
    # with no tolerance, 1 h × 0.25 = 0.25 against 0.50 claimed: 0.25 admitted (kills `importo > 1`)
    cfg = config_with('tolleranza_personale = "1.00"', 'tolleranza_personale = "0.00"')
    r = one(personale(ore=D("1"), costo_orario=D("0.25"), importo=D("0.50")), cfg=cfg)
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("0.25"), ["PERSONALE_IMPORTO_INCOERENTE"])


def test_duplicates_of_a_document_below_one_euro_and_the_discordance_message():
    # a document of 0.80 claimed 0.50 + 0.50: row 5 keeps 0.80 - 0.50 = 0.30 (kills _cap_duplicates 25:
    # a document amount not above 1 ignored, the cap would become the largest claim 0.50)
    rows = [spesa(4, numero_documento="F-9", importo_documento=D("0.80"), importo=D("0.50")),
            spesa(5, numero_documento="F-9", importo_documento=D("0.80"), importo=D("0.50"))]
    a, b = check(rows)
    assert (a.importo_ammesso, b.importo_ammesso, b.codici) == (D("0.50"), D("0.30"), ["DOCUMENTO_DUPLICATO"])
    assert b.motivi[0].messaggio == ("Documento F-9 di Cartoleria Rossi srl imputato anche nelle righe 4 oltre il "
                                     "suo importo (0,80 €): non ammessi 0,20 €.")
    # copies that disagree: every copy says so, the rows listed in row order (kills 41, 42)
    rows = [spesa(6, numero_documento="F1", importo_documento=D("90.00"), importo=D("50.00")),
            spesa(4, numero_documento="F1", importo_documento=D("100.00"), importo=D("80.00"))]
    msg = ("Il documento F1 di Cartoleria Rossi srl ha importi diversi nelle righe 4, 6 (90,00 €, 100,00 €): "
           "vale il minore, 90,00 €.")
    assert [x.motivi[0].messaggio for x in check(rows)] == [msg, msg]


def test_document_number_of_zeros_keeps_one_zero():
    # the key is recorded in the register's decisions, so its text matters, not only its equality
    # (kills eligibility.x_norm_numero__mutmut_20)
    from addin.rules.eligibility import chiave_documento, norm_numero

    assert norm_numero("000") == "0" and norm_numero("F-0/2026") == "0-2026" and norm_numero("FT 0012") == "12"
    assert chiave_documento("Rossi S.r.l.", "N. 0/26") == ("rossi", "0-26")
    # accents after the first digit dropped as in names (kills norm_numero 3, 4); a number without
    # digits keeps its letters (8); only groups of digits lose their leading zeros (15)
    assert norm_numero("12/À") == "12-a" and norm_numero("ABC") == "abc" and norm_numero("F 012A/3") == "012a-3"
    # not ASCII and no digit: every group kept, accents dropped (kills norm_numero 13 after h/valida-speed)
    assert norm_numero("Ricevuta è") == "ricevuta-e"
    # numbers and suppliers typed as numbers (kills chiave_documento 8, 12, 13); nothing left to match
    # on either side: no key (15, 16)
    assert chiave_documento(12345, "7") == ("12345", "7") and chiave_documento("Rossi", 12) == ("rossi", "12")
    assert chiave_documento("Rossi", "/-") is None and chiave_documento("!!", "12") is None


def test_year_closed_only_after_the_last_lock_and_reference_date_warnings(cfg):
    from addin.rules.windows import anno_chiuso, avviso_anno

    # kills windows.x_anno_chiuso (no test before): window 3/2026 locks on 31/01/2027, a lock day is open
    assert not anno_chiuso(cfg, 2026, dt.date(2027, 1, 31)) and anno_chiuso(cfg, 2026, dt.date(2027, 2, 1))
    # kills x_avviso_anno 10-12, 25-26: the warnings word for word; 15 months after 31/12/2026 = 31/03/2028
    assert avviso_anno(2026, dt.date(2025, 12, 31)) == (
        "ATTENZIONE: la data di riferimento 31/12/2025 precede l'anno 2026 del file: nessuna finestra è ancora "
        "iniziata. Controllare la data (--data) o il file.")
    assert avviso_anno(2026, dt.date(2028, 4, 1)) == (
        "ATTENZIONE: la data di riferimento 01/04/2028 è oltre 15 mesi dalla fine dell'anno 2026 del file (dopo il "
        "31/03/2028): probabilmente il file o la data sono sbagliati.")
    assert avviso_anno(2026, dt.date(2028, 3, 31)) is None and avviso_anno(2026, dt.date(2026, 1, 1)) is None


def test_person_key_by_tax_code_name_or_nobody():
    # kills eligibility.x_chiave_persona 10, 12 (a name no tax code was written with), 15, 20 (a name
    # written with two tax codes stays a name), 24, 25 (a row naming nobody has no key)
    from addin.rules.eligibility import chiave_persona, codici_dei_nomi
    from addin.rules.models import Spesa

    codici = codici_dei_nomi([Spesa(1, persona="Mario Rossi", codice_fiscale="RSSMRA80A01D142X"),
                              Spesa(2, persona="Mario Rossi", codice_fiscale="RSSMRA85B02D142Y"),
                              Spesa(3, persona="Anna Bianchi", codice_fiscale="bncnna70c41d142z")])
    assert chiave_persona(Spesa(4, persona="mario  rossi"), codici) == "nome:mario rossi"
    assert chiave_persona(Spesa(5, persona="Anna Bianchi"), codici) == "cf:BNCNNA70C41D142Z"
    assert chiave_persona(Spesa(6, persona="Luca Neri"), codici) == "nome:luca neri"
    assert chiave_persona(Spesa(7, persona="Luca Neri", codice_fiscale=" nrl-lcu 80a01 "), codici) == "cf:NRLLCU80A01"
    assert chiave_persona(Spesa(8), codici) == "" and chiave_persona(Spesa(9, persona="Anna Bianchi")) == "nome:anna bianchi"


def test_window_caches_are_per_configuration(cfg):
    # two configurations in one process, window 1 ending on 30/04 and on 31/05: each keeps its own windows
    # (kills windows.x__finestre__mutmut_2 and x_finestra_di__mutmut_2, one cache for every configuration)
    from addin.rules.windows import finestra_di, finestre_anno

    from addin.config import DEFAULT_CONFIG, parse_config

    late = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'fine = "04-30"\nblocco = "05-31"', 'fine = "05-31"\nblocco = "06-30"', 1).replace(
        'inizio = "05-01"', 'inizio = "06-01"', 1))
    assert [f.numero for f in (finestra_di(cfg, dt.date(2026, 5, 15)), finestra_di(late, dt.date(2026, 5, 15)))] == [2, 1]
    assert finestre_anno(cfg, 2026)[0].blocco == dt.date(2026, 5, 31)
    assert finestre_anno(late, 2026)[0].blocco == dt.date(2026, 6, 30)
