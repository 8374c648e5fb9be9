"""Reports to the Cabina di regia (issue #16): the half-year report of a demo year as a workbook with
charts and as a PDF/A without cut text; period figures computed by hand on a small year."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import Counter
from decimal import Decimal as D

import openpyxl
import pytest

from addin.casi.cabina import AttoComune, periodo_report, report_cabina
from addin.casi.triennio import consolida_triennio, consolida_triennio_file
from addin.demo_data import cartella_compilata, genera_demo
from addin.rules.payments import Pagamento
from addin.workbook.cabina import (SHEET_ANOMALIE, SHEET_ATTI, SHEET_GRAFICI, SHEET_OSSERVAZIONI,
                                   SHEET_RELAZIONE, SHEET_TRANCHE, build_cabina_workbook, scrivi_cabina)
from tests.libreoffice import PDFTOPPM, PDFTOTEXT, richiede_libreoffice, richiede_poppler
from tests.test_triennio import cartella, spesa

REPORT_DATE = dt.date(2026, 7, 31)


def test_periods():
    s = periodo_report("semestrale", 2027)
    assert (s.inizio, s.fine, s.scadenza) == (dt.date(2027, 1, 1), dt.date(2027, 6, 30), dt.date(2027, 7, 31))
    a = periodo_report("annuale", 2026)
    assert (a.fine, a.scadenza) == (dt.date(2026, 12, 31), dt.date(2027, 1, 31))
    assert s.titolo == "Relazione semestrale 2027 (gennaio-giugno)"


def test_half_year_figures_by_hand(cfg):
    # P2 2026: 1,000 in March (window 1) and 500 in September (outside January-June)
    book = cartella("P2_2026.xlsx", 2, 2026, [spesa(2026, "2.1", "Alfa", "A1", "1000.00", "1000.00"),
                                              spesa(2026, "2.1", "Beta", "B1", "500.00", "500.00",
                                                    data_documento=dt.date(2026, 9, 2),
                                                    data_pagamento=dt.date(2026, 9, 10),
                                                    data_trasmissione=dt.date(2026, 9, 20))])
    # P2 municipal 105,434.22: tranche 1 = 60% = 63,260.532 -> 63,260.53, paid late on 02/07
    pays = [Pagamento(2, 2026, 1, dt.date(2026, 7, 2), D("63260.53"), "M-9")]
    r = consolida_triennio([book], cfg, dt.date(2026, 10, 15), pagamenti=pays)
    atti = [AttoComune(2, 2026, "Decisione", dt.date(2026, 5, 4), "Riga 4: richiesta integrazione."),
            AttoComune(2, 2025, "Decisione", dt.date(2025, 5, 4), "Altro anno.")]
    rep = report_cabina(cfg, r, "semestrale", 2026, atti)
    p2 = rep.righe[1]
    # the period counts only the March row: 1,000.00 admitted of a budget of 105,434.22 + 42,725.44 = 148,159.66
    assert (p2.rendicontato, p2.ammesso, p2.budget_totale) == (D("1000.00"), D("1000.00"), D("148159.66"))
    assert p2.uso_budget.quantize(D("0.0001")) == D("0.0067")      # 1,000 / 148,159.66 = 0.00675
    # tranches due by 30/06: only tranche 1 (63,260.53), paid: 63,260.53, late
    assert (p2.tranche_previsto, p2.tranche_pagato, p2.tranche_ritardo) == (D("63260.53"), D("63260.53"), 1)
    assert p2.atti == {"Decisione": 1}
    # the ATS: tranche 1 of every programme is due by 30/06, only P2's was paid:
    # 60% of 722,461.31 + 105,434.22 + 8,604.80 + 196,406.30 + 754,694.84 + 120,580.31 each rounded:
    # 433,476.79 + 63,260.53 + 5,162.88 + 117,843.78 + 452,816.90 + 72,348.19 = 1,144,909.07
    assert rep.ats.tranche_previsto == D("1144909.07") and rep.ats.tranche_da_pagare == D("1081648.54")
    assert "P2: tranche 1 in ritardo (scadenza 30/06/2026, pagata il 02/07/2026)." in rep.osservazioni
    assert "P1: nessun rendiconto ricevuto." in rep.osservazioni
    wb = build_cabina_workbook(rep, cfg.ente)
    assert wb.sheetnames == [SHEET_RELAZIONE, SHEET_OSSERVAZIONI, SHEET_TRANCHE, SHEET_ATTI, SHEET_ANOMALIE,
                             SHEET_GRAFICI, "_meta"]
    assert len(wb[SHEET_GRAFICI]._charts) == 3


@pytest.fixture(scope="module")
def demo_report(cfg, tmp_path_factory):
    d = tmp_path_factory.mktemp("cabina")
    paths = []
    for p in (1, 2, 3, 4, 5, 6):
        demo = genera_demo(cfg, p, 2026, seme=700 + p)
        for s in demo.spese:
            if s.numero_documento:
                s.numero_documento = f"P{p}-{s.numero_documento}"
        path = d / f"P{p}_2026.xlsx"
        cartella_compilata(cfg, p, 2026, demo.spese[:150], demo.cofinanziamento, demo.budget).save(path)
        paths.append(path)
    pays = [Pagamento(p.codice, 2026, 1, dt.date(2026, 6, 25) if p.codice != 4 else dt.date(2026, 7, 10),
                      (p.budget_anno(2026).comunale * D("0.6")).quantize(D("0.01")), f"M-{p.codice}01")
            for p in cfg.programmi if p.codice != 6]
    r = consolida_triennio_file(paths, cfg, REPORT_DATE, d / "triennio.xlsx", pagamenti=pays)
    atti = [AttoComune(1, 2026, "Decisione", dt.date(2026, 6, 10),
                       "Riga 12: spesa non ammessa, documento non intestato al partner.")]
    rep = report_cabina(cfg, r, "semestrale", 2026, atti)
    return rep, d


@richiede_libreoffice
@richiede_poppler
@pytest.mark.libreoffice
def test_demo_half_year_report_pdf_without_cut_text(cfg, demo_report):
    rep, d = demo_report
    xlsx, pdf = scrivi_cabina(rep, d / "cabina_2026_s1.xlsx", cfg.ente, pdf=d / "cabina_2026_s1.pdf")
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF") and b"pdfaid:part" in raw          # PDF/A
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "###" not in text
    # every word of every text cell of the visible sheets is printed whole, as many times as the cells
    # hold it (not cut at the page edge, not hidden under the next row, not broken by a narrow column)
    printed = Counter(text.split())
    wb = openpyxl.load_workbook(xlsx)
    words: Counter = Counter()
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            words += Counter(w for row in ws.iter_rows() for c in row if isinstance(c.value, str)
                             for w in c.value.split())
    assert {w: n for w, n in words.items() if printed[w] < n} == {}
    # amounts printed the Italian way, late tranche marked
    assert "433.476,79" in text and "Pagata in ritardo" in text and "Scaduta, non pagata" in text
    pages = subprocess.run([PDFTOPPM, "-png", "-r", "40", str(pdf), str(d / "pagina")], check=True)
    assert pages.returncode == 0 and len(list(d.glob("pagina*.png"))) >= 6
    # charts are drawn: the chart titles are in the PDF
    assert re.search(r"Budget approvato e spesa ammessa", text) and "Tranche dovute e pagate" in text
