"""Consolidation of the programme workbooks (capofila).

Six programme workbooks are generated from the real templates with fill_workbook (P1, P2 in two
partner copies, P3, P5, P6; P4 missing) plus one unreadable file. Planted: a document claimed in
P1 and P3 beyond its amount (double funding) and a document legitimately split between P5 and P6.
Expectations are hand-computed (test_consolidato_piccolo_calcolato_a_mano, the planted anomalies) or, for
the large lot, checked for consistency with the one-click check run on each file on its own (the same
rules: that comparison proves the consolidation adds up, not that the rules are right).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from addin.casi.verifica import esegui_verifica
from addin.cli import app
from addin.casi.consolida import (A_ANNO, A_COFIN, A_COFIN_PREVISTO, A_COPIE, A_DOPPIO, A_ILLEGGIBILE, A_MANCANTE,
                               A_VERSIONE, build_consolidation_template, consolida, consolida_file,
                               risultato_json)
from addin.demo_data import genera_demo
from addin.errors import ErroreOutput
from addin.rules.models import Esito, Spesa
from addin.workbook import schema as S
from addin.workbook.filler import fill_workbook
from addin.workbook.reader import CartellaRendiconto, leggi_cartella
from addin.workbook.template import build_template

DATA = dt.date(2026, 10, 15)
CENT = Decimal("0.01")
FORMULA_LIKE = "=Tipografia Duplicati srl"


def spesa_ok(azione: str, fornitore: str, numero: str, doc: str | None, importo: str,
             descrizione: str = "Stampa materiale informativo") -> Spesa:
    """A row every rule admits in full (window 1 of 2026, documents transmitted before its lock)."""
    return Spesa(riga=0, azione=azione, partner="Igea", categoria="Beni di consumo e materie prime",
                 descrizione=descrizione, fornitore=fornitore, tipo_documento="Fattura",
                 numero_documento=numero, data_documento=dt.date(2026, 3, 2), data_pagamento=dt.date(2026, 3, 10),
                 modalita_pagamento="Bonifico", importo_documento=Decimal(doc) if doc else None,
                 importo=Decimal(importo), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                 data_trasmissione=dt.date(2026, 4, 20))


def _save(cfg, programma: int, spese: list[Spesa], cofin, budget, path: Path, text_cells=()) -> Path:
    wb = build_template(cfg, programma, 2026)
    fill_workbook(wb, spese, cofin, budget, cfg)
    ws = wb[S.SPESE]
    for row, key, value in text_cells:     # literal text that looks like a formula
        col = [c.key for c in S.SPESE_COLS].index(key) + 1
        cell = ws.cell(row=row, column=col)
        cell.value = value
        cell.data_type = "s"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def lotto(tmp_path_factory, cfg):
    """Six programme workbooks + one unreadable file; returns paths and the planted rows."""
    d = tmp_path_factory.mktemp("consolida")
    files: dict[str, Path] = {}
    planted: dict[str, int] = {}
    for p in (1, 2, 3, 5, 6):
        demo = genera_demo(cfg, p, 2026, seme=500 + p)
        for i, s in enumerate(demo.spese):   # document numbers unique across programmes, and within P2 (split
            if s.numero_documento:          # in two copies below, its planted duplicate invoice would be in both)
                s.numero_documento = f"P{p}-{i if p == 2 else ''}-{s.numero_documento}"
        spese = demo.spese[:300]
        text_cells = []
        if p == 1:
            spese.append(spesa_ok("1.1", FORMULA_LIKE, "FT-900", "1000.00", "700.00", descrizione="=1+1"))
            planted["P1"] = 3 + len(spese)
            text_cells = [(planted["P1"], "fornitore", FORMULA_LIKE), (planted["P1"], "descrizione", "=1+1")]
        if p == 3:
            spese.append(spesa_ok("3.1", FORMULA_LIKE.upper(), "FT-900", "1000.00", "600.00"))
            planted["P3"] = 3 + len(spese)
            text_cells = [(planted["P3"], "fornitore", FORMULA_LIKE.upper())]
        if p == 5:
            spese.append(spesa_ok("5.1", "Ferramenta Divisa snc", "FT-901", "1000.00", "400.00"))
        if p == 6:
            spese.append(spesa_ok("6.1", "Ferramenta Divisa snc", "FT-901", "1000.00", "600.00"))
        if p == 2:   # two partner copies of programme 2
            half = len(spese) // 2
            files["P2a"] = _save(cfg, 2, spese[:half], demo.cofinanziamento[:2], demo.budget, d / "P2_igea.xlsx")
            files["P2b"] = _save(cfg, 2, spese[half:], demo.cofinanziamento[2:], demo.budget, d / "P2_koala.xlsx")
            continue
        files[f"P{p}"] = _save(cfg, p, spese, demo.cofinanziamento, demo.budget, d / f"P{p}.xlsx",
                               text_cells)
    bad = d / "rotto.xlsx"
    bad.write_text("Azione;Importo\n1.1;100\n", encoding="utf-8")
    files["rotto"] = bad
    return files, planted


@pytest.fixture(scope="module")
def consolidato(lotto, cfg, tmp_path_factory):
    files, _ = lotto
    before = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    out = tmp_path_factory.mktemp("out") / "consolidato_2026.xlsx"
    steps = []
    r = consolida_file(list(files.values()), cfg, DATA, out, progress=lambda s, a, b: steps.append((s, a, b)))
    after = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    return r, out, before, after, steps


def _verifiche(files, cfg):
    """The one-click check run on each readable file on its own: the consolidation must add up to it
    (a consistency check on the same rules, not an independent expectation)."""
    out = {}
    for k, p in files.items():
        if k != "rotto":
            out[k] = esegui_verifica(leggi_cartella(p, cfg), cfg, DATA)
    return out


def test_consolidato_piccolo_calcolato_a_mano(cfg, tmp_path):
    """Two small workbooks whose every figure is computed by hand (window 1 of 2026, checked on DATA)."""
    cash = spesa_ok("1.1", "Gamma snc", "G-1", "80.00", "80.00")
    cash.modalita_pagamento = "Contanti"                       # not traceable: not admitted
    p1 = _save(cfg, 1, [spesa_ok("1.1", "Alfa srl", "A-1", "500.00", "500.00"),
                        spesa_ok("1.2", "Beta srl", "B-1", None, "250.00"), cash], [], [], tmp_path / "P1.xlsx")
    # P3 claims 300.00 more of Alfa's invoice A-1 (500.00): 500 + 300 = 800.00, 300.00 beyond the document
    p3 = _save(cfg, 3, [spesa_ok("3.1", "Delta spa", "D-1", "1000.00", "1000.00"),
                        spesa_ok("3.2", "Alfa srl", "A-1", "500.00", "300.00")], [], [], tmp_path / "P3.xlsx")
    r = consolida_file([p1, p3], cfg, DATA, tmp_path / "c.xlsx")
    P1, P3 = r.programmi[0], r.programmi[2]
    # P1: reported 500 + 250 + 80 = 830.00, admitted 500 + 250 = 750.00, not admitted the cash 80.00
    assert (P1.rendicontato, P1.ammesso, P1.non_ammesso, P1.righe) == (
        Decimal("830.00"), Decimal("750.00"), Decimal("80.00"), 3)
    # P3: each workbook on its own admits both rows: 1,000 + 300 = 1,300.00
    assert (P3.rendicontato, P3.ammesso, P3.non_ammesso) == (Decimal("1300.00"), Decimal("1300.00"), Decimal("0.00"))
    assert P1.ammesso_finestra.get(1) == Decimal("750.00")
    # across programmes A-1 is claimed 300.00 beyond its amount: flagged on P3 (the later claim)
    assert P3.doppio_finanziamento == Decimal("300.00") and P1.doppio_finanziamento == Decimal("0.00")
    # ATS: 830 + 1,300 = 2,130.00 reported; 750 + 1,300 = 2,050.00 admitted by the checks, less the 300.00
    # double funded (issue 11): 1,750.00 admitted, 80 + 300 = 380.00 not admitted
    assert (r.ats.rendicontato, r.ats.ammesso, r.ats.non_ammesso) == (
        Decimal("2130.00"), Decimal("1750.00"), Decimal("380.00"))
    assert r.ats.doppio_finanziamento == Decimal("300.00")
    assert r.programmi_mancanti == [2, 4, 5, 6]


def test_totali_uguali_alla_somma_delle_verifiche(lotto, consolidato, cfg):
    files, _ = lotto
    r, out, *_ = consolidato
    ver = _verifiche(files, cfg)
    by_prog: dict[int, list] = {}
    for v in ver.values():
        by_prog.setdefault(v.programma, []).append(v)
    assert sorted(by_prog) == [1, 2, 3, 5, 6] and len(by_prog[2]) == 2
    for row in r.programmi:
        vs = by_prog.get(row.programma, [])
        for key in ("rendicontato", "ammesso", "non_ammesso", "da_integrare", "escluso"):
            assert getattr(row, key) == sum((v.totali[key] for v in vs), Decimal(0)), (row.codice, key)
        for key in ("non_monetario", "volontariato", "monetario_dichiarato"):   # declared: summed
            assert getattr(row.cofin, key) == sum((getattr(v.cofin_totali, key) for v in vs), Decimal(0))
        if row.liquidazione is not None:   # monetary: derived on the programme, admitted − contribution due
            assert row.cofin.monetario == max(Decimal(0), row.ammesso - row.liquidazione.contributo_finale)
        assert row.righe == sum(len(v.esiti) for v in vs)
    for p in (1, 3, 5, 6):   # single workbook: the check's own programme figures
        row = r.programmi[p - 1]
        assert row.liquidazione.saldo == by_prog[p][0].liquidazione.saldo
        assert row.quota.quota == by_prog[p][0].cofin_quota.quota
    every = list(ver.values())
    # the ATS admitted total is the checks' net of what is not admissible across workbooks (issue 11)
    assert r.ats.detratto > 0
    assert r.ats.ammesso == sum((v.totali["ammesso"] for v in every), Decimal(0)) - r.ats.detratto
    assert r.ats.rendicontato == sum((v.totali["rendicontato"] for v in every), Decimal(0))
    # the ATS share: all co-financing over all admitted spending plus valued resources
    cof = sum((x.cofin.totale for x in r.programmi), Decimal(0))
    base = r.ats.ammesso + sum((v.cofin_totali.valorizzato for v in every), Decimal(0))
    assert r.ats.quota.cofinanziamento == cof and r.ats.quota.base == base

    # the same figures in the written Programmi sheet, to the cent
    ws = openpyxl.load_workbook(out, data_only=True)[S.CONS_PROGRAMMI]
    head = [c.value for c in ws[3]]
    rows = {ws.cell(i, 1).value: [c.value for c in ws[i]] for i in range(4, 11)}
    assert list(rows) == ["P1", "P2", "P3", "P4", "P5", "P6", "ATS"]
    for row in r.programmi + [r.ats]:
        vals = dict(zip(head, rows[row.codice]))
        assert Decimal(str(vals["Ammesso"])).quantize(CENT) == row.ammesso
        assert Decimal(str(vals["Rendicontato"])).quantize(CENT) == row.rendicontato
    p4 = dict(zip(head, rows["P4"]))
    assert p4["File"] == "Nessun file" and p4["Ammesso"] == 0
    assert dict(zip(head, rows["P2"]))["File"] == "P2_igea.xlsx, P2_koala.xlsx"


def test_doppio_finanziamento_in_ogni_luogo(lotto, consolidato):
    _, planted = lotto
    r, out, *_ = consolidato
    doppi = [a for a in r.anomalie if a.tipo == A_DOPPIO]
    # only the planted FT-900 (1000 €, claimed 700 in P1 + 600 in P3); FT-901 is split 400 + 600
    assert [(Path(a.file).name, a.programma, a.riga) for a in doppi] == \
        [("P1.xlsx", 1, planted["P1"]), ("P3.xlsx", 3, planted["P3"])]
    assert {a.gruppo for a in doppi} == {1}
    assert [a.importo for a in doppi] == [Decimal("0.00"), Decimal("300.00")]
    assert "1.000,00 €" in doppi[0].descrizione and "1.300,00 €" in doppi[0].descrizione
    assert f"P1.xlsx (P1) riga {planted['P1']}" in doppi[0].descrizione
    assert f"P3.xlsx (P3) riga {planted['P3']}" in doppi[0].descrizione
    assert r.programmi[2].doppio_finanziamento == Decimal("300.00")
    assert r.ats.doppio_finanziamento == Decimal("300.00")
    # the sheet lists both places, text from the inputs written as text (not a formula)
    ws = openpyxl.load_workbook(out)[S.CONS_ANOMALIE]
    head = [c.value for c in ws[3]]
    found = [dict(zip(head, [c.value for c in row])) for row in ws.iter_rows(min_row=4)
             if row[1].value == A_DOPPIO]
    assert [(Path(x["File"]).name, x["Riga"]) for x in found] == [("P1.xlsx", planted["P1"]),
                                                                  ("P3.xlsx", planted["P3"])]
    cells = [row[6] for row in ws.iter_rows(min_row=4) if row[1].value == A_DOPPIO]
    assert cells[0].value == FORMULA_LIKE and cells[0].data_type == "s"


def test_programma_mancante_copie_e_file_illeggibile(consolidato):
    r, *_ = consolidato
    tipi = {(a.tipo, a.programma) for a in r.anomalie}
    assert (A_MANCANTE, 4) in tipi
    assert (A_COPIE, 2) in tipi
    assert r.programmi_mancanti == [4]
    ill = [a for a in r.anomalie if a.tipo == A_ILLEGGIBILE]
    assert len(ill) == 1 and ill[0].file.endswith("rotto.xlsx")
    assert "rotto.xlsx" in ill[0].descrizione and "CSV" in ill[0].descrizione   # the reader's Italian error
    # P4 with the seed budgets: 18,793.08 / 215,199.38 = 8.73% < 10%, advisory; the ATS (13.64%) is fine
    prev = [a for a in r.anomalie if a.tipo == A_COFIN_PREVISTO]
    assert [(a.programma, a.gravita) for a in prev] == [(4, "Attenzione")]
    assert "8,73%" in prev[0].descrizione
    assert r.ats.vincolante and not r.programmi[0].vincolante


def test_input_invariati_e_avanzamento(consolidato):
    r, out, before, after, steps = consolidato
    assert before == after
    assert steps[-1][1] == steps[-1][2] and steps[0][0].startswith("Lettura")
    assert not list(out.parent.glob("*.tmp.xlsx"))


def test_foglio_spese_e_testo_non_formula(lotto, consolidato, cfg):
    files, planted = lotto
    r, out, *_ = consolidato
    grid = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(S.CONS_SPESE).to_python()
    head = grid[2]
    assert head[:3] == ["File", "Programma", "Riga"] and head[-3:] == ["Esito", "Importo ammesso", "Motivi"]
    data = [row for row in grid[3:] if any(v not in ("", None) for v in row)]
    total_rows = sum(len(leggi_cartella(p, cfg).spese) for k, p in files.items() if k != "rotto")
    assert len(data) == total_rows == r.righe_spese
    rec = [dict(zip(head, row)) for row in data]
    mine = [x for x in rec if x["File"] == "P1.xlsx" and int(x["Riga"]) == planted["P1"]]
    assert len(mine) == 1
    assert mine[0]["Descrizione"] == "=1+1" and mine[0]["Fornitore/Percettore"] == FORMULA_LIKE
    assert mine[0]["Esito"] == Esito.AMMESSA.value and mine[0]["Importo ammesso"] == 700
    assert mine[0]["Data pagamento"] == dt.date(2026, 3, 10)
    adm = sum(Decimal(str(x["Importo ammesso"])) for x in rec)
    assert adm.quantize(CENT) == r.ats.ammesso + r.ats.detratto    # the rows as checked, before the ATS deduction
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert all(b"<f>" not in z.read(n) for n in sheets)


def test_grafici_nativi(consolidato):
    _, out, *_ = consolidato
    with zipfile.ZipFile(out) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 4                       # two on Cruscotto (tests/test_cruscotto.py), two on Grafici
        xml = [z.read(n).decode() for n in charts]
        c1, c2 = [c for c in xml if "'Programmi'!" in c]
    kinds = [re.findall(r"<(?:c:)?(\w+Chart)>", c) for c in (c1, c2)]
    refs = [re.findall(r"<(?:c:)?f>([^<]*)</(?:c:)?f>", c) for c in (c1, c2)]
    assert kinds == [["barChart"], ["barChart", "lineChart"]]
    # budget vs admitted per programme (P1..P6 on rows 4-9)
    assert "'Programmi'!$F$4:$F$9" in refs[0] and "'Programmi'!$I$4:$I$9" in refs[0]
    assert "'Programmi'!$A$4:$A$9" in refs[0]
    # planned and realised shares as bars, the 10% minimum as a line
    # (columns R and S since the declared monetary co-financing column was added after the derived one)
    assert "'Programmi'!$G$4:$G$9" in refs[1] and "'Programmi'!$R$4:$R$9" in refs[1]
    assert "'Programmi'!$S$4:$S$9" in refs[1]
    wb = openpyxl.load_workbook(out)
    assert len(wb[S.CONS_GRAFICI]._charts) == 2
    ws = wb[S.CONS_PROGRAMMI]
    assert ws["F3"].value == "Budget totale" and ws["I3"].value == "Ammesso" and ws["S3"].value == "Quota minima"
    assert ws["G3"].value == "Quota cofin. prevista" and ws["R3"].value == "Quota cofin. realizzata"
    assert [ws.cell(i, 19).value for i in range(4, 10)] == [0.1] * 6
    assert wb[S.META].sheet_state == "hidden"


def _cartella(path: str, programma: int, spese: list[Spesa], anno: int = 2026, versione: str = "1"):
    for i, s in enumerate(spese):
        s.riga = 4 + i
    return CartellaRendiconto(path, programma, anno, versione, spese, [], [])


def test_doppio_finanziamento_puro(cfg):
    """Three places of one 500 € invoice (250 + 200 + 150), one without document amount, a split."""
    a = _cartella("a.xlsx", 1, [spesa_ok("1.1", "Alfa srl", "7/A", "500", "250"),
                                spesa_ok("1.2", "Beta spa", "B-1", None, "90")])
    b = _cartella("b.xlsx", 2, [spesa_ok("2.1", "ALFA  SRL", "7/A", "500", "200"),
                                spesa_ok("2.1", "Beta spa", "B-1", None, "10"),
                                spesa_ok("2.2", "Gamma", "G1", "100", "50")])
    c = _cartella("c.xlsx", 5, [spesa_ok("5.1", "Alfa srl", "7/a", "500", "150"),
                                spesa_ok("5.1", "Gamma", "G1", "100", "50")])
    r = consolida([a, b, c], cfg, DATA)
    assert all(e.esito is Esito.AMMESSA for f in r.fonti for e in f.esiti)
    d = [x for x in r.anomalie if x.tipo == A_DOPPIO]
    alfa = [x for x in d if x.numero_documento.lower() == "7/a"]
    assert [(x.file, x.riga, x.importo) for x in alfa] == [("a.xlsx", 4, Decimal("0")), ("b.xlsx", 4, Decimal("0")),
                                                          ("c.xlsx", 4, Decimal("100.00"))]
    beta = [x for x in d if x.numero_documento == "B-1"]
    assert [(x.file, x.importo) for x in beta] == [("a.xlsx", None), ("b.xlsx", None)]
    assert not [x for x in d if x.numero_documento == "G1"]      # 50 + 50 of 100: a legitimate split
    assert len({x.gruppo for x in alfa}) == 1 and alfa[0].gruppo != beta[0].gruppo
    # 250 + 200 fit in the 500 € document, the third claim (150) goes 100 beyond it
    assert r.programmi[4].doppio_finanziamento == Decimal("100.00")


def test_anni_e_versioni_diversi(cfg):
    a = _cartella("a.xlsx", 1, [spesa_ok("1.1", "Alfa", "1", "100", "100")])
    old = _cartella("vecchio.xlsx", 3, [spesa_ok("3.1", "Alfa", "2", "100", "100")], anno=2027)
    v0 = _cartella("v0.xlsx", 2, [spesa_ok("2.1", "Alfa", "3", "100", "100")], versione="0")
    r = consolida([a, old, v0], cfg, DATA)
    assert r.anno == 2026
    assert [(x.tipo, x.file) for x in r.anomalie if x.tipo in (A_ANNO, A_VERSIONE)] == \
        [(A_ANNO, "vecchio.xlsx"), (A_VERSIONE, "v0.xlsx")]
    assert r.esclusi == ["vecchio.xlsx"]
    assert r.programmi[2].ammesso == 0 and r.ats.ammesso == Decimal("200.00")


def test_copie_dello_stesso_programma_unite(cfg):
    a = _cartella("igea.xlsx", 2, [spesa_ok("2.1", "Alfa", "1", "100", "100")])
    b = _cartella("koala.xlsx", 2, [spesa_ok("2.1", "Beta", "2", "300", "250.50")])
    r = consolida([a, b], cfg, DATA)
    p2 = r.programmi[1]
    assert p2.file == ["igea.xlsx", "koala.xlsx"] and p2.ammesso == Decimal("350.50") and p2.righe == 2
    # programme-level figures recomputed on the sums: admitted 350.50 of the planned 105,434.22 + 42,725.44
    # = 148,159.66 -> contribution due 105,434.22 x 350.50 / 148,159.66 = 249.4248 -> 249.42; the monetary
    # co-financing is the rest of the admitted spending, 350.50 - 249.42 = 101.08, though none was declared
    assert p2.liquidazione.contributo_finale == Decimal("249.42")
    assert p2.quota.base == Decimal("350.50") and p2.quota.cofinanziamento == Decimal("101.08")
    assert p2.cofin.monetario_dichiarato == 0 and p2.cofin.monetario_incoerente
    assert p2.liquidazione.limite_spesa == Decimal("350.50")


def test_modello_consolidamento(cfg):
    wb = build_consolidation_template(cfg, 2026)
    assert wb.sheetnames == [S.CONS_CRUSCOTTO, S.CONS_PROGRAMMI, S.CONS_AZIONI, S.CONS_PARTNER, S.CONS_ANOMALIE,
                             S.CONS_CAMPIONE, S.CONS_TRANCHE, S.CONS_SPESE, S.CONS_GRAFICI, S.META]
    ws = wb[S.CONS_PROGRAMMI]
    head = [c.value for c in ws[3]]
    p4 = dict(zip(head, [c.value for c in ws[7]]))
    ats = dict(zip(head, [c.value for c in ws[10]]))
    assert p4["Programma"] == "P4" and p4["Budget comunale"] == pytest.approx(196406.30)
    assert round(p4["Quota cofin. prevista"], 4) == 0.0873      # 18,793.08 / 215,199.38
    assert ats["Programma"] == "ATS" and ats["Budget comunale"] == pytest.approx(1908181.78)
    assert round(ats["Quota cofin. prevista"], 4) == 0.1364     # 301,374.01 / 2,209,555.79
    assert len(wb[S.CONS_GRAFICI]._charts) == 2
    assert wb[S.CONS_ANOMALIE].max_row == 3
    meta = {r[0].value: r[1].value for r in wb[S.META].iter_rows(min_row=2)}
    assert meta[S.META_TIPO] == S.TIPO_CONSOLIDATO and meta[S.META_ANNO] == "2026"


def test_uscita_non_scrivibile(lotto, cfg, tmp_path):
    files, _ = lotto
    with pytest.raises(ErroreOutput) as exc:
        consolida_file([files["P1"]], cfg, DATA, tmp_path / "manca" / "c.xlsx")
    assert "non esiste" in str(exc.value)


def test_cli_consolida(lotto, tmp_path):
    files, _ = lotto
    out = tmp_path / "cons.xlsx"
    args = ["consolida", *map(str, files.values()), "--out", str(out), "--data", "15/10/2026", "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["programmi_mancanti"] == [4] and len(data["file_non_leggibili"]) == 1
    assert data["ats"]["codice"] == "ATS" and out.exists()
    res = CliRunner().invoke(app, ["consolida", str(files["P1"]), "--out", str(files["P1"])])
    assert res.exit_code == 5                       # the output would be an input (README: exit codes)
    res = CliRunner().invoke(app, ["consolida", str(files["P1"]), "--out", str(out), "--data", "15/10/2026"])
    assert res.exit_code == 5 and "--sovrascrivi" in res.output     # an existing file: only when asked
    res = CliRunner().invoke(app, ["consolida", str(files["P1"]), "--out", str(out), "--data", "15/10/2026",
                                   "--sovrascrivi"])
    assert res.exit_code == 0 and "Consolidato scritto" in res.stdout


def test_consolidato_o_file_ripetuto_in_ingresso(lotto, consolidato, cfg, tmp_path):
    files, _ = lotto
    _, out, *_ = consolidato
    r = consolida_file([files["P1"], files["P1"], out], cfg, DATA, tmp_path / "c.xlsx")
    assert [a.tipo for a in r.anomalie if a.file and Path(a.file) == out] == [A_ILLEGGIBILE]
    assert "consolidato" in next(a.descrizione for a in r.anomalie if a.tipo == A_ILLEGGIBILE)
    assert len(r.fonti) == 1 and r.programmi[0].righe == len(leggi_cartella(files["P1"], cfg).spese)
    assert any(a.tipo == "File indicato più volte" for a in r.anomalie)


def test_nessun_file_leggibile(lotto, tmp_path):
    files, _ = lotto
    res = CliRunner().invoke(app, ["consolida", str(files["rotto"]), "--out", str(tmp_path / "c.xlsx")])
    assert res.exit_code == 3 and not (tmp_path / "c.xlsx").exists()


def test_azioni_e_partner_riconciliati(consolidato, cfg):
    """Every admitted euro appears once in Azioni and once in Partner (sheet values, to the cent)."""
    r, out, *_ = consolidato
    wb = openpyxl.load_workbook(out, data_only=True)

    def table(name):
        ws = wb[name]
        head = [c.value for c in ws[3]]
        return [dict(zip(head, [c.value for c in row])) for row in ws.iter_rows(min_row=4)]

    az = table(S.CONS_AZIONI)
    for p in r.programmi:
        got = sum(Decimal(str(x["Ammesso"])) for x in az if x["Programma"] == p.codice).quantize(CENT)
        assert got == p.ammesso, p.codice
    part = table(S.CONS_PARTNER)
    total = part[-1]
    assert total["Partner"] == "Totale"
    assert Decimal(str(total["Ammesso"])).quantize(CENT) == r.ats.ammesso + r.ats.detratto   # as checked
    assert Decimal(str(total["Rendicontato"])).quantize(CENT) == r.ats.rendicontato
    assert Decimal(str(total["Ammesso P2"])).quantize(CENT) == r.programmi[1].ammesso
    # the partners' declared co-financing rows (the realised monetary share is the programme's, not a partner's)
    declared = r.ats.cofin.monetario_dichiarato + r.ats.cofin.valorizzato
    assert Decimal(str(total["Cofinanziamento dichiarato"])).quantize(CENT) == declared
    names = [x["Partner"] for x in part[:-1]]
    assert names[:len(cfg.partner)] == [p.nome for p in cfg.partner]      # every ATS member, in order
    assert part[0]["Capofila"] == S.SI


def test_anno_senza_budget(cfg):
    from addin.errors import ErroreInput

    with pytest.raises(ErroreInput) as exc:
        consolida([], cfg, DATA, anno=2030)
    assert "2030" in str(exc.value) and "2026, 2027, 2028" in str(exc.value)


def test_tabella_stringhe_condivise_esistente():
    """The writer extends a shared-string table when the workbook already has one."""
    from addin.workbook.consolidation import _SharedStrings

    old = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'count="3" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>')
    sst = _SharedStrings(old)
    assert sst.get("=SOMMA(A1)") == 2 and sst.get(" x<y ") == 3 and sst.get("=SOMMA(A1)") == 2
    xml = sst.render().decode()
    assert 'uniqueCount="4"' in xml and 'count="3"' not in xml
    assert xml.endswith('<si><t>b</t></si><si><t>=SOMMA(A1)</t></si>'
                        '<si><t xml:space="preserve"> x&lt;y </t></si></sst>')
    empty = _SharedStrings(None)
    assert empty.get("z") == 0 and 'uniqueCount="1"' in empty.render().decode()


def test_consolida_con_verifiche_gia_fatte(lotto, cfg):
    """Workbooks given already checked (as consolida_file does while reading) consolidate exactly as
    workbooks checked by consolida itself; a check at another date is refused."""
    from addin.casi.consolida import risultato_json

    files, _ = lotto
    cartelle = [leggi_cartella(p, cfg) for k, p in files.items() if k != "rotto"]
    checked = [esegui_verifica(c, cfg, DATA, seme=5) for c in cartelle]
    a = risultato_json(consolida(cartelle, cfg, DATA, seme=5))
    b = risultato_json(consolida(checked[:3] + cartelle[3:], cfg, DATA, seme=5))
    assert a == b and a["ats"]["ammesso"] != "0.00"
    with pytest.raises(ValueError):
        consolida([esegui_verifica(cartelle[0], cfg, DATA + dt.timedelta(days=1))], cfg, DATA)


def test_campione_del_programma_su_tutte_le_copie(lotto, consolidato, cfg):
    """The sample of a programme is drawn among its persons across the partner copies (P2 in two files);
    the consolidated workbook and the JSON show it, provisional without seed or key."""
    from addin.casi.consolida import risultato_json
    from addin.rules.lookup import lookup_for, norm
    from addin.rules.sampling import dimensione_campione, semestre_di
    from addin.rules.eligibility import data_decisiva

    files, _ = lotto
    r, out, *_ = consolidato
    lk = lookup_for(cfg)
    persons: dict[int, set[str]] = {1: set(), 2: set()}   # by hand: personnel rows of both copies of P2
    for k in ("P2a", "P2b"):
        for s in leggi_cartella(files[k], cfg).spese:
            cat = lk.categoria(s.categoria)
            dd = data_decisiva(cfg, s)
            if cat and cat.personale and s.persona and dd and dd.year == 2026:
                persons[semestre_di(dd.month)].add(norm(s.persona))
    c1, c2 = r.campioni[2]
    assert (c1.persone, c2.persone) == (len(persons[1]), len(persons[2]))
    assert c1.dimensione == dimensione_campione(cfg, c1.persone) and all(c.provvisorio for c in (c1, c2))
    names = {Path(f).name for c in (c1, c2) for places in c.posizioni.values() for f, _ in places}
    assert names <= {"P2_igea.xlsx", "P2_koala.xlsx"}
    data = risultato_json(r)["campione"]
    assert {(x["programma"], x["semestre"]) for x in data} == {(p, s) for p in (1, 2, 3, 5, 6) for s in (1, 2)}
    ws = openpyxl.load_workbook(out)[S.CONS_CAMPIONE]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "PROVVISORIO" in text and "P2_igea.xlsx" in text + "P2_koala.xlsx"
    # with the officer's seed the draw is reproducible and not provisional
    again = consolida([leggi_cartella(files[k], cfg) for k in ("P2a", "P2b")], cfg, DATA, seme=11)
    twice = consolida([leggi_cartella(files[k], cfg) for k in ("P2b", "P2a")], cfg, DATA, seme=11)
    assert again.campioni[2][0].estratti == twice.campioni[2][0].estratti
    assert not again.campioni[2][0].provvisorio


def test_quota_ats_vincolante_solo_dopo_l_ultimo_blocco(cfg):
    """P1 admitted 1,000.00 and P4 admitted 10,000.00, nothing valued. By hand: contributions due
    722,461.31 x 1,000 / 810,897.48 = 890.94 and 196,406.30 x 10,000 / 215,199.38 = 9,126.71 (Σ 10,017.65);
    ATS co-financing 11,000 − 10,017.65 = 982.35 = 8.93% of 11,000. After the lock of the last window
    (31/01/2027) the reduction 10,017.65 − 0.9 x 11,000 = 117.65 goes to P4, the only programme below
    10% (its shortfall 9,126.71 − 9,000 = 126.71); before it, the shortfall is only advisory."""
    def run(day):
        p1 = _cartella("p1.xlsx", 1, [spesa_ok("1.1", "Alfa", "1", "1000", "1000")])
        p4 = _cartella("p4.xlsx", 4, [spesa_ok("4.1", "Beta", "2", "10000", "10000")])
        return consolida([p1, p4], cfg, day)

    before = run(dt.date(2027, 1, 31))
    after = run(dt.date(2027, 2, 1))
    for r in (before, after):
        p1, p4 = r.programmi[0], r.programmi[3]
        assert (p1.liquidazione.contributo_finale, p4.liquidazione.contributo_finale) == (
            Decimal("890.94"), Decimal("9126.71"))
        assert (p1.cofin.monetario, p4.cofin.monetario) == (Decimal("109.06"), Decimal("873.29"))
        assert r.ats.quota.cofinanziamento == Decimal("982.35") and not r.ats.quota.rispettato
    ats_cofin = [a for a in before.anomalie if a.tipo == A_COFIN and a.programma is None]
    assert [a.gravita for a in ats_cofin] == ["Attenzione"] and "31/01/2027" in ats_cofin[0].descrizione
    assert before.ats.riduzione_quota is None and before.programmi[3].riduzione_quota is None
    assert after.ats.riduzione_quota == Decimal("117.65")
    assert [p.riduzione_quota for p in after.programmi] == [
        Decimal("0.00"), None, None, Decimal("117.65"), None, None]
    p4 = after.programmi[3]
    assert p4.saldo_dopo_riduzione == p4.liquidazione.saldo - Decimal("117.65")
    assert [a.gravita for a in after.anomalie if a.tipo == A_COFIN and a.programma is None] == ["Bloccante"]
    assert any("117,65" in a.descrizione and a.programma == 4 for a in after.anomalie)
    j = risultato_json(after)
    assert j["programmi"][3]["riduzione_quota"] == "117.65" and j["ats"]["riduzione_quota"] == "117.65"
    # the restored share: (982.35 + 117.65) / 11,000 = 10.00%
    assert (Decimal("982.35") + Decimal("117.65")) / Decimal("11000") == Decimal("0.1")
