"""Dates and messages (issue 11, point 8).

Window 1 of 2026 covers January-April and locks on 31/05/2026; the base row is an invoice of
02/03/2026 paid on 20/03/2026 and transmitted on 10/04/2026.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from decimal import Decimal as D

import pytest

from addin.rules.budget import VoceBudget, budget_non_conforme
from addin.rules.models import Esito
from addin.rules.windows import avviso_anno
from tests.test_rules_eligibility import one, spesa


def test_transmission_after_the_reference_date_is_not_yet_done():
    # transmitted «03/06/2026», checked on 20/05/2026: not transmitted yet, window open -> to complete
    row = spesa(data_trasmissione=dt.date(2026, 6, 3))
    r = one(row, ref=dt.date(2026, 5, 20))
    assert (r.esito, r.codici) == (Esito.DA_INTEGRARE, ["DOCUMENTAZIONE_MANCANTE"])
    assert "03/06/2026" in r.motivi[0].messaggio and "20/05/2026" in r.motivi[0].messaggio
    # a transmission after the reference date but before the lock: the same, not late
    r = one(spesa(data_trasmissione=dt.date(2026, 5, 25)), ref=dt.date(2026, 5, 20))
    assert (r.esito, r.codici) == (Esito.DA_INTEGRARE, ["DOCUMENTAZIONE_MANCANTE"])
    # once the lock has passed at the reference date: late
    for ref in (dt.date(2026, 6, 1), dt.date(2026, 6, 10)):
        r = one(row, ref=ref)
        assert (r.esito, r.codici) == (Esito.ESCLUSA, ["TRASMISSIONE_TARDIVA"]), ref


def test_december_2025_row_is_only_out_of_period():
    # documented, paid and transmitted after the lock of «window 3/2025», a window that does not exist
    r = one(spesa(data_documento=dt.date(2025, 12, 10), data_pagamento=dt.date(2026, 2, 20),
                  data_trasmissione=dt.date(2026, 2, 25)), ref=dt.date(2026, 3, 1))
    assert (r.esito, r.codici) == (Esito.NON_AMMESSA, ["DATA_FUORI_PERIODO"])
    assert "2025" not in r.motivi[0].messaggio.split("fuori")[1]    # no window of 2025 named


@pytest.mark.parametrize("ref,warned", [
    (dt.date(2025, 12, 31), True),            # before the year starts
    (dt.date(2026, 1, 1), False),
    (dt.date(2027, 3, 31), False),
    (dt.date(2028, 3, 31), False),            # 15 months after 31/12/2026
    (dt.date(2028, 4, 1), True),
])
def test_reference_date_far_from_the_year(ref, warned):
    msg = avviso_anno(2026, ref)
    assert (msg is not None) is warned
    if warned:
        assert msg.startswith("ATTENZIONE") and ref.strftime("%d/%m/%Y") in msg and "2026" in msg


def test_year_warning_in_verifica_and_consolidation(cfg):
    from addin.casi.consolida import A_DATA, consolida
    from addin.casi.verifica import esegui_verifica
    from addin.workbook.reader import CartellaRendiconto

    c = CartellaRendiconto("p1.xlsx", 1, 2026, "1", [spesa()], [], [])
    r = esegui_verifica(c, cfg, dt.date(2028, 6, 1))
    assert r.avvisi[0].startswith("ATTENZIONE") and "2026" in r.avvisi[0]
    assert not [a for a in esegui_verifica(c, cfg, dt.date(2026, 6, 1)).avvisi if a.startswith("ATTENZIONE")]
    k = consolida([CartellaRendiconto("p1.xlsx", 1, 2026, "1", [spesa()], [], [])], cfg, dt.date(2025, 11, 30))
    assert k.anomalie[0].tipo == A_DATA and "2026" in k.anomalie[0].descrizione


def test_budget_sheet_reconciled_with_the_configuration(cfg):
    # P1 2026 configured: 722,461.31 municipal, 88,436.17 co-financing
    ok = [VoceBudget("1.1", "BENI", comunale_iniziale=D("700000.00"), cofin_iniziale=D("88436.17")),
          VoceBudget("1.2", "SERVIZI", comunale_iniziale=D("22461.31"))]
    assert budget_non_conforme(cfg, 1, 2026, ok) is None
    assert budget_non_conforme(cfg, 1, 2026, []) is None           # nothing typed: nothing to reconcile
    assert budget_non_conforme(cfg, 1, 2026, [VoceBudget("1.1", "BENI")]) is None
    off = [VoceBudget("1.1", "BENI", comunale_iniziale=D("700000.00"), cofin_iniziale=D("88436.17")),
           VoceBudget("1.2", "SERVIZI", comunale_iniziale=D("22000.00"))]
    msg = budget_non_conforme(cfg, 1, 2026, off)
    # 700,000 + 22,000 = 722,000.00, 461.31 less than configured
    assert msg.startswith("BUDGET_NON_CONFORME") and "722.000,00 €" in msg and "722.461,31 €" in msg
    assert "-461,31 €" in msg and "cofinanziamento" not in msg.split("rispetto")[0].split("riporta")[1]


def test_budget_advisory_in_verifica_and_consolidation(cfg):
    from addin.casi.consolida import A_BUDGET_CONF, consolida
    from addin.casi.verifica import esegui_verifica
    from addin.workbook.reader import CartellaRendiconto

    off = [VoceBudget("1.1", "BENI", comunale_iniziale=D("1000.00"))]
    c = CartellaRendiconto("p1.xlsx", 1, 2026, "1", [spesa()], [], off)
    r = esegui_verifica(c, cfg, dt.date(2026, 5, 31))
    assert [a for a in r.avvisi if a.startswith("BUDGET_NON_CONFORME")]
    assert r.esiti[0].esito is Esito.AMMESSA                          # advisory: nothing else changes
    k = consolida([r], cfg, dt.date(2026, 5, 31))
    assert [(a.tipo, a.programma) for a in k.anomalie if a.tipo == A_BUDGET_CONF] == [(A_BUDGET_CONF, 1)]


def test_istruzioni_mark_default_values_provisional(cfg):
    from addin.workbook import schema as S
    from addin.workbook.template import build_template

    text = " ".join(str(c.value) for row in build_template(cfg, 1, 2026)[S.ISTRUZIONI].iter_rows()
                    for c in row if c.value)
    assert "Progetto definitivo" in text and "[D]" in text
    # the [D] values the partners meet, each with its value
    for fragment in ("10,00% dei costi diretti", "173 ore", "1,00 €", "10 anni", "20,07 €", "30/06", "30/11",
                     "10 giorni", "722.461,31 €"):
        assert fragment in text, fragment


def test_toml_marks_the_yearly_budgets_default():
    from addin.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert len(re.findall(r"^\[programmi\.budget\]\s+# \[D\]", text, re.M)) == 6
    assert tomllib.loads(text)["programmi"][0]["budget"]["2026"]["comunale"] == "722461.31"
