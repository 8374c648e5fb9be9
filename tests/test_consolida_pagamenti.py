"""The yearly consolidation with the register (issue #16): payments made and approved budget variations
read from the acts; planned, paid and due tranches side by side in `Tranche` and `Cruscotto`, late
payments marked; nothing of it with `--senza-registro`. Every figure computed by hand below."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from addin.casi.atti_registro import leggi_atti
from addin.casi.consolida import consolida, risultato_json
from addin.casi.pagamenti import registra_pagamento
from addin.casi.variazioni import registra_variazione
from addin.rules.variations import RigaVariazione, VariazioneBudget
from addin.workbook import schema as S
from addin.workbook.consolidation import build_workbook
from tests.test_triennio import AFTER_2026, JULY, PAID_2026, _books

# P1 2026: municipal budget 722,461.31 (configuration). Advances: 60% = 433,476.786 -> 433,476.79 (due
# 30/06/2026, paid 28/06: on time); 30% = 216,738.393 -> 216,738.39 (due 30/11/2026, paid 05/12: late).
PAID = D("433476.79") + D("216738.39")          # 650,215.18
# The books of tests/test_triennio.py admit 1,200 + 300 + 120 h × 20 = 3,900.00 of spending; their final
# contribution is 3,474.67 (computed by hand there); the year is closed at AFTER_2026, so the balance is
# 3,474.67 − 650,215.18 = −646,740.51: to recover.
CONTRIBUTO = D("3474.67")


def _consolida(registro, cfg):
    b26, _ = _books()
    acts = {(1, 2026): leggi_atti(1, 2026, registro.atti(1, 2026))}
    return consolida([b26], cfg, AFTER_2026, anno=2026, atti=acts)


def _grid(wb, name):
    return [[c.value for c in row] for row in wb[name].iter_rows(min_row=4)]


def test_consolidation_shows_paid_due_and_late_tranches(cfg, registro):
    for p in PAID_2026:
        registra_pagamento(registro, cfg, p, oggi=AFTER_2026)
    registra_variazione(registro, cfg, JULY, oggi=AFTER_2026)      # −10,000 on 1.1, +10,000 on 1.2: nets to 0
    r = _consolida(registro, cfg)
    p1 = r.programmi[0]
    assert p1.budget_comunale == D("722461.31")                      # unchanged by a variation netting to zero
    assert p1.liquidazione.contributo_finale == CONTRIBUTO
    s = p1.pagamenti
    assert [t.previsto for t in s.tranche[:2]] == [D("433476.79"), D("216738.39")]
    assert [t.pagato for t in s.tranche[:2]] == [D("433476.79"), D("216738.39")]
    assert [t.stato for t in s.tranche[:2]] == ["Pagata", "Pagata in ritardo"]
    assert s.pagato == PAID and s.saldo == CONTRIBUTO - PAID == D("-646740.51")
    assert s.da_recuperare == D("646740.51")
    assert all(x.pagamenti is not None and x.pagamenti.pagato == 0 for x in r.programmi[1:])   # nothing paid yet

    js = risultato_json(r)["programmi"][0]["pagamenti"]
    assert (js["pagato"], js["saldo"]) == ("650215.18", "-646740.51")
    # the CLI summary shows the same balance against payments as the Cruscotto
    from addin.casi.consolida import print_rows
    assert print_rows(r)[0][-1] == "-646.740,51 € (pagato)"
    assert [t["in_ritardo"] for t in js["tranche"][:2]] == [False, True]

    wb, _ = build_workbook(r, cfg)
    tr = _grid(wb, S.CONS_TRANCHE)
    assert tr[0][:9] == ["P1", 2026, "1 - Prima soluzione anticipata", dt.date(2026, 6, 30), 433476.79, 0,
                          433476.79, 0, "Pagata"]
    assert not tr[0][9]
    assert tr[1][4:10] == [216738.39, 0, 216738.39, 0, "Pagata in ritardo", S.SI]
    assert tr[1][10] == "05/12/2026 216.738,39 € mandato M-202 (in ritardo)"
    assert wb[S.CONS_TRANCHE].cell(row=5, column=1).fill.fgColor.rgb.endswith("F8CBAD")
    head = [c.value for c in wb[S.CONS_CRUSCOTTO][3]]
    p1_row = dict(zip(head, [c.value for c in wb[S.CONS_CRUSCOTTO][4]]))
    assert p1_row["Pagato (registro)"] == float(PAID) and p1_row["Tranche in ritardo"] == "2"
    assert p1_row["Saldo"] == -646740.51
    ats_row = dict(zip(head, [c.value for c in wb[S.CONS_CRUSCOTTO][4 + len(r.programmi)]]))
    # P2..P6: nothing paid, and their first two tranches were due on 30/06 and 30/11/2026: late as well
    assert ats_row["Pagato (registro)"] == float(PAID) and ats_row["Tranche in ritardo"] == "P1, P2, P3, P4, P5, P6"
    assert [t.stato for t in r.programmi[1].pagamenti.tranche[:2]] == ["Scaduta, non pagata"] * 2


def test_approved_variation_changes_the_consolidated_budget(cfg, registro):
    # +10,000 municipal on 1.2 approved in July: 722,461.31 + 10,000 = 732,461.31;
    # first tranche 60% = 439,476.786 -> 439,476.79; paid 433,476.79: 6,000.00 still due on it
    registra_variazione(registro, cfg, VariazioneBudget(1, 2026, dt.date(2026, 7, 15), "Verbale 3/2026",
                                                        (RigaVariazione("1.2", "BENI", comunale=D("10000.00")),)),
                        oggi=AFTER_2026)
    registra_pagamento(registro, cfg, PAID_2026[0], oggi=AFTER_2026)
    r = _consolida(registro, cfg)
    p1 = r.programmi[0]
    assert p1.budget_comunale == D("732461.31")
    assert p1.pagamenti.tranche[0].previsto == D("439476.79")
    assert p1.pagamenti.tranche[0].da_pagare == D("6000.00")
    assert p1.anticipi[0] == D("439476.79")


def test_without_the_register_no_payments(cfg, registro):
    registra_pagamento(registro, cfg, PAID_2026[0], oggi=AFTER_2026)
    b26, _ = _books()
    r = consolida([b26], cfg, AFTER_2026, anno=2026)                 # as --senza-registro
    assert all(x.pagamenti is None for x in r.programmi)
    assert risultato_json(r)["programmi"][0]["pagamenti"] is None
    assert r.programmi[0].budget_comunale == D("722461.31")
    wb, _ = build_workbook(r, cfg)
    assert "Registro non consultato" in wb[S.CONS_TRANCHE]["A2"].value
    assert _grid(wb, S.CONS_TRANCHE) == []
    head = [c.value for c in wb[S.CONS_CRUSCOTTO][3]]
    assert dict(zip(head, [c.value for c in wb[S.CONS_CRUSCOTTO][4]]))["Pagato (registro)"] is None


def test_balance_after_the_year_end_co_financing_reduction(cfg, registro):
    # the reduction restoring the minimum co-financing share lowers the contribution due before the
    # payments are set against it: 3,474.67 − 100.00 (a reduction, set by hand) − 433,476.79 paid
    # = −430,102.12 to recover
    from addin.casi.consolida import _pagamenti_programma

    registra_pagamento(registro, cfg, PAID_2026[0], oggi=AFTER_2026)
    r = _consolida(registro, cfg)
    p1 = r.programmi[0]
    p1.riduzione_quota = D("100.00")
    acts = {(1, 2026): leggi_atti(1, 2026, registro.atti(1, 2026))}
    s = _pagamenti_programma(cfg, 2026, p1, acts, AFTER_2026)
    assert s.saldo == D("3474.67") - D("100.00") - D("433476.79") == D("-430102.12")
