"""Money over the three years (issue #16): payments made, approved variations, years together,
double funding across years. Every expected figure is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from addin.config.models import Config
from addin.rules.budget import VoceBudget, uso_budget
from addin.rules.models import Esito, EsitoRiga, Spesa
from addin.rules.multiyear import (DatiAnno, OrePersona, RigaDocumento, doppi_documenti_anni,
                                   persone_oltre_tempo, recuperi_compensati, situazioni_anni, triennio)
from addin.rules.payments import Pagamento, situazione_pagamenti
from addin.rules.tranches import liquidazione
from addin.rules.variations import (RigaVariazione, VariazioneBudget, budget_approvato, budget_programma_approvato,
                                    differenze_proposte, errori_variazione)


def _with_offset(cfg: Config) -> Config:
    data = cfg.model_dump()
    data["tranche"][0]["compensazione"] = True
    return Config.model_validate(data)


# --- payments made -----------------------------------------------------------------------------------------

def test_issue_p1_2026_paid_late_and_balance(cfg):
    # P1 2026 budget: municipal 722,461.31, co-financing 88,436.17 -> planned value 810,897.48.
    # Realised 95% of the plan: 810,897.48 × 0.95 = 770,352.606; in cents 770,352.60 (ratio 0.9499999926).
    # Contribution: 722,461.31 × 0.95 = 686,338.2445 -> 686,338.24
    #   (with the ratio in cents: 722,461.31 × 770,352.60 / 810,897.48 = 686,338.2392 -> 686,338.24, the same).
    liq = liquidazione(cfg, 2026, D("722461.31"), D("810897.48"), D("770352.60"), D("770352.60"), D("0"))
    assert liq.contributo_finale == D("686338.24")
    paid = [Pagamento(1, 2026, 1, dt.date(2026, 6, 28), D("433476.79"), "M-101"),
            Pagamento(1, 2026, 2, dt.date(2026, 12, 5), D("216738.39"), "M-202")]
    s = situazione_pagamenti(cfg, 1, 2026, D("722461.31"), paid, dt.date(2027, 1, 15),
                             contributo_dovuto=liq.contributo_finale)
    # 433,476.79 + 216,738.39 = 650,215.18; 686,338.24 − 650,215.18 = 36,123.06 still to pay
    assert s.pagato == D("650215.18")
    assert s.saldo == D("36123.06") and s.da_recuperare == D("0.00")
    t1, t2, t3 = s.tranche
    # planned: 722,461.31 × 0.60 = 433,476.786 -> 433,476.79; × 0.30 = 216,738.393 -> 216,738.39
    assert (t1.previsto, t1.pagato, t1.da_pagare, t1.in_ritardo) == (D("433476.79"), D("433476.79"), 0, False)
    assert t1.stato == "Pagata"
    # tranche 2 due 30/11/2026, paid 05/12/2026: late
    assert t2.scadenza == dt.date(2026, 11, 30) and t2.in_ritardo and t2.stato == "Pagata in ritardo"
    assert [p.mandato for p in t2.pagamenti_in_ritardo] == ["M-202"]
    # the balance tranche: 686,338.24 − 650,215.18 = 36,123.06, due 30/04/2027, not yet late on 15/01/2027
    assert (t3.previsto, t3.da_pagare, t3.scadenza, t3.in_ritardo) == (
        D("36123.06"), D("36123.06"), dt.date(2027, 4, 30), False)
    assert [t.numero for t in s.in_ritardo] == [2]


def test_unpaid_tranche_after_due_date_is_late(cfg):
    # 100.00 budget: tranche 1 = 60.00 due 30/06; on 01/07 nothing paid -> late, 60.00 due
    s = situazione_pagamenti(cfg, 1, 2026, D("100.00"), [], dt.date(2026, 7, 1))
    assert s.tranche[0].in_ritardo and s.tranche[0].da_pagare == D("60.00")
    assert s.tranche[0].stato == "Scaduta, non pagata"
    assert s.tranche[1].stato == "Da pagare" and not s.tranche[1].in_ritardo
    assert s.saldo is None   # contribution not known yet


def test_overpayment_to_recover_without_offset(cfg):
    # budget 1,000.00 paid 600.00 + 300.00; final contribution 750.00 -> 750 − 900 = −150.00: to recover
    paid = [Pagamento(2, 2026, 1, dt.date(2026, 6, 1), D("600.00")),
            Pagamento(2, 2026, 2, dt.date(2026, 11, 1), D("300.00")),
            Pagamento(3, 2026, 1, dt.date(2026, 6, 1), D("999.00")),     # another programme: ignored
            Pagamento(2, 2027, 1, dt.date(2027, 6, 1), D("999.00"))]     # another year: ignored
    s = situazione_pagamenti(cfg, 2, 2026, D("1000.00"), paid, dt.date(2027, 5, 1), contributo_dovuto=D("750.00"))
    assert s.saldo == D("-150.00") and s.da_recuperare == D("150.00")
    assert s.tranche[2].previsto == D("0.00") and s.tranche[2].stato == "Nulla da pagare"
    # default configuration: no offset on next year's tranches
    sit = situazioni_anni(cfg, 2, {2026: (D("1000.00"), D("750.00")), 2027: (D("1000.00"), None)}, paid,
                          dt.date(2027, 7, 1))
    assert sit[2026].da_recuperare == D("150.00")
    assert sit[2027].compensazione_ricevuta == D("0.00")
    assert sit[2027].tranche[0].da_pagare == D("0.00")   # 999.00 paid on a 600.00 tranche: nothing left


def test_offset_against_next_year_first_tranche(cfg):
    cfg2 = _with_offset(cfg)
    paid = [Pagamento(2, 2026, 1, dt.date(2026, 6, 1), D("600.00")),
            Pagamento(2, 2026, 2, dt.date(2026, 11, 1), D("300.00")),
            Pagamento(2, 2027, 1, dt.date(2027, 6, 20), D("450.00"))]
    sit = situazioni_anni(cfg2, 2, {2026: (D("1000.00"), D("750.00")), 2027: (D("1000.00"), None)}, paid,
                          dt.date(2027, 7, 1))
    # 2026: 750 − 900 = −150 to recover; offset on 2027 tranche 1 (600.00): 600 − 150 − 450 paid = 0 due
    t = sit[2027].tranche[0]
    assert t.compensato == D("150.00") and t.da_pagare == D("0.00") and t.stato == "Pagata"
    assert sit[2027].compensazione_ricevuta == D("150.00")
    assert recuperi_compensati(sit) == {2026: D("150.00"), 2027: D("0.00")}
    # 2027 final contribution 1,000.00, tranche 2 not paid: the balance tranche is 1,000 − 450 advances paid
    # − 150 offset = 400.00, and so is the year's balance
    sit = situazioni_anni(cfg2, 2, {2026: (D("1000.00"), D("750.00")), 2027: (D("1000.00"), D("1000.00"))}, paid,
                          dt.date(2027, 7, 1))
    assert sit[2027].tranche[2].previsto == D("400.00") and sit[2027].saldo == D("400.00")


def test_offset_capped_at_the_tranche(cfg):
    # to recover 800.00, next year's tranche 1 of a 1,000.00 budget is 600.00: offset 600.00, 200.00 stays
    cfg2 = _with_offset(cfg)
    s = situazione_pagamenti(cfg2, 2, 2027, D("1000.00"), [], dt.date(2027, 1, 1),
                             da_recuperare_precedente=D("800.00"))
    assert s.tranche[0].compensato == D("600.00") and s.compensazione_ricevuta == D("600.00")
    assert s.tranche[0].stato == "Compensata" and s.tranche[0].da_pagare == D("0.00")


def test_offset_config_validation(cfg):
    data = cfg.model_dump()
    data["tranche"][2]["compensazione"] = True
    with pytest.raises(ValidationError, match="compensazione"):
        Config.model_validate(data)
    assert not any(t.compensazione for t in cfg.tranche)   # default off


def test_payment_on_unknown_tranche_counted_apart(cfg):
    s = situazione_pagamenti(cfg, 1, 2026, D("100.00"), [Pagamento(1, 2026, 9, dt.date(2026, 5, 1), D("5.00"))],
                             dt.date(2026, 5, 2), contributo_dovuto=D("100.00"))
    assert [p.tranche for p in s.fuori_piano] == [9]
    assert s.pagato == D("5.00") and s.saldo == D("95.00")


# --- approved budget variations ------------------------------------------------------------------------------

def _sheet_p1() -> list[VoceBudget]:
    # the partner's Budget sheet: 1.1 services 50,000 + 5,000; 1.2 services 30,000 + 3,000.
    # The partner also typed a July variation of −2,000.00 on 1.1 (a proposal, not approved).
    return [VoceBudget("1.1", "SERVIZI", comunale_iniziale=D("50000.00"), comunale_luglio=D("-2000.00"),
                       cofin_iniziale=D("5000.00")),
            VoceBudget("1.2", "SERVIZI", comunale_iniziale=D("30000.00"), cofin_iniziale=D("3000.00"))]


JULY = VariazioneBudget(1, 2026, dt.date(2026, 7, 15), "Verbale Cabina di regia n. 3/2026",
                        (RigaVariazione("1.1", "SERVIZI", comunale=D("-10000.00")),
                         RigaVariazione("1.2", "SERVIZI", comunale=D("10000.00"))))


def _rows(amounts: list[tuple[str, str]]) -> tuple[list[Spesa], list[EsitoRiga]]:
    spese = [Spesa(i + 2, azione=a, categoria="SERVIZI", importo=D(x)) for i, (a, x) in enumerate(amounts)]
    esiti = [EsitoRiga(s.riga, Esito.AMMESSA, s.importo, s.importo, []) for s in spese]
    return spese, esiti


def test_issue_july_variation_changes_budget_check_not_contribution(cfg):
    spese, esiti = _rows([("1.1", "42000.00"), ("1.2", "38000.00")])
    before = {(u.azione, u.categoria): u for u in uso_budget(cfg, [v for v in _sheet_p1()], spese, esiti)}
    voci = budget_approvato(cfg, _sheet_p1(), [JULY], 1, 2026, dt.date(2026, 9, 30))
    after = {(u.azione, u.categoria): u for u in uso_budget(cfg, [v.come_voce_budget() for v in voci], spese, esiti)}
    # before (the sheet as typed, July proposal included): 1.2 budget 30,000 + 3,000 = 33,000 < 38,000 admitted
    assert before[("1.2", "SERVIZI")].superato
    # after the approved variation: 1.1 50,000 − 10,000 + 5,000 = 45,000 (42,000 admitted: residue 3,000);
    # 1.2 30,000 + 10,000 + 3,000 = 43,000 (38,000 admitted: residue 5,000). The proposal is not applied.
    assert after[("1.1", "SERVIZI")].budget == D("45000.00") and after[("1.1", "SERVIZI")].residuo == D("3000.00")
    assert after[("1.2", "SERVIZI")].budget == D("43000.00") and not after[("1.2", "SERVIZI")].superato
    # the contribution uses the programme's approved municipal budget: 722,461.31 − 10,000 + 10,000
    b = budget_programma_approvato(cfg, 1, 2026, [JULY])
    assert b.comunale == D("722461.31") and b.cofinanziamento == D("88436.17")
    liq_before = liquidazione(cfg, 2026, D("722461.31"), D("810897.48"), D("770352.60"), D("770352.60"), D("0"))
    liq_after = liquidazione(cfg, 2026, b.comunale, b.totale, D("770352.60"), D("770352.60"), D("0"))
    assert liq_before.contributo_finale == liq_after.contributo_finale == D("686338.24")


def test_variation_not_yet_approved_at_reference_date(cfg):
    voci = budget_approvato(cfg, _sheet_p1(), [JULY], 1, 2026, dt.date(2026, 7, 14))
    assert [v.comunale_attuale for v in voci] == [D("50000.00"), D("30000.00")]


def test_proposals_listed_with_difference(cfg):
    voci = budget_approvato(cfg, _sheet_p1(), [JULY], 1, 2026)
    # 1.1: proposed 50,000 − 2,000 = 48,000; approved 50,000 − 10,000 = 40,000 -> difference 8,000.00
    # 1.2: proposed 30,000; approved 40,000 -> difference −10,000.00
    v11, v12 = voci
    assert (v11.comunale_proposto, v11.comunale_attuale, v11.differenza_comunale) == (
        D("48000.00"), D("40000.00"), D("8000.00"))
    assert v12.differenza_comunale == D("-10000.00") and v12.differenza_cofin == D("0.00")
    lines = differenze_proposte(cfg, voci)
    assert len(lines) == 2
    assert lines[0].startswith("Azione 1.1, Servizi e prestazioni professionali di enti terzi: comunale proposto "
                               "48.000,00 €, approvato 40.000,00 € (differenza 8.000,00 €)")
    assert "non approvata dalla Cabina di regia" in lines[1]


def test_variation_changing_programme_total_changes_contribution(cfg):
    v = VariazioneBudget(3, 2027, dt.date(2027, 11, 20), "Verbale 7/2027",
                         (RigaVariazione("3.1", "BENI", comunale=D("1395.20")),))
    # P3 2027: 8,604.80 + 1,395.20 = 10,000.00
    assert budget_programma_approvato(cfg, 3, 2027, [v, JULY]).comunale == D("10000.00")
    assert budget_programma_approvato(cfg, 3, 2026, [v]).comunale == D("8604.80")


def test_variation_errors_in_italian(cfg):
    bad = VariazioneBudget(1, 2026, dt.date(2026, 7, 1), " ",
                           (RigaVariazione("2.1", "SERVIZI", comunale=D("5")),
                            RigaVariazione("1.1", "NUOVA", comunale=D("0")),
                            RigaVariazione("1.1", "BENI", comunale=D("1.005"))))
    errs = errori_variazione(cfg, bad)
    assert errs == ["indicare il riferimento del verbale della Cabina di regia.",
                    "riga 1: l'azione «2.1» non è del programma 1 (1.1, 1.2, 1.3, 1.4, 1.5).",
                    "riga 2: categoria «NUOVA» sconosciuta (PERSONALE_INTERNO, PERSONALE_ESTERNO, BENI, "
                    "SERVIZI, SPESE_GENERALI).",
                    "riga 2: variazione nulla.",
                    "riga 3: gli importi vanno indicati al centesimo."]
    assert errori_variazione(cfg, JULY) == []
    assert errori_variazione(cfg, VariazioneBudget(9, 2026, dt.date(2026, 7, 1), "v", ())) == [
        "il programma 9 non è configurato."]


# --- years together --------------------------------------------------------------------------------------------

def test_years_and_cumulative(cfg):
    y26 = DatiAnno(2026, D("1000.00"), D("200.00"), D("1100.00"), D("150.00"), D("1250.00"), D("900.00"),
                   D("950.00"))
    y27 = DatiAnno(2027, D("1000.00"), D("200.00"), D("1300.00"), D("100.00"), D("1400.00"), D("1000.00"),
                   D("900.00"))
    rows, cum = triennio([y27, y26])
    assert [r.anno for r in rows] == [2026, 2027]
    # 2026: 900 − 950 = −50 -> to recover 50.00; 2027: 1,000 − 900 = 100.00 to pay
    assert (y26.da_recuperare, y26.da_pagare, y27.da_pagare) == (D("50.00"), D("0.00"), D("100.00"))
    # cumulative: budget 2,000 + 400; admitted 2,400; co-financing 250 on base 2,650 -> 250/2,650 = 9.43%
    assert (cum.anno, cum.budget_totale, cum.ammesso) == (None, D("2400.00"), D("2400.00"))
    assert cum.quota_cofinanziamento.quantize(D("0.0001")) == D("0.0943")
    # contribution 1,900; paid 1,850: 50.00 still to pay overall (the years are not netted by default:
    # the year rows still show 50.00 to recover in 2026)
    assert (cum.contributo, cum.pagato, cum.saldo) == (D("1900.00"), D("1850.00"), D("50.00"))


def test_offset_years_keep_the_cumulative_balance():
    # 2026: contribution 750, paid 900, 150 recovered by offset on 2027; 2027: 1,000, paid 450 + offset 150
    y26 = DatiAnno(2026, D("1000"), D("0"), D("750"), D("0"), D("750"), D("750.00"), D("900.00"),
                   recuperato=D("150.00"))
    y27 = DatiAnno(2027, D("1000"), D("0"), D("1000"), D("0"), D("1000"), D("1000.00"), D("450.00"),
                   compensazione_ricevuta=D("150.00"))
    _, cum = triennio([y26, y27])
    # 2026: 750 − 900 + 150 = 0; 2027: 1,000 − 450 − 150 = 400; overall 1,750 − 1,350 cash = 400
    assert (y26.saldo, y27.saldo, cum.saldo) == (D("0.00"), D("400.00"), D("400.00"))


# --- double funding across years -----------------------------------------------------------------------------

def _doc(anno, file, riga, rend, amm, doc=D("1200.00"), numero="FT 12/2026"):
    return RigaDocumento(anno, 1, file, riga, ("tipografia rossi", numero.replace(" ", "").casefold()),
                         "Tipografia Rossi", numero, doc, D(rend), D(amm))


def test_issue_invoice_claimed_in_2026_and_2027():
    rows = [_doc(2026, "P1_2026.xlsx", 5, "1200.00", "1200.00"),
            _doc(2027, "P1_2027.xlsx", 9, "1200.00", "1000.00"),
            _doc(2027, "P1_2027.xlsx", 10, "300.00", "300.00", numero="FT 13/2026")]
    found = doppi_documenti_anni(rows)
    assert len(found) == 1
    d = found[0]
    # claimed 1,200 + 1,200 = 2,400 on a 1,200.00 invoice; admitted 1,200 + 1,000 = 2,200 -> excess 1,000.00
    assert d.eccedenza == D("1000.00")
    assert d.luoghi == ((2026, 1, "P1_2026.xlsx", 5), (2027, 1, "P1_2027.xlsx", 9))
    assert "negli anni 2026, 2027" in d.descrizione and "Eccedenza ammessa: 1.000,00 €" in d.descrizione


def test_split_invoice_across_years_within_100_percent_is_fine():
    # 700 in 2026 + 500 in 2027 = 1,200 = the invoice: not double funding
    assert doppi_documenti_anni([_doc(2026, "a", 5, "700.00", "700.00"), _doc(2027, "b", 6, "500.00", "500.00")]) == []
    # the same year twice is the yearly consolidation's business
    assert doppi_documenti_anni([_doc(2026, "a", 5, "1200.00", "1200.00"),
                                 _doc(2026, "b", 6, "1200.00", "1200.00")]) == []


def test_invoice_without_amount_in_two_years_is_reported():
    rows = [_doc(2026, "a", 5, "10.00", "10.00", doc=None), _doc(2028, "c", 7, "10.00", "10.00", doc=None)]
    (d,) = doppi_documenti_anni(rows)
    assert d.eccedenza is None and "senza importo del documento" in d.descrizione and "2026, 2028" in d.descrizione


def test_person_over_full_time_in_a_month_across_years():
    dec = dt.date(2026, 12, 1)
    rows = [OrePersona(2026, 1, "P1_2026.xlsx", 20, "Maria Rossi", dec, D("120")),
            OrePersona(2027, 2, "P2_2027.xlsx", 8, "maria  rossi", dt.date(2026, 12, 31), D("60")),
            OrePersona(2027, 2, "P2_2027.xlsx", 9, "Maria Rossi", dt.date(2027, 1, 31), D("160")),
            OrePersona(2026, 1, "P1_2026.xlsx", 21, "Luca Bianchi", dec, D("100")),
            OrePersona(2027, 1, "P1_2027.xlsx", 3, "Luca Bianchi", dec, D("73"))]
    found = persone_oltre_tempo(rows, D("173"))
    # Maria Rossi, December 2026: 120 + 60 = 180 > 173 (180/173 = 104.05%); January 2027 one year only.
    # Luca Bianchi: 100 + 73 = 173, exactly full time: fine.
    assert len(found) == 1
    assert found[0].luoghi == ((2026, 1, "P1_2026.xlsx", 20), (2027, 2, "P2_2027.xlsx", 8))
    assert found[0].descrizione.startswith("Maria Rossi: 180 ore in dicembre 2026 nei rendiconti degli anni "
                                           "2026, 2027, oltre il tempo pieno di 173 ore (104,05%)")


# --- properties ------------------------------------------------------------------------------------------------

_cents = st.integers(min_value=0, max_value=2_000_000_00).map(lambda c: D(c) / 100)


@settings(max_examples=60, deadline=None)
@given(budgets=st.lists(_cents, min_size=3, max_size=3), finals=st.lists(_cents, min_size=3, max_size=3),
       paid=st.lists(st.tuples(st.integers(0, 2), st.sampled_from([1, 2, 3]), _cents), max_size=8),
       offset=st.booleans())
def test_years_balance_is_contribution_minus_cash_whatever_the_offset(cfg, budgets, finals, paid, offset):
    """Over the years, the sum of the yearly balances is always Σ contributions − Σ cash paid: an offset
    moves an amount to recover from one year to the next, it never creates or loses money."""
    c = _with_offset(cfg) if offset else cfg
    years = [2026, 2027, 2028]
    pays = [Pagamento(1, years[y], t, dt.date(years[y], 6, 1), amount) for y, t, amount in paid if amount > 0]
    sit = situazioni_anni(c, 1, {y: (b, f) for y, b, f in zip(years, budgets, finals)}, pays, dt.date(2030, 1, 1))
    rec = recuperi_compensati(sit)
    rows = [DatiAnno(y, b, D(0), D(0), D(0), D(0), f, sit[y].pagato, sit[y].compensazione_ricevuta, rec[y])
            for y, b, f in zip(years, budgets, finals)]
    _, cum = triennio(rows)
    assert cum.saldo == sum(finals, D(0)) - sum((p.importo for p in pays), D(0))
    assert sum((r.saldo for r in rows), D(0)) == cum.saldo
    for y in years:
        assert all(t.da_pagare >= 0 and t.compensato <= t.previsto for t in sit[y].tranche)
        if not offset:
            assert sit[y].compensazione_ricevuta == 0


# --- mutants that survived `make mutate` (docs/sviluppo.md): each test names what it kills ----------------

def test_payment_situation_fields_offset_below_one_euro_and_due_date_itself(cfg):
    # budget 1,000.004 -> 1,000.00: tranche 1 = 600.00 due 30/06/2027, offset on it (configured) 0.50
    # to recover from 2026; 100.00 paid on the due date, which is also the reference date.
    cfg2 = _with_offset(cfg)
    s = situazione_pagamenti(cfg2, 2, 2027, D("1000.004"), [Pagamento(2, 2027, 1, dt.date(2027, 6, 30), D("100.00"))],
                             dt.date(2027, 6, 30), da_recuperare_precedente=D("0.50"))
    # kills payments.x_situazione_pagamenti__mutmut_79-82, 95 (the situation's own fields)
    assert (s.programma, s.anno, s.data_riferimento, s.contributo_previsto) == (2, 2027, dt.date(2027, 6, 30),
                                                                                D("1000.00"))
    t1, t2, t3 = s.tranche
    # kills 61, 63 (description and balance flag of each tranche)
    assert [(t.descrizione, t.saldo) for t in s.tranche] == [
        ("Prima soluzione anticipata", False), ("Seconda soluzione anticipata", False), ("Saldo", True)]
    # kills 32, 49 (an offset below 1 euro is still an offset): 600.00 - 0.50 - 100.00 = 499.50 due
    assert (t1.previsto, t1.compensato, t1.pagato, t1.da_pagare) == (D("600.00"), D("0.50"), D("100.00"),
                                                                    D("499.50"))
    assert s.compensazione_ricevuta == D("0.50")
    # kills 78: on its due date a tranche is not yet overdue
    assert not t1.scaduta and not t1.in_ritardo and t1.stato == "Pagata in parte"


def test_persons_over_full_time_skips_nameless_zero_hour_and_one_year_groups_and_sorts():
    dec = dt.date(2026, 12, 1)
    rows = [
        # Maria Rossi, December 2026: 1,200 + 60.5 = 1,260.5 h in two years (listed before Paolo)
        OrePersona(2027, 2, "P2_2027.xlsx", 8, "maria  rossi", dt.date(2026, 12, 31), D("60.5")),
        OrePersona(2026, 1, "P1_2026.xlsx", 20, "Maria Rossi", dec, D("1200")),
        # Anna Verdi: 200 h in one year only (kills persone_oltre_tempo 12, `break`)
        OrePersona(2027, 1, "P1_2027.xlsx", 5, "Anna Verdi", dt.date(2027, 3, 1), D("200")),
        # Luca Bianchi: 100 + 73 = 173, exactly full time (kills 21, `break`)
        OrePersona(2026, 1, "P1_2026.xlsx", 21, "Luca Bianchi", dec, D("100")),
        OrePersona(2027, 1, "P1_2027.xlsx", 3, "Luca Bianchi", dec, D("73")),
        # rows without a person: 100 + 100 h, nobody to report (kills 5, `who or ...`)
        OrePersona(2026, 1, "P1_2026.xlsx", 30, "", dec, D("100")),
        OrePersona(2027, 1, "P1_2027.xlsx", 31, "  ", dec, D("100")),
        # Giulia Neri: 180 h in 2026 and a row of 0 h in 2027: one year with hours (kills 6, `>= 0`)
        OrePersona(2026, 2, "P2_2026.xlsx", 40, "Giulia Neri", dt.date(2026, 11, 1), D("180")),
        OrePersona(2027, 2, "P2_2027.xlsx", 41, "Giulia Neri", dt.date(2026, 11, 30), D("0")),
        # Paolo Gialli, October 2026: 173 + 1 = 174 h (kills 7, `> 1`)
        OrePersona(2027, 2, "P2_2027.xlsx", 12, "Paolo Gialli", dt.date(2026, 10, 1), D("1")),
        OrePersona(2026, 1, "P1_2026.xlsx", 10, "Paolo Gialli", dt.date(2026, 10, 15), D("173")),
    ]
    found = persone_oltre_tempo(rows, D("173"))
    # sorted by first place: Paolo (P1_2026 row 10) before Maria (P1_2026 row 20) (kills 51, 53-55);
    # 174 × 100 / 173 = 100.578 -> 100,58%; 1,260.5 × 100 / 173 = 728.613 -> 728,61% (kills 24, 26 and
    # the thousands of _ore, 18-25)
    assert [d.descrizione for d in found] == [
        "Paolo Gialli: 174 ore in ottobre 2026 nei rendiconti degli anni 2026, 2027, oltre il tempo pieno di "
        "173 ore (100,58%): 2026 P1 P1_2026.xlsx riga 10 (173 ore); 2027 P2 P2_2027.xlsx riga 12 (1 ore).",
        "Maria Rossi: 1.260,50 ore in dicembre 2026 nei rendiconti degli anni 2026, 2027, oltre il tempo pieno di "
        "173 ore (728,61%): 2026 P1 P1_2026.xlsx riga 20 (1.200 ore); 2027 P2 P2_2027.xlsx riga 8 (60,50 ore)."]
    assert found[1].luoghi == ((2026, 1, "P1_2026.xlsx", 20), (2027, 2, "P2_2027.xlsx", 8))


def test_ats_row_sums_each_field_of_the_programmes():
    from addin.rules.multiyear import somma_programmi

    # kills multiyear.x_somma_programmi (no test before): each field summed on its own
    p1 = DatiAnno(2026, D("100.00"), D("10.00"), D("90.00"), D("9.00"), D("99.00"), D("80.00"), D("70.00"),
                  D("1.00"), D("2.00"))
    p2 = DatiAnno(2026, D("200.00"), D("20.00"), D("180.00"), D("18.00"), D("198.00"), D("160.00"), D("140.00"),
                  D("3.00"), D("4.00"))
    ats = somma_programmi([p1, p2], 2026)
    assert ats == DatiAnno(2026, D("300.00"), D("30.00"), D("270.00"), D("27.00"), D("297.00"), D("240.00"),
                           D("210.00"), D("4.00"), D("6.00"))
    assert somma_programmi([], None) == DatiAnno(None, *[D("0.00")] * 9)


def test_documents_across_years_skip_single_year_and_covered_groups_and_sort():
    seven = ("tipografia rossi", "7")
    rows = [
        # document 7 (100.00): 2027 row 2 claims 80.00 (admitted 80.00), 2026 row 30 60.00 (admitted 50.00)
        RigaDocumento(2027, 1, "P1_2027.xlsx", 2, seven, "Tipografia Rossi srl", "7", D("100.00"), D("80.00"),
                      D("80.00")),
        RigaDocumento(2026, 1, "P1_2026.xlsx", 30, seven, "Tipografia Rossi", "FT 7", D("100.00"), D("60.00"),
                      D("50.00")),
        # one year only (kills doppi_documenti_anni 9, `break`)
        _doc(2026, "a", 1, "900.00", "900.00", numero="X 1"), _doc(2026, "b", 2, "900.00", "900.00", numero="X 1"),
        # within 100% (kills 32, `break`)
        _doc(2026, "a", 3, "700.00", "700.00", numero="S 1"), _doc(2027, "b", 4, "500.00", "500.00", numero="S 1"),
        _doc(2026, "P1_2026.xlsx", 5, "1200.00", "1200.00"), _doc(2027, "P1_2027.xlsx", 9, "1200.00", "1000.00"),
    ]
    found = doppi_documenti_anni(rows)
    # sorted by first place: row 5 before row 30 (kills 65, 67-69); the first row in year order names the
    # document (kills 41); claimed 80 + 60 = 140.00, admitted 80 + 50 = 130.00, excess 130 - 100 = 30.00
    # (kills 33, 35, 52-54)
    assert [d.descrizione for d in found] == [
        "Documento FT 12/2026 di Tipografia Rossi (importo 1.200,00 €) rendicontato per 2.400,00 € e ammesso per "
        "2.200,00 € negli anni 2026, 2027: 2026 P1 P1_2026.xlsx riga 5; 2027 P1 P1_2027.xlsx riga 9. "
        "Eccedenza ammessa: 1.000,00 €.",
        "Documento FT 7 di Tipografia Rossi (importo 100,00 €) rendicontato per 140,00 € e ammesso per 130,00 € "
        "negli anni 2026, 2027: 2026 P1 P1_2026.xlsx riga 30; 2027 P1 P1_2027.xlsx riga 2. "
        "Eccedenza ammessa: 30,00 €."]
    assert [d.eccedenza for d in found] == [D("1000.00"), D("30.00")]


def test_approved_budget_sums_keys_orders_and_lists_proposals(cfg):
    from addin.rules.variations import approvate

    servizi = "Servizi e prestazioni professionali di enti terzi"      # SERVIZI by its name
    sheet = [VoceBudget("1.1", "PERSONALE_INTERNO", comunale_iniziale=D("30.00")),
             VoceBudget("1.2", servizi, comunale_iniziale=D("100.004"), cofin_iniziale=D("10.00")),
             VoceBudget("0.9", "BENI", comunale_iniziale=D("7.00")),          # not an action of programme 1
             VoceBudget("1.2", "SERVIZI", comunale_iniziale=D("50.00"), cofin_iniziale=D("5.00"),
                        cofin_luglio=D("1.00")),
             VoceBudget("1.1", "NUOVA", comunale_iniziale=D("3.00")),          # unknown category
             VoceBudget("1.1", "", comunale_iniziale=D("1.00")),               # no category
             VoceBudget("1.1", "BENI", comunale_iniziale=D("20.00"), cofin_iniziale=D("2.00"))]
    v1 = VariazioneBudget(1, 2026, dt.date(2026, 7, 15), "Verbale 3/2026",
                          (RigaVariazione("1.2", "SERVIZI", comunale=D("10.00"), cofinanziamento=D("2.00")),
                           RigaVariazione("1.2", servizi, comunale=D("5.00"), cofinanziamento=D("1.00"))))
    v2 = VariazioneBudget(1, 2026, dt.date(2026, 9, 30), "Verbale 4/2026",      # approved on the reference date
                          (RigaVariazione("1.1", "BENI", comunale=D("-4.00")),
                           RigaVariazione("1.1", "NUOVA", comunale=D("1.00"))))
    v3 = VariazioneBudget(1, 2026, dt.date(2026, 10, 1), "Verbale 5/2026",      # the day after: not yet
                          (RigaVariazione("1.1", "BENI", comunale=D("100.00")),))
    v4 = VariazioneBudget(2, 2026, dt.date(2026, 7, 1), "Verbale P2", (RigaVariazione("2.1", "BENI", comunale=D("9")),))
    ref = dt.date(2026, 9, 30)
    # in approval order, up to the reference date included (kills approvate 2, 4, 11, 12)
    assert approvate([v3, v2, v4, v1], 1, 2026, ref) == [v1, v2]
    voci = budget_approvato(cfg, sheet, [v3, v2, v4, v1], 1, 2026, ref)
    # order: the programme's actions, then the others; categories in configured order, unknown ones last
    # (kills budget_approvato 60, 62, 64-69); SERVIZI by name and by code is one line (3, 4, 6-8); the two
    # unknown categories stay apart (9-11); each amount is added (22, 26, 30, 33, 49, 52-54):
    # 1.2 SERVIZI initial 100.00 + 50.00, variations 10 + 5 = 15.00 and 2 + 1 = 3.00, proposed
    # 150.00 and 10 + 5 + 1 = 16.00
    assert [(v.azione, v.categoria, v.comunale_iniziale, v.cofin_iniziale, v.comunale_variazioni, v.cofin_variazioni,
             v.comunale_proposto, v.cofin_proposto) for v in voci] == [
        ("1.1", "PERSONALE_INTERNO", D("30.00"), D("0.00"), D("0.00"), D("0.00"), D("30.00"), D("0.00")),
        ("1.1", "BENI", D("20.00"), D("2.00"), D("-4.00"), D("0.00"), D("20.00"), D("2.00")),
        ("1.1", "NUOVA", D("3.00"), D("0.00"), D("1.00"), D("0.00"), D("3.00"), D("0.00")),
        ("1.1", "", D("1.00"), D("0.00"), D("0.00"), D("0.00"), D("1.00"), D("0.00")),
        ("1.2", "SERVIZI", D("150.00"), D("15.00"), D("15.00"), D("3.00"), D("150.00"), D("16.00")),
        ("0.9", "BENI", D("7.00"), D("0.00"), D("0.00"), D("0.00"), D("7.00"), D("0.00")),
    ]
    # the approved figures as the budget check reads them: cofinancing 15 + 3 = 18.00 (kills come_voce_budget 12)
    assert voci[4].come_voce_budget().cofin_attuale == D("18.00")
    # the programme's budget: 722,461.31 + 15 - 4 + 1 = 722,473.31 and 88,436.17 + 3 = 88,439.17
    # (kills budget_programma_approvato 8, 12, 23)
    b = budget_programma_approvato(cfg, 1, 2026, [v3, v2, v4, v1], ref)
    assert (b.comunale, b.cofinanziamento) == (D("722473.31"), D("88439.17"))
    # the partner's proposals, word for word, after a line without one (kills differenze_proposte 4, 10-13,
    # 16-18, 20, 21): 1.1 BENI 20 proposed vs 20 - 4 = 16 approved; NUOVA 3 vs 3 + 1 = 4; 1.2 SERVIZI
    # 150 vs 165 and 16 vs 18
    tail = ": variazione proposta, non approvata dalla Cabina di regia."
    assert differenze_proposte(cfg, voci) == [
        "Azione 1.1, Beni di consumo e materie prime: comunale proposto 20,00 €, approvato 16,00 € "
        "(differenza 4,00 €)" + tail,
        "Azione 1.1, NUOVA: comunale proposto 3,00 €, approvato 4,00 € (differenza -1,00 €)" + tail,
        f"Azione 1.2, {servizi}: comunale proposto 150,00 €, approvato 165,00 € (differenza -15,00 €); "
        "cofinanziamento proposto 16,00 €, approvato 18,00 € (differenza -2,00 €)" + tail]


def test_variation_errors_year_without_budget_no_rows_and_cofinancing_at_cents(cfg):
    # kills errori_variazione 5, 12-14 (messages) and 39 (co-financing at cents is fine)
    assert errori_variazione(cfg, VariazioneBudget(1, 2031, dt.date(2031, 7, 1), "Verbale 1/2031", ())) == [
        "nessun budget del programma 1 per l'anno 2031.", "la variazione non ha righe."]
    ok = VariazioneBudget(1, 2026, dt.date(2026, 7, 1), "Verbale 3/2026",
                          (RigaVariazione("1.1", "BENI", comunale=D("-2.00"), cofinanziamento=D("2.00")),))
    assert errori_variazione(cfg, ok) == []
