"""The three years together (issue #16, use case and workbook): several years' workbooks, the
register's payments and approved variations, double funding across years. Figures by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from addin.casi.triennio import anni_dei_file, consolida_triennio, consolida_triennio_file
from addin.casi.verifica import esegui_verifica
from addin.rules.windows import anno_chiuso
from addin.demo_data import cartella_compilata
from addin.errors import ErroreInput
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa
from addin.rules.payments import Pagamento
from addin.rules.variations import RigaVariazione, VariazioneBudget
from addin.workbook import schema as S
from addin.workbook.reader import CartellaRendiconto
from addin.workbook.triennio import SHEET_DOPPI, SHEET_TRANCHE, SHEET_TRIENNIO, SHEET_VARIAZIONI

AFTER_2026 = dt.date(2027, 2, 15)     # 2026's last window locked on 31/01/2027: the year is closed


def spesa(anno: int, azione: str, fornitore: str, numero: str, doc: str, importo: str, **kw) -> Spesa:
    """A goods row every rule admits in full (window 1 of the year, transmitted before its lock)."""
    base = dict(riga=0, azione=azione, partner="Igea", categoria="Beni di consumo e materie prime",
                descrizione="Materiale didattico", fornitore=fornitore, tipo_documento="Fattura",
                numero_documento=numero, data_documento=dt.date(anno, 3, 2), data_pagamento=dt.date(anno, 3, 10),
                modalita_pagamento="Bonifico", importo_documento=D(doc), importo=D(importo),
                doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                data_trasmissione=dt.date(anno, 4, 20))
    base.update(kw)
    return Spesa(**base)


def personale(anno: int, persona: str, mese: dt.date, ore: str, costo: str) -> Spesa:
    amount = D(ore) * D(costo)
    return spesa(anno, "1.1", persona, f"CED-{mese:%Y%m}-{anno}", str(amount), str(amount),
                 categoria="Personale interno", persona=persona, ore=D(ore), costo_orario=D(costo),
                 tipo_documento="Cedolino", data_documento=mese, data_pagamento=mese + dt.timedelta(days=10),
                 data_trasmissione=mese + dt.timedelta(days=20))


def cartella(path: str, programma: int, anno: int, spese: list[Spesa], budget=()) -> CartellaRendiconto:
    for i, s in enumerate(spese):
        s.riga = 4 + i
    return CartellaRendiconto(path, programma, anno, S.SCHEMA_VERSION, spese, [], list(budget))


PAID_2026 = [Pagamento(1, 2026, 1, dt.date(2026, 6, 28), D("433476.79"), "M-101"),
             Pagamento(1, 2026, 2, dt.date(2026, 12, 5), D("216738.39"), "M-202")]
JULY = VariazioneBudget(1, 2026, dt.date(2026, 7, 15), "Verbale 3/2026",
                        (RigaVariazione("1.1", "BENI", comunale=D("-10000.00")),
                         RigaVariazione("1.2", "BENI", comunale=D("10000.00"))))
SHEET = [VoceBudget("1.1", "BENI", comunale_iniziale=D("20000.00")),
         VoceBudget("1.2", "BENI", comunale_iniziale=D("5000.00"), comunale_luglio=D("1000.00"))]


def _books():
    b26 = cartella("P1_2026.xlsx", 1, 2026, [spesa(2026, "1.1", "Tipografia Rossi", "FT 12/2026", "1200.00", "1200.00"),
                                             spesa(2026, "1.2", "Cartoleria", "C-1", "300.00", "300.00"),
                                             personale(2026, "Maria Rossi", dt.date(2026, 11, 30), "120", "20.00")],
                   SHEET)
    b27 = cartella("P1_2027.xlsx", 1, 2027, [spesa(2027, "1.1", "TIPOGRAFIA ROSSI", "FT12/2026", "1200.00", "1200.00"),
                                             personale(2027, "maria rossi", dt.date(2026, 11, 30), "60", "20.00")])
    return b26, b27


def test_issue_payments_years_and_invoice_in_two_years(cfg):
    r = consolida_triennio(_books(), cfg, AFTER_2026, pagamenti=PAID_2026, variazioni=[JULY])
    assert list(r.anni) == [2026, 2027]
    p1 = r.programmi[0]
    y26, y27 = p1.anni
    # 2026 admitted: 1,200 + 300 + 120 h × 20.00 = 2,400 -> 3,900.00
    assert y26.ammesso == D("3900.00")
    # contribution (2026 closed): 722,461.31 × 3,900 / 810,897.48 = 3,474.6675 -> 3,474.67
    assert y26.contributo == D("3474.67") and p1.definitivo[2026]
    # paid 433,476.79 + 216,738.39 = 650,215.18 -> to recover 650,215.18 − 3,474.67 = 646,740.51
    assert y26.pagato == D("650215.18") and y26.da_recuperare == D("646740.51")
    # 2027 is open: the approved budget stands in, nothing paid, nothing to recover
    assert (y27.contributo, y27.pagato, y27.da_recuperare, p1.definitivo[2027]) == (D("722461.31"), 0, 0, False)
    # cumulative: contribution 3,474.67 + 722,461.31 = 725,935.98; paid 650,215.18
    assert (p1.cumulato.contributo, p1.cumulato.pagato) == (D("725935.98"), D("650215.18"))
    assert r.ats.cumulato.pagato == D("650215.18")
    # tranche 2 paid on 05/12/2026 after its 30/11 due date: late
    t = r.pagamenti[(1, 2026)].tranche
    assert [x.in_ritardo for x in t] == [False, True, False]
    # the invoice claimed in 2026 and again in 2027 (spelled differently) is found
    (d,) = r.doppi_documenti
    assert d.luoghi == ((2026, 1, "P1_2026.xlsx", 4), (2027, 1, "P1_2027.xlsx", 4))
    # Maria Rossi, November 2026: 120 h (2026) + 60 h (2027 workbook) = 180 > 173
    (m,) = r.doppie_persone
    assert m.luoghi == ((2026, 1, "P1_2026.xlsx", 6), (2027, 1, "P1_2027.xlsx", 5))


def test_july_variation_changes_budget_not_contribution(cfg):
    with_var = consolida_triennio(_books(), cfg, AFTER_2026, variazioni=[JULY])
    without = consolida_triennio(_books(), cfg, AFTER_2026)
    assert with_var.programmi[0].anni[0].contributo == without.programmi[0].anni[0].contributo == D("3474.67")
    voci = {(v.azione, v.categoria): v for v in with_var.budget[(1, 2026)]}
    # 1.1 goods: 20,000 − 10,000 = 10,000 approved; 1.2: 5,000 + 10,000 = 15,000 (the partner typed 6,000)
    assert voci[("1.1", "BENI")].comunale_attuale == D("10000.00")
    assert voci[("1.2", "BENI")].comunale_attuale == D("15000.00")
    assert voci[("1.2", "BENI")].differenza_comunale == D("-9000.00")
    assert len(with_var.proposte[(1, 2026)]) == 2
    # the budget check of the year against the approved budget: 1.1 goods admitted 1,200 of 10,000,
    # 1.2 goods 300 of 15,000; with no approved variation 1.2 stays at its initial 5,000 (the typed
    # +1,000 is a proposal)
    u = with_var.uso_budget[(1, 2026)]
    assert (u[("1.1", "BENI")].budget, u[("1.1", "BENI")].ammesso) == (D("10000.00"), D("1200.00"))
    assert without.uso_budget[(1, 2026)][("1.2", "BENI")].budget == D("5000.00")
    assert without.proposte[(1, 2026)] == [
        "Azione 1.2, Beni di consumo e materie prime: comunale proposto 6.000,00 €, approvato 5.000,00 € "
        "(differenza 1.000,00 €): variazione proposta, non approvata dalla Cabina di regia."]


def test_year_closed_only_after_last_lock(cfg):
    assert not anno_chiuso(cfg, 2026, dt.date(2027, 1, 31))     # lock day: still open
    assert anno_chiuso(cfg, 2026, dt.date(2027, 2, 1))


def test_files_workbook_and_years(cfg, tmp_path):
    b26, b27 = _books()
    paths = []
    for b in (b26, b27):
        wb = cartella_compilata(cfg, b.programma, b.anno, [dataclasses.replace(s) for s in b.spese], [], b.budget)
        paths.append(tmp_path / b.path)
        wb.save(paths[-1])
    bad = tmp_path / "rotto.xlsx"
    bad.write_bytes(b"not a zip")
    assert anni_dei_file(paths + [bad], cfg) == {2026, 2027}
    out = tmp_path / "triennio.xlsx"
    r = consolida_triennio_file(paths + [bad], cfg, AFTER_2026, out, pagamenti=PAID_2026, variazioni=[JULY])
    assert [e.path for e in r.errori] == [str(bad)]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:5] == [SHEET_TRIENNIO, SHEET_TRANCHE, SHEET_VARIAZIONI, SHEET_DOPPI, "Anomalie"]
    ws = wb[SHEET_TRIENNIO]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_col=14)]
    p1 = [row for row in rows if row[0] == "P1"]
    assert [row[1] for row in p1] == ["2026", "2027", "Totale triennio"]
    assert p1[0][10] == pytest.approx(650215.18) and p1[0][12] == pytest.approx(646740.51)
    tr = [[c.value for c in row] for row in wb[SHEET_TRANCHE].iter_rows(min_row=4)]
    late = [row for row in tr if row[0] == "P1" and row[1] == 2026 and row[9] == S.SI]
    assert len(late) == 1 and "05/12/2026 216.738,39 € mandato M-202 (in ritardo)" in late[0][10]
    doppi = [[c.value for c in row] for row in wb[SHEET_DOPPI].iter_rows(min_row=4)]
    assert [row[1] for row in doppi] == ["Documento", "Persona"]
    assert Path(out).exists() and not list(tmp_path.glob(".*.tmp.xlsx"))


def test_check_with_the_register_uses_the_approved_budget(cfg):
    b26, _ = _books()
    plain = esegui_verifica(b26, cfg, AFTER_2026)
    with_reg = esegui_verifica(b26, cfg, AFTER_2026, variazioni=[JULY], pagamenti=PAID_2026)
    # without the register: the sheet as typed (1.2 goods 5,000 + 1,000 proposed = 6,000), no payments
    assert plain.budget_approvato is None and plain.pagamenti is None
    assert {(u.azione, u.budget) for u in plain.uso_budget} >= {("1.1", D("20000.00")), ("1.2", D("6000.00"))}
    # with it: 1.1 20,000 − 10,000 = 10,000; 1.2 5,000 + 10,000 = 15,000; the partner's 1,000 is a proposal
    assert {(u.azione, u.budget) for u in with_reg.uso_budget} >= {("1.1", D("10000.00")), ("1.2", D("15000.00"))}
    assert any(a.startswith("Azione 1.2, Beni di consumo e materie prime: comunale proposto 6.000,00 €, "
                            "approvato 15.000,00 € (differenza -9.000,00 €)") for a in with_reg.avvisi)
    # the contribution does not move (the variation nets to zero): 3,474.67 as computed above
    assert plain.liquidazione.contributo_finale == with_reg.liquidazione.contributo_finale == D("3474.67")
    # 2026 closed: balance 3,474.67 − 650,215.18 = −646,740.51 to recover
    assert with_reg.pagamenti.saldo == D("-646740.51") and with_reg.pagamenti.tranche[1].in_ritardo
    # the check's report shows planned, paid and due side by side
    from addin.workbook.report import tabelle_report

    sint = tabelle_report(with_reg)["Sintesi"]
    start = next(i for i, row in enumerate(sint) if row and row[0] == "Pagamenti effettuati (registro)")
    assert sint[start + 2][:6] == ["Tranche 2 - Seconda soluzione anticipata", dt.date(2026, 11, 30),
                                   D("216738.39"), D("216738.39"), D("0.00"), "Pagata in ritardo"]
    assert sint[start + 4][4] == D("-646740.51")
    assert not any(row and row[0] == "Pagamenti effettuati (registro)" for row in tabelle_report(plain)["Sintesi"])
    from addin.casi.verifica import risultato_json

    js = risultato_json(with_reg)["pagamenti"]
    assert js["saldo"] == "-646740.51" and js["tranche"][1]["in_ritardo"] and js["tranche"][1]["pagato"] == "216738.39"
    assert risultato_json(plain)["pagamenti"] is None


def test_workbooks_outside_the_co_design_are_left_out(cfg):
    b26, _ = _books()
    old = cartella("P1_2025.xlsx", 1, 2025, [spesa(2025, "1.1", "Alfa", "A1", "10.00", "10.00")])
    r = consolida_triennio([b26, old, ErroreInput("file danneggiato.", file="rotto.xlsx")], cfg, AFTER_2026)
    assert list(r.anni) == [2026] and r.esclusi == ["P1_2025.xlsx"]
    assert [(e.path, e.messaggio) for e in r.errori] == [("rotto.xlsx", "file «rotto.xlsx»: file danneggiato.")]
    # no year at all: an empty result, not a crash
    empty = consolida_triennio([], cfg, AFTER_2026)
    assert empty.anni == {} and empty.ats.cumulato.contributo == 0
