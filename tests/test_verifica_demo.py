"""The demo data and `rendiconta demo`: a realistic workbook from the real template, checked end to end."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal as D
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from addin.cli import app
from addin.demo_data import genera_demo
from addin.workbook.reader import leggi_cartella
from addin.workbook.report import RIGA_INTESTAZIONE


def test_demo_data_is_deterministic_and_realistic(cfg):
    a, b = genera_demo(cfg), genera_demo(cfg)
    assert [(s.riga, s.importo, s.partner, s.numero_documento) for s in a.spese] == \
           [(s.riga, s.importo, s.partner, s.numero_documento) for s in b.spese]
    assert 300 <= len(a.spese) <= 1000                      # fits the pre-sized table
    assert len({s.partner for s in a.spese}) >= 8
    assert {s.azione for s in a.spese} == {"1.1", "1.2", "1.3", "1.4", "1.5"}
    assert len({s.persona for s in a.spese if s.persona}) >= 20
    kinds = Counter(v.tipo for v in a.cofinanziamento)
    assert set(kinds) == {"Monetario", "Non monetario", "Volontariato"}
    assert [s.importo for s in genera_demo(cfg, seme=1).spese] != [s.importo for s in a.spese]


def test_six_programmes_are_distinct_and_sized_to_their_budget(cfg):
    """Each programme: its own actions, partners of the ATS, its own people and document numbers, and
    reported spending below its yearly budget. The only documents in two programmes are the two
    deliberate duplicates (an invoice in P1 and P2, a fee note in P5 and P6)."""
    from addin.rules.money import ZERO

    people: dict[str, set[int]] = {}
    docs: dict[tuple[str, str], set[int]] = {}
    ats = {p.nome for p in cfg.partner}
    for p in cfg.programmi:
        d = genera_demo(cfg, p.codice)
        assert {s.azione for s in d.spese} <= set(p.codici_azioni)
        assert len({s.partner for s in d.spese} - ats) <= 1                  # the planted outsider
        b = p.budget_anno(2026)
        reported = sum((s.importo or ZERO for s in d.spese), ZERO)
        assert reported < b.comunale + b.cofinanziamento, p.codice
        for s in d.spese:
            if s.persona and s.categoria == "Personale interno":
                people.setdefault(s.persona, set()).add(p.codice)
            if s.numero_documento:
                docs.setdefault((s.fornitore, s.numero_documento), set()).add(p.codice)
    assert all(len(v) == 1 for v in people.values())
    shared = {k: v for k, v in docs.items() if len(v) > 1}
    assert shared == {("Forniture Ufficio Nord srl", "FT-0456/2026"): {1, 2},
                      ("Dott. Carlo Villa (supervisore)", "N-77/2026"): {5, 6}}
    # programme 3: 8,604.80 + 12,334.62 = 20,939.42 € in 2026; the demo stays below it
    p3 = genera_demo(cfg, 3)
    assert sum((s.importo or ZERO for s in p3.spese), ZERO) < D("20939.42")


def test_cli_demo_writes_six_programmes_verbali_and_consolidation(tmp_path, monkeypatch, cfg):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["demo", "--cartella", "prova"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    folder = Path("prova")
    for p in range(1, 7):
        for suffix in (".xlsx", "_verifica.xlsx", "_verbale.pdf"):
            assert (folder / f"rendiconto_P{p}_2026_demo{suffix}").is_file(), (p, suffix)
    assert (folder / "rendiconto_P1_2026_demo_verbale.pdf").read_bytes().startswith(b"%PDF-")
    out = " ".join(res.output.split())
    for fragment in ("Verifica programma 1, anno 2026, al 15/10/2026", "Non ammesso per motivo", "Cofinanziamento:",
                     "Tranche:", "1/2026 chiusa", "3/2026 aperta", "Le sei verifiche", "Consolidato 2026",
                     "consolidato_2026_demo.xlsx"):
        assert fragment in out, fragment
    # 80 columns: only a long absolute path may run on (printed whole, for the terminal to wrap)
    assert max(len(line) for line in res.output.splitlines() if str(tmp_path) not in line) <= 80
    assert "…" not in res.output                                     # nothing cut with an ellipsis
    # the consolidation finds the two deliberate cross-programme duplicates, in four places
    wb = openpyxl.load_workbook(folder / "consolidato_2026_demo.xlsx", read_only=True)
    double = [r for r in wb["Anomalie"].iter_rows(values_only=True) if r[1] == "Doppio finanziamento"]
    assert sorted(r[3] for r in double) == ["P1", "P2", "P5", "P6"]
    wb.close()
    # every planted problem is found in programme 1
    src = folder / "rendiconto_P1_2026_demo.xlsx"
    c = leggi_cartella(src, cfg)
    assert len(c.spese) >= 300
    wb = openpyxl.load_workbook(folder / "rendiconto_P1_2026_demo_verifica.xlsx", read_only=True)
    codes = set()
    for row in wb["Esito"].iter_rows(min_row=RIGA_INTESTAZIONE["Esito"] + 1, values_only=True):
        if row[13]:
            codes.update(x.strip() for x in row[13].split(","))
    assert {"DOCUMENTAZIONE_MANCANTE", "TRASMISSIONE_TARDIVA", "PAGAMENTO_NON_TRACCIABILE", "DOCUMENTO_DUPLICATO",
            "PERSONALE_IMPORTO_INCOERENTE", "PERSONALE_DATI_MANCANTI", "DECISIONE_COMUNE",
            "PAGAMENTO_MANCANTE", "IMPORTO_OLTRE_DOCUMENTO", "DATA_FUORI_PERIODO", "PARTNER_NON_ATS",
            "CATEGORIA_NON_AMMISSIBILE"} <= codes
    wb.close()


def test_demo_folder_parent_must_exist(tmp_path):
    res = CliRunner().invoke(app, ["demo", "--cartella", str(tmp_path / "manca" / "demo"), "--senza-pdf"])
    assert res.exit_code == 5 and not (tmp_path / "manca").exists()
