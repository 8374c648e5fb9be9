"""Property tests (hypothesis): money rounding, allocation, tranches, final contribution."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from addin.config import default_config
from addin.rules.money import allocate, money
from addin.rules.tranches import liquidazione, piano_tranche

CFG = default_config()

# amounts in cents up to 100 million euro
cents = st.integers(min_value=0, max_value=10**10)


def money_by_integers(units: int, scale: int) -> D:
    """Independent reference: the number units / 10**scale rounded half away from zero to cents,
    computed with integers only."""
    sign = -1 if units < 0 else 1
    n = abs(units)
    if scale <= 2:
        c = n * 10 ** (2 - scale)
    else:
        div = 10 ** (scale - 2)
        c, rem = divmod(n, div)
        if 2 * rem >= div:
            c += 1
    return D(sign * c) / 100


@given(st.integers(min_value=-10**14, max_value=10**14), st.integers(min_value=0, max_value=8))
def test_money_half_up_matches_integer_reference(units, scale):
    value = D(units).scaleb(-scale)
    assert money(value) == money_by_integers(units, scale)
    assert money(str(value)) == money(value)


def test_money_known_values():
    assert [money(D(x)) for x in ("0.005", "0.015", "-0.005", "2.675", "1.004999")] == [
        D("0.01"), D("0.02"), D("-0.01"), D("2.68"), D("1.00")]
    assert money(0.1) == D("0.10") and money(2.675) == D("2.68")  # floats through repr, as typed
    assert money(None) == D("0.00")


@given(cents, st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30))
def test_allocate_sums_exactly_and_is_proportional(total_cents, weights_cents):
    total = D(total_cents) / 100
    weights = [D(w) / 100 for w in weights_cents]
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    wsum = sum(weights)
    if wsum == 0:
        assert all(p == 0 for p in parts)
        return
    assert sum(parts) == total
    for p, w in zip(parts, weights):
        assert p >= 0 and p == money(p)
        assert abs(p - total * w / wsum) < D("0.01")


@given(cents, st.sampled_from([2026, 2027, 2028]))
def test_tranches_add_up_to_the_contribution(contrib_cents, anno):
    contributo = D(contrib_cents) / 100
    plan = piano_tranche(CFG, anno, contributo)
    assert sum(r.importo for r in plan) == contributo
    for r in plan[:-1]:
        assert r.importo == money(contributo * r.quota)
    assert plan[-1].saldo and plan[-1].importo >= 0
    assert abs(plan[-1].importo - contributo * plan[-1].quota) <= D("0.01")


@settings(max_examples=300)
@given(cents, cents, cents, cents)
def test_final_contribution_bounds(contrib, previsto, realizzato, ammesso):
    c, p, r, a = (D(x) / 100 for x in (contrib, previsto, realizzato, ammesso))
    liq = liquidazione(CFG, 2026, c, p, r, a)
    assert D(0) <= liq.contributo_finale <= c
    assert liq.contributo_finale <= a                       # never above the admitted expenditure
    assert liq.contributo_finale == money(liq.contributo_finale)
    # the monetary co-financing is the rest of the admitted expenditure: the two add up to it
    assert liq.cofinanziamento_monetario >= 0 and liq.contributo_finale + liq.cofinanziamento_monetario == a
    assert liq.saldo == liq.contributo_finale - liq.anticipi
    assert liq.da_recuperare == (-liq.saldo if liq.saldo < 0 else 0)
    if p > 0 and r >= p and a >= c:
        assert liq.contributo_finale == c


def test_to_decimal_italian_and_international():
    from addin.rules.money import to_decimal

    cases = {"1.234,56": "1234.56", "1,234.56": "1234.56", "1234,5": "1234.5", "12.50": "12.50",
             "1.234.567": "1234567", "1,234,567": "1234567", " 1.000,00 € ": "1000.00", "-3,5": "-3.5",
             "\u00a02\u00a0500,10": "2500.10", "12.500": "12500", "1.234": "1234", "0.125": "0.125",
             "EUR 10": "10", "1'234,50": "1234.50"}
    for text, expected in cases.items():
        assert to_decimal(text) == D(expected), text
    for bad in ("", "abc", "1,2,3.4.5", "NaN", "inf", None, True):
        assert to_decimal(bad) is None, bad
    assert to_decimal(3) == D(3) and to_decimal(0.1) == D("0.1")


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8).filter(
    lambda w: w not in {"srl", "srls", "spa", "sas", "snc", "sapa", "scarl", "scrl", "scpa", "ss", "ssd", "ssdrl", "ssdarl",
                        "arl", "onlus", "aps", "odv", "ets", "coop", "soc", "societa", "cooperativa", "sociale",
                        "impresa", "unipersonale"})


@given(st.lists(_WORD, min_size=1, max_size=3), st.sampled_from(["", " srl", " S.r.l.", " SRL", " s.p.a.", " Spa",
                                                                 " soc. coop.", " Cooperativa Sociale Onlus", " snc"]),
       st.sampled_from(["", "FT ", "F-", "N. ", "fatt. n. ", "Ft."]),
       st.integers(min_value=1, max_value=99999), st.integers(min_value=2000, max_value=2099),
       st.sampled_from(["/", "-", " / ", ".", "_"]), st.booleans())
def test_document_key_ignores_legal_forms_prefixes_and_separators(words, form, prefix, n, year, sep, padded):
    # independent expectation: the supplier's words in lower case, the number's digit groups without
    # leading zeros joined by "-"
    from addin.rules.eligibility import chiave_documento

    name = " ".join(w.capitalize() for w in words)
    number = f"{prefix}{n:05d}{sep}{year}" if padded else f"{prefix}{n}{sep}{year}"
    assert chiave_documento(name + form, number) == (" ".join(words), f"{n}-{year}")
    assert chiave_documento(name + form, f"{prefix}{n}") == (" ".join(words), str(n))


@given(st.text(max_size=30), st.text(max_size=30))
def test_document_key_is_none_only_without_supplier_or_number(fornitore, numero):
    from addin.rules.eligibility import chiave_documento

    k = chiave_documento(fornitore, numero)
    has_number = any(ch.isalnum() for ch in numero)
    if k is not None:
        assert k[0] and k[1] and has_number
    elif has_number and any(ch.isalnum() for ch in fornitore):
        raise AssertionError((fornitore, numero))


