"""Year and window by competence, payment by the lock (issue 11, point 1).

Windows of a year: 1 = Jan-Apr (lock 31/05), 2 = May-Aug (lock 30/09), 3 = Sep-Dec (lock 31/01 of the
next year). The competence of an expense is its document date; for personnel the month the pay slip
refers to (column «Mese di competenza»), falling back to the document date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from addin.rules.eligibility import data_competenza, data_decisiva
from addin.rules.models import Esito
from addin.rules.windows import finestre_anno
from addin.workbook.seals import forma_canonica, righe_finestra
from tests.test_rules_eligibility import PER_PAGAMENTO, config_with, one, personale, spesa


def cedolino_dicembre_2026(**kw):
    """The December 2026 pay slip of Mario Bianchi: 40 h × 25.00 = 1,000.00."""
    base = dict(tipo_documento="Cedolino", numero_documento="12/2026", data_documento=dt.date(2027, 1, 10),
                mese_competenza=dt.date(2026, 12, 1), data_pagamento=dt.date(2027, 1, 12),
                data_trasmissione=dt.date(2027, 1, 19))
    base.update(kw)
    return personale(**base)


def f24_dicembre_2026(**kw):
    """The F24 of the December 2026 contributions, paid on 16/01/2027: 10 h × 25.00 = 250.00."""
    base = dict(riga=5, tipo_documento="F24", numero_documento="F24-12-2026", fornitore="Agenzia delle Entrate",
                data_documento=dt.date(2027, 1, 16), mese_competenza=dt.date(2026, 12, 1),
                data_pagamento=dt.date(2027, 1, 16), ore=D("10"), costo_orario=D("25.00"), importo=D("250.00"),
                data_trasmissione=dt.date(2027, 1, 19))
    base.update(kw)
    return personale(**base)


def test_default_is_competence():
    from addin.config import default_config

    assert default_config().regole.data_decisiva == "competenza"


def test_december_pay_slip_and_f24_paid_in_january_are_admitted_in_their_year():
    for ref in (dt.date(2027, 1, 20), dt.date(2027, 2, 15)):
        r = one(cedolino_dicembre_2026(), ref=ref)
        assert (r.esito, r.importo_ammesso, r.codici, r.finestra) == (Esito.AMMESSA, D("1000.00"), [], 3)
        r = one(f24_dicembre_2026(), ref=ref)
        assert (r.esito, r.importo_ammesso, r.codici, r.finestra) == (Esito.AMMESSA, D("250.00"), [], 3)


def test_pay_slip_paid_after_the_lock_is_excluded():
    # paid 05/02/2027, after the lock of window 3/2026 (31/01/2027)
    row = cedolino_dicembre_2026(data_pagamento=dt.date(2027, 2, 5))
    r = one(row, ref=dt.date(2027, 2, 15))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.ESCLUSA, D("0.00"), ["PAGAMENTO_TARDIVO"])
    assert "05/02/2027" in r.motivi[0].messaggio and "31/01/2027" in r.motivi[0].messaggio
    # on 20/01/2027 the window is open and the payment is still to come: to complete, as before
    r = one(row, ref=dt.date(2027, 1, 20))
    assert (r.esito, r.codici) == (Esito.DA_INTEGRARE, ["PAGAMENTO_MANCANTE"])
    # a payment dated in the future is late as soon as the window is locked
    r = one(row, ref=dt.date(2027, 2, 1))
    assert (r.esito, r.codici) == (Esito.ESCLUSA, ["PAGAMENTO_TARDIVO"])


def test_payment_on_the_lock_day_is_in_time():
    r = one(cedolino_dicembre_2026(data_pagamento=dt.date(2027, 1, 31)), ref=dt.date(2027, 2, 15))
    assert (r.esito, r.importo_ammesso) == (Esito.AMMESSA, D("1000.00"))


def test_december_2028_invoice_paid_in_january_2029_is_admitted_in_2028():
    row = spesa(data_documento=dt.date(2028, 12, 15), data_pagamento=dt.date(2029, 1, 20),
                data_trasmissione=dt.date(2029, 1, 25))
    r = one(row, anno=2028, ref=dt.date(2029, 1, 31))
    assert (r.esito, r.importo_ammesso, r.codici, r.finestra) == (Esito.AMMESSA, D("1000.00"), [], 3)


def test_december_pay_slip_in_the_next_year_workbook_is_out_of_period_only():
    r = one(cedolino_dicembre_2026(), anno=2027, ref=dt.date(2027, 3, 1))
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])
    assert "12/2026" in r.motivi[0].messaggio and "2027" in r.motivi[0].messaggio


def test_competence_month_counts_for_personnel_only():
    cfg = config_with(*PER_PAGAMENTO)   # any config: data_competenza does not depend on the setting
    # personnel: the month; without it, the document date
    assert data_competenza(cfg, cedolino_dicembre_2026()) == dt.date(2026, 12, 1)
    assert data_competenza(cfg, cedolino_dicembre_2026(mese_competenza=None)) == dt.date(2027, 1, 10)
    # an invoice: the document date, whatever the month column says
    assert data_competenza(cfg, spesa(mese_competenza=dt.date(2026, 1, 1))) == dt.date(2026, 3, 2)


def test_by_payment_the_payment_date_still_decides():
    cfg = config_with(*PER_PAGAMENTO)
    row = cedolino_dicembre_2026()
    assert data_decisiva(cfg, row) == dt.date(2027, 1, 12)
    assert one(row, cfg=cfg, ref=dt.date(2027, 1, 20)).codici == ["DATA_FUORI_PERIODO"]


def test_seals_place_rows_by_competence():
    from addin.config import default_config

    cfg = default_config()
    w1, _, w3 = finestre_anno(cfg, 2026)
    # invoice of 28/04/2026 (window 1) paid on 05/05/2026 (window 2): sealed with window 1
    inv = spesa(riga=6, data_documento=dt.date(2026, 4, 28), data_pagamento=dt.date(2026, 5, 5))
    slip = cedolino_dicembre_2026()
    assert [s.riga for s in righe_finestra(cfg, [inv, slip], w1)] == [6]
    assert [s.riga for s in righe_finestra(cfg, [inv, slip], w3)] == [4]


def test_an_empty_optional_column_leaves_the_sealed_text_unchanged():
    # rows sealed before «Mese di competenza» existed keep their canonical text
    assert "mese_competenza" not in forma_canonica(spesa())
    assert '"mese_competenza":"2026-12-01"' in forma_canonica(cedolino_dicembre_2026())
