"""Monthly hours of a person above `limiti.ore_mese_massime` (173 by default): issue 11, point 5.

Window 1 of 2026 covers January-April and locks on 31/05/2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from addin.rules.models import Esito
from tests.test_rules_eligibility import AFTER_LOCK, BEFORE_LOCK, check, config_with, personale


def cedolino(riga, ore, persona="Mario Bianchi", **kw):
    """A pay slip of March 2026 at 20.00 €/h: amount = hours × 20.00."""
    return personale(riga, persona=persona, fornitore=persona, ore=D(ore), costo_orario=D("20.00"),
                     importo=D(ore) * D("20.00"), **kw)


def test_default_cap_is_173_hours():
    from addin.config import default_config

    assert default_config().limiti.ore_mese_massime == D("173")


def test_hours_within_the_cap_are_fine():
    # 100 + 73 = 173 h: exactly the cap
    r = check([cedolino(4, "100"), cedolino(5, "73", numero_documento="F-5b")])
    assert [(x.esito, x.importo_ammesso, x.codici) for x in r] == [
        (Esito.AMMESSA, D("2000.00"), []), (Esito.AMMESSA, D("1460.00"), [])]


def test_hours_over_the_cap_are_to_justify_then_the_excess_is_cut():
    # 100 + 90 = 190 h in March 2026 (two partners' rows for the same person): 17 h beyond 173,
    # all on the second row (row order)
    rows = [cedolino(4, "100"), cedolino(5, "90", partner="Koala")]
    first, second = check(rows, ref=BEFORE_LOCK)
    assert (first.esito, first.importo_ammesso, first.codici) == (Esito.AMMESSA, D("2000.00"), [])
    assert (second.esito, second.importo_ammesso, second.codici) == (Esito.DA_INTEGRARE, D("0.00"),
                                                                     ["PERSONALE_ORE_ECCESSIVE"])
    msg = second.motivi[0].messaggio
    assert "190 ore nel mese 03/2026" in msg and "173" in msg and "17 ore" in msg and "31/05/2026" in msg
    # after the lock: 90 h × 20.00 = 1,800.00 less 17 h × 20.00 = 340.00 -> 1,460.00 admitted
    first, second = check(rows, ref=AFTER_LOCK)
    assert (first.esito, first.importo_ammesso) == (Esito.AMMESSA, D("2000.00"))
    assert (second.esito, second.importo_ammesso, second.codici) == (Esito.AMMESSA, D("1460.00"),
                                                                     ["PERSONALE_ORE_ECCESSIVE"])
    assert "non ammessi 340,00 €" in second.motivi[0].messaggio


def test_the_row_that_crosses_the_cap_loses_only_its_excess():
    # 150 + 50 + 30 = 230 h: row 5 crosses 173 by 27 h, row 6 is entirely beyond it (30 h)
    rows = [cedolino(4, "150"), cedolino(5, "50"), cedolino(6, "30")]
    r = check(rows, ref=AFTER_LOCK)
    # row 5: 1,000.00 - 27 × 20.00 = 460.00; row 6: 600.00 - 30 × 20.00 = 0 -> NON_AMMESSA
    assert [(x.esito, x.importo_ammesso) for x in r] == [
        (Esito.AMMESSA, D("3000.00")), (Esito.AMMESSA, D("460.00")), (Esito.NON_AMMESSA, D("0.00"))]


def test_months_and_persons_are_counted_apart():
    rows = [cedolino(4, "100"), cedolino(5, "100", data_documento=dt.date(2026, 4, 2)),   # March and April
            cedolino(6, "100", persona="Anna Neri"), cedolino(7, "73", persona="anna  NERI")]  # 173: the cap
    assert [x.codici for x in check(rows)] == [[], [], [], []]


def test_the_competence_month_decides_not_the_payment():
    # the February pay slip paid in March and the March pay slip: different months
    rows = [cedolino(4, "100", data_documento=dt.date(2026, 3, 5), mese_competenza=dt.date(2026, 2, 1)),
            cedolino(5, "100")]
    assert [x.codici for x in check(rows)] == [[], []]


def test_rejected_rows_do_not_count():
    rows = [cedolino(4, "100", azione="2.1"), cedolino(5, "100")]   # row 4: action of another programme
    assert [x.esito for x in check(rows)] == [Esito.NON_AMMESSA, Esito.AMMESSA]


def test_configurable_cap():
    cfg = config_with('ore_mese_massime = "173"', 'ore_mese_massime = "150"')
    r = check([cedolino(4, "160")], cfg=cfg, ref=AFTER_LOCK)
    # 160 - 150 = 10 h × 20.00 = 200.00 cut from 3,200.00
    assert (r[0].importo_ammesso, r[0].codici) == (D("3000.00"), ["PERSONALE_ORE_ECCESSIVE"])


def test_the_tax_code_identifies_the_person_across_spellings():
    """Issue 11 follow-up: the same tax code under two spellings is one person. 100 h + 80 h in March
    2026 = 180 h > 173: the second row holds 180 - 173 = 7 h of excess; after the lock
    80 h × 20.00 = 1,600.00 less 7 h × 20.00 = 140.00 -> 1,460.00 admitted."""
    cf = "BNCMRA80A01D142X"
    rows = [cedolino(4, "100", codice_fiscale=cf),
            cedolino(5, "80", persona="Bianchi Mario", codice_fiscale=cf.lower(), numero_documento="F-5b")]
    first, second = check(rows, ref=BEFORE_LOCK)
    assert (first.esito, first.codici) == (Esito.AMMESSA, [])
    assert (second.esito, second.importo_ammesso, second.codici) == (Esito.DA_INTEGRARE, D("0.00"),
                                                                     ["PERSONALE_ORE_ECCESSIVE"])
    assert "180 ore nel mese 03/2026" in second.motivi[0].messaggio and "7 ore" in second.motivi[0].messaggio
    first, second = check(rows, ref=AFTER_LOCK)
    assert (first.importo_ammesso, second.esito, second.importo_ammesso) == (D("2000.00"), Esito.AMMESSA,
                                                                             D("1460.00"))
    assert "non ammessi 140,00 €" in second.motivi[0].messaggio


def test_two_tax_codes_with_the_same_name_are_two_persons():
    # 100 h + 80 h under the same name but two tax codes: 100 and 80 h, each within 173
    rows = [cedolino(4, "100", codice_fiscale="BNCMRA80A01D142X"),
            cedolino(5, "80", codice_fiscale="BNCMRA91C41D142Y", numero_documento="F-5b")]
    r = check(rows, ref=AFTER_LOCK)
    assert [(x.esito, x.importo_ammesso, x.codici) for x in r] == [
        (Esito.AMMESSA, D("2000.00"), []), (Esito.AMMESSA, D("1600.00"), [])]


def test_a_row_without_tax_code_joins_the_only_tax_code_of_its_name():
    # «Mario Bianchi» is written with one tax code on row 4: row 5 (no tax code, same name) is that
    # person: 100 + 80 = 180 h, 7 h beyond 173 on row 5 -> 1,600.00 - 140.00 = 1,460.00 after the lock
    rows = [cedolino(4, "100", codice_fiscale="BNCMRA80A01D142X"), cedolino(5, "80", numero_documento="F-5b")]
    r = check(rows, ref=AFTER_LOCK)
    assert [(x.importo_ammesso, x.codici) for x in r] == [(D("2000.00"), []),
                                                          (D("1460.00"), ["PERSONALE_ORE_ECCESSIVE"])]
    # with two tax codes for that name the row without one cannot be placed: it is the name alone (80 h)
    rows.append(cedolino(6, "10", codice_fiscale="BNCMRA91C41D142Y", numero_documento="F-6b"))
    r = check(rows, ref=AFTER_LOCK)
    assert [(x.importo_ammesso, x.codici) for x in r] == [(D("2000.00"), []), (D("1600.00"), []),
                                                          (D("200.00"), [])]
