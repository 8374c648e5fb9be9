"""The demo data and `rendiconta demo`: a realistic workbook from the real template, checked end to end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from addin.cli import app
from addin.demo_data import genera_demo
from addin.workbook.reader import leggi_cartella


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


def test_cli_demo_writes_workbook_and_report(tmp_path, monkeypatch, cfg):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["demo"])
    assert res.exit_code == 0, res.output
    src = Path("demo_output/rendiconto_P1_2026_demo.xlsx")
    rep = Path("demo_output/rendiconto_P1_2026_demo_verifica.xlsx")
    assert src.is_file() and rep.is_file()
    out = " ".join(res.output.split())
    for fragment in ("Verifica programma 1, anno 2026, al 15/10/2026", "Non ammesso per motivo", "Cofinanziamento:",
                     "Tranche:", "1/2026 chiusa", "3/2026 aperta", "Report scritto in"):
        assert fragment in out
    # every planted problem is found
    c = leggi_cartella(src, cfg)
    assert len(c.spese) >= 300
    wb = openpyxl.load_workbook(rep, read_only=True)
    codes = set()
    for row in wb["Esito"].iter_rows(min_row=2, values_only=True):
        if row[13]:
            codes.update(x.strip() for x in row[13].split(","))
    assert {"DOCUMENTAZIONE_MANCANTE", "TRASMISSIONE_TARDIVA", "PAGAMENTO_NON_TRACCIABILE", "DOCUMENTO_DUPLICATO",
            "PERSONALE_IMPORTO_INCOERENTE", "PERSONALE_DATI_MANCANTI", "DECISIONE_COMUNE",
            "PAGAMENTO_MANCANTE", "IMPORTO_OLTRE_DOCUMENTO", "DATA_FUORI_PERIODO", "PARTNER_NON_ATS",
            "CATEGORIA_NON_AMMISSIBILE"} <= codes
    wb.close()
