"""Duplicates and double funding that cannot be dodged (issue 11, point 6).

Window 1 of 2026 covers January-April and locks on 31/05/2026; the base row is a fully documented
invoice of 1,000.00 € (document amount 1,000.00) of Cartoleria Rossi srl.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.rules.eligibility import chiave_documento, norm_numero
from addin.rules.models import Esito
from tests.test_rules_eligibility import AFTER_LOCK, BEFORE_LOCK, check, spesa


@pytest.mark.parametrize("a,b", [
    (("Rossi srl", "12"), ("Rossi S.r.l.", "12")),
    (("Rossi srl", "FT 12"), ("ROSSI SRL", "F-12")),
    (("Rossi srl", "F-12"), ("Rossi", "12")),
    (("Rossi srl", "12/2026"), ("Rossi S.R.L", "12-2026")),
    (("Cooperativa Mensa Insieme soc. coop.", "0012/2026"), ("Cooperativa Mensa Insieme", "12 / 2026")),
    (("Giochi Educativi spa", "n. 7"), ("Giochi Educativi S.p.A.", "7")),
])
def test_the_same_document_written_differently(a, b):
    assert chiave_documento(*a) == chiave_documento(*b) is not None


@pytest.mark.parametrize("numero,chiave", [
    ("FT 0012/2026", "12-2026"),   # letters before the first digit dropped, groups joined by -, zeros dropped
    ("N.12a-3", "12a-3"),          # a group of letters and digits is kept as it is
    ("ft_12", "12"),
    ("x-00", "0"),                 # a group of zeros is 0
    ("A1b2", "1b2"),
    ("abc", "abc"),                # no digits: the letters are the number
    ("Fattura n° 7", "7"),         # non-ASCII text: the general path
])
def test_document_numbers_normalised(numero, chiave):
    assert norm_numero(numero) == chiave


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=20))
def test_ascii_numbers_read_as_by_the_general_path(numero):
    # ASCII numbers take a fast path (perf); with a combining accent added (removed again by norm()) the same
    # text takes the general one: both must give the same number
    assert norm_numero(numero) == norm_numero(numero + "\u0301")


@pytest.mark.parametrize("a,b", [
    (("Rossi srl", "12"), ("Bianchi srl", "12")),        # another supplier
    (("Rossi srl", "12/2026"), ("Rossi srl", "12/2025")),  # another year
    (("Rossi srl", "12"), ("Rossi srl", "121")),
])
def test_different_documents_stay_different(a, b):
    assert chiave_documento(*a) != chiave_documento(*b)


def test_rows_written_differently_share_the_document():
    # 600 + 600 of the 1,000.00 invoice written «FT 12» by Rossi srl and «F-12» by Rossi S.r.l.: 600 + 400
    rows = [spesa(4, fornitore="Rossi srl", numero_documento="FT 12", importo=D("600.00")),
            spesa(5, fornitore="Rossi S.r.l.", numero_documento="F-12", importo=D("600.00"))]
    a, b = check(rows)
    assert (a.importo_ammesso, b.importo_ammesso, b.codici) == (D("600.00"), D("400.00"), ["DOCUMENTO_DUPLICATO"])


def test_a_claim_to_complete_counts_at_once():
    # row 4 (600.00) still misses its transmission: DA_INTEGRARE, but it keeps its 600.00 of the 1,000.00
    # document; row 5 (600.00) is admitted for the 400.00 left
    rows = [spesa(4, numero_documento="F-50", importo=D("600.00"), doc_trasmessa=False, data_trasmissione=None),
            spesa(5, numero_documento="F-50", importo=D("600.00"))]
    a, b = check(rows, ref=BEFORE_LOCK)
    assert (a.esito, a.importo_ammesso, a.codici) == (Esito.DA_INTEGRARE, D("0.00"), ["DOCUMENTAZIONE_MANCANTE"])
    assert (b.esito, b.importo_ammesso, b.codici) == (Esito.AMMESSA, D("400.00"), ["DOCUMENTO_DUPLICATO"])
    # completed: 600.00 + 400.00 = 1,000.00, never beyond 100%
    done = dataclasses.replace(rows[0], doc_trasmessa=True, data_trasmissione=dt.date(2026, 4, 10))
    a, b = check([done, rows[1]])
    assert (a.importo_ammesso, b.importo_ammesso) == (D("600.00"), D("400.00"))
    # never completed: excluded after the lock, it no longer holds any room: row 5 gets its 600.00
    a, b = check(rows, ref=AFTER_LOCK)
    assert (a.esito, b.esito, b.importo_ammesso, b.codici) == (Esito.ESCLUSA, Esito.AMMESSA, D("600.00"), [])


def test_a_claim_to_complete_beyond_the_document_is_told_at_once():
    # row 4 admitted 700.00; row 5 (500.00) waits for its payment: DOCUMENTO_DUPLICATO at once, with what it
    # could still get (1,000.00 - 700.00 = 300.00), and nothing admitted
    rows = [spesa(4, numero_documento="F-51", importo=D("700.00")),
            spesa(5, numero_documento="F-51", importo=D("500.00"), data_pagamento=None)]
    a, b = check(rows, ref=BEFORE_LOCK)
    assert (a.esito, a.importo_ammesso, a.codici) == (Esito.AMMESSA, D("700.00"), [])
    assert (b.esito, b.importo_ammesso) == (Esito.DA_INTEGRARE, D("0.00"))
    assert b.codici == ["PAGAMENTO_MANCANTE", "DOCUMENTO_DUPLICATO"]
    assert "al più per 300,00 €" in b.motivi[1].messaggio


def test_copies_with_different_document_amounts_the_smallest_counts():
    # the same invoice declared 1,000.00 on row 4 and 800.00 on row 5, claimed 500 + 500: the cap is 800.00,
    # row 5 gets 300.00; both rows say the amounts disagree
    rows = [spesa(4, numero_documento="F-60", importo=D("500.00")),
            spesa(5, numero_documento="F-60", importo=D("500.00"), importo_documento=D("800.00"))]
    a, b = check(rows)
    assert (a.esito, a.importo_ammesso, a.codici) == (Esito.AMMESSA, D("500.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE"])
    assert (b.importo_ammesso, b.codici) == (D("300.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE", "DOCUMENTO_DUPLICATO"])
    assert "800,00 €, 1.000,00 €" in a.motivi[0].messaggio and "vale il minore, 800,00 €" in a.motivi[0].messaggio


def test_the_disagreement_is_advisory():
    # 400 + 300 = 700.00 within the smaller amount (800.00): both admitted in full, flagged
    rows = [spesa(4, numero_documento="F-61", importo=D("400.00")),
            spesa(5, numero_documento="F-61", importo=D("300.00"), importo_documento=D("800.00"))]
    assert [(r.esito, r.importo_ammesso, r.codici) for r in check(rows)] == [
        (Esito.AMMESSA, D("400.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE"]),
        (Esito.AMMESSA, D("300.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE"])]
