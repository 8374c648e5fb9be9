"""RC.* custom functions through xlwings' own custom-functions dispatcher (the code path
xlwings Server runs for POST /xlwings/custom-functions-call), with hand-computed figures."""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

import asyncio  # noqa: E402
import datetime as dt  # noqa: E402

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
import xlwings.server  # noqa: E402

import macros_py.functions as F  # noqa: E402


def serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def call(name: str, *args):
    data = {"func_name": name, "args": [[[a]] for a in args], "caller_address": "Spese!A1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "it-IT", "date_format": "gg/mm/aaaa"}
    out = asyncio.run(xlwings.server.custom_functions_call(data, F))
    assert len(out) == 1
    return out[0] if len(out[0]) > 1 else out[0][0]


def as_date(cell) -> dt.date:
    assert cell["type"] == "FormattedNumber" and cell["numberFormat"] == "dd/mm/yyyy", cell
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(cell["basicValue"]))


def test_functions_are_real_xlwings_functions():
    assert xw.func.__module__ == "xlwings.pro.udfs_officejs", "XLWINGS_ON_SERVER not set before importing xlwings"
    names = {f.__xlfunc__["name"].upper() for f in vars(F).values() if hasattr(f, "__xlfunc__")}
    assert names == {"FINESTRA", "FINESTRA_CHIUSA", "SCADENZA_BLOCCO", "TRANCHE", "SCADENZA_TRANCHE",
                     "COFIN_MINIMO", "COFIN_MANCANTE", "COFIN_QUOTA", "TARIFFA_VOLONTARI", "ESITO"}


@pytest.mark.parametrize("day,label", [(dt.date(2026, 1, 1), "1/2026"), (dt.date(2026, 4, 30), "1/2026"),
                                       (dt.date(2026, 5, 1), "2/2026"), (dt.date(2026, 8, 31), "2/2026"),
                                       (dt.date(2026, 9, 1), "3/2026"), (dt.date(2027, 12, 31), "3/2027")])
def test_finestra(day, label):
    assert call("finestra", serial(day)) == label


def test_finestra_empty_cell_is_empty():
    assert call("finestra", None) == ""


def test_finestra_chiusa_lock_day_still_open():
    assert call("finestra_chiusa", serial(dt.date(2026, 4, 30)), serial(dt.date(2026, 5, 31))) is False
    assert call("finestra_chiusa", serial(dt.date(2026, 4, 30)), serial(dt.date(2026, 6, 1))) is True
    # third window locks on 31 January of the next year
    assert call("finestra_chiusa", serial(dt.date(2026, 12, 1)), serial(dt.date(2027, 1, 31))) is False
    assert call("finestra_chiusa", serial(dt.date(2026, 12, 1)), serial(dt.date(2027, 2, 1))) is True


def test_finestra_chiusa_defaults_to_today(monkeypatch):
    # without a reference date the function uses today (xlbridge.today): window 1/2026 locks on 31/05/2026
    from addin import xlbridge

    monkeypatch.setattr(xlbridge, "today", lambda: dt.date(2026, 5, 31))
    assert call("finestra_chiusa", serial(dt.date(2026, 3, 1))) is False
    monkeypatch.setattr(xlbridge, "today", lambda: dt.date(2026, 6, 1))
    assert call("finestra_chiusa", serial(dt.date(2026, 3, 1))) is True


@pytest.mark.parametrize("day,lock", [(dt.date(2026, 2, 10), dt.date(2026, 5, 31)),
                                      (dt.date(2026, 6, 15), dt.date(2026, 9, 30)),
                                      (dt.date(2026, 10, 10), dt.date(2027, 1, 31))])
def test_scadenza_blocco_is_an_excel_date(day, lock):
    assert as_date(call("scadenza_blocco", serial(day))) == lock


def test_tranche_programme_1():
    # P1 2026 municipal contribution 722,461.31: 60% = 433,476.786 -> .79, 30% = 216,738.393 -> .39,
    # balance = the rest = 72,246.13
    assert call("tranche", 722461.31, 1) == 433476.79
    assert call("tranche", 722461.31, 2) == 216738.39
    assert call("tranche", 722461.31, 3) == 72246.13


def errore(name: str, *args) -> str:
    """The Italian message of a function that must fail (an XlwingsError: HTTP 400, #VALUE! in Excel)."""
    with pytest.raises(xw.XlwingsError) as exc:
        call(name, *args)
    return str(exc.value)


def test_tranche_unknown_number_is_an_excel_error():
    assert "tranche 4" in errore("tranche", 1000, 4)


def test_scadenza_tranche():
    assert as_date(call("scadenza_tranche", 2026, 1)) == dt.date(2026, 6, 30)
    assert as_date(call("scadenza_tranche", 2026, 2)) == dt.date(2026, 11, 30)
    assert as_date(call("scadenza_tranche", 2026, 3)) == dt.date(2027, 4, 30)


def test_cofinanziamento():
    # P1: 722,461.31 + 88,436.17 = 810,897.48; 10% = 81,089.748 -> 81,089.75
    assert call("cofin_minimo", 810897.48) == 81089.75
    assert call("cofin_quota", 88436.17, 810897.48) == pytest.approx(88436.17 / 810897.48)
    assert "zero" in errore("cofin_quota", 5, 0)


def test_cofin_mancante():
    # P4 2026: minimum 196,406.30 / 9 = 21,822.92 (10% of the total cost once added); missing
    # 21,822.92 - 18,793.08 = 3,029.84; P1 (88,436.17 >= 722,461.31 / 9 = 80,273.48) misses nothing
    assert call("cofin_mancante", 196406.30, 18793.08) == 3029.84
    assert call("cofin_mancante", 722461.31, 88436.17) == 0
    assert "Contributo comunale" in errore("cofin_mancante", "centomila", 1)


def test_tariffa_volontari(monkeypatch):
    from addin import xlbridge

    assert call("tariffa_volontari", 2026) == 20.07
    # without a year: the year of today (xlbridge.today), here 2027: the table's last rate, 20.07
    monkeypatch.setattr(xlbridge, "today", lambda: dt.date(2027, 3, 1))
    assert call("tariffa_volontari", None) == 20.07


# --- raw cell values through the project's parser ------------------------------------------------

@pytest.mark.parametrize("text,label", [("18/03/2026", "1/2026"), ("2026-05-01", "2/2026"), ("1/9/26", "3/2026"),
                                        (" 31/12/2027 ", "3/2027")])
def test_finestra_reads_italian_and_iso_text(text, label):
    assert call("finestra", text) == label


def test_empty_string_from_a_formula_is_an_empty_result():
    assert call("finestra", "") == ""
    assert call("finestra_chiusa", "") == ""
    assert call("scadenza_blocco", "") == ""


@pytest.mark.parametrize("value", [0, -5, True, False, 3_000_000, "domani", "31/02/2026", "#N/D"])
def test_finestra_refuses_what_is_not_a_date(value):
    msg = errore("finestra", value)
    assert msg.startswith("Data:") and "gg/mm/aaaa" in msg


@pytest.mark.parametrize("args,word", [((-100, 1), "negativo"), ((True, 1), "importo"), ((1000, 1.5), "intero"),
                                       ((1000, "uno"), "intero")])
def test_tranche_refuses_negative_and_wrong_numbers(args, word):
    assert word in errore("tranche", *args)


def test_cofin_refuses_negative_amounts():
    assert "negativo" in errore("cofin_quota", -5, 100)
    assert "negativo" in errore("cofin_quota", 5, -100)
    assert "negativo" in errore("cofin_minimo", -1)


def test_scadenza_tranche_outside_the_period_is_an_error():
    assert "2026-2028" in errore("scadenza_tranche", 2031, 1)


def test_functions_that_depend_on_today_are_volatile():
    meta = xlwings.server.custom_functions_meta(F)
    volatile = {f["name"] for f in meta["functions"] if f.get("options", {}).get("volatile")}
    assert volatile == {"FINESTRA_CHIUSA", "TARIFFA_VOLONTARI", "ESITO"}


def test_functions_run_off_the_event_loop():
    import inspect

    for name in F.__all__:
        assert inspect.iscoroutinefunction(getattr(F, name)), name
