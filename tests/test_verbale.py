"""The verbale di verifica (PDF/A-2b through LibreOffice) and the one definition of "not admitted by
reason" that the CLI, the report and the verbale share. Figures computed by hand below."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from addin.casi.verifica import Ricezione, esegui_verifica, verifica_file
from addin.cli import app
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa
from addin.rules.reductions import decurtazioni_per_motivo, motivo_decisivo
from hostile.build import build_workbook
from tests.test_verifica import sp
from tests.libreoffice import PDFTOTEXT, pagine_png, richiede_libreoffice, richiede_poppler

OPEN = dt.date(2026, 5, 31)          # window 1 (Jan-Apr) still open: it locks on 31/05/2026
LONG = ("Spesa relativa a un evento aperto alla cittadinanza che il Comune non ha autorizzato e che non "
        "rientra tra le attività previste dall'azione secondo il progetto approvato dalla Cabina di regia "
        "del 12 febbraio 2026, come comunicato all'ATS con nota protocollo 1234/2026")
ROWS = [
    sp(),                                                                   # 100.00 admitted
    sp(modalita_pagamento="Contanti", importo=D("50.00"), importo_documento=D("50.00")),   # 50.00 not admitted
    sp(importo=D("120.00")),                                                # 100.00 admitted, 20.00 cut
    sp(data_pagamento=None, importo=D("80.00"), importo_documento=D("80.00")),   # 80.00 to complete
    sp(categoria="Interessi passivi", modalita_pagamento="Contanti", importo=D("30.00"),
       importo_documento=D("30.00")),                                       # 30.00, two reasons
    sp(decisione_comune="Non ammessa", motivazione_comune=LONG, importo=D("40.00"),
       importo_documento=D("40.00"), descrizione="Evento pubblico in piazza Duomo"),   # 40.00
]
# reported 100 + 50 + 120 + 80 + 30 + 40 = 420.00; admitted 100 + 100 = 200.00; not admitted 220.00
EXPECTED = {  # decisive reason -> (rows, amount not admitted)
    "PAGAMENTO_MANCANTE": (1, D("80.00")),
    "PAGAMENTO_NON_TRACCIABILE": (1, D("50.00")),
    "DECISIONE_COMUNE": (1, D("40.00")),
    "CATEGORIA_NON_AMMISSIBILE": (1, D("30.00")),   # stronger than nothing else: both non_ammessa, first wins
    "IMPORTO_OLTRE_DOCUMENTO": (1, D("20.00")),
}


@pytest.fixture(scope="module")
def small_file(tmp_path_factory, cfg) -> Path:
    p = tmp_path_factory.mktemp("verbale") / "P1_2026.xlsx"
    build_workbook(cfg, ROWS).save(p)
    return p


def test_decisive_reason_counts_each_row_once():
    """A row with several reasons counts once, under the first reason of the strongest effect."""
    e = EsitoRiga(4, Esito.NON_AMMESSA, D("90.00"), D("0.00"),
                  [Motivo("IMPORTO_OLTRE_DOCUMENTO", "x"), Motivo("DOCUMENTAZIONE_MANCANTE", "y"),
                   Motivo("TRASMISSIONE_TARDIVA", "z"), Motivo("PARTNER_NON_ATS", "w")])
    assert motivo_decisivo(e) == "PARTNER_NON_ATS"
    e2 = EsitoRiga(5, Esito.AMMESSA, D("90.00"), D("60.00"), [Motivo("DOCUMENTO_DUPLICATO", "x")])
    assert motivo_decisivo(e2) == "DOCUMENTO_DUPLICATO"
    assert motivo_decisivo(EsitoRiga(6, Esito.AMMESSA, D("5.00"), D("5.00"), [])) is None
    s = [Spesa(4, categoria="A"), Spesa(5, categoria="B"), Spesa(6, categoria="A")]
    ded = decurtazioni_per_motivo(s, [e, e2, EsitoRiga(6, Esito.AMMESSA, D("5.00"), D("5.00"), [])])
    # PARTNER_NON_ATS 90.00 (row 4), DOCUMENTO_DUPLICATO 90.00 - 60.00 = 30.00 (row 5)
    assert [(d.codice, d.righe, d.importo, d.righe_con_motivo) for d in ded] == [
        ("PARTNER_NON_ATS", 1, D("90.00"), 1), ("DOCUMENTO_DUPLICATO", 1, D("30.00"), 1)]
    assert ded[0].per_categoria == {"A": D("90.00")}


def test_reductions_add_up_to_the_total(small_file, cfg):
    from addin.workbook.reader import leggi_cartella

    r = esegui_verifica(leggi_cartella(small_file, cfg), cfg, OPEN)
    assert (r.totali["rendicontato"], r.totali["ammesso"], r.totali["non_ammesso"]) == \
           (D("420.00"), D("200.00"), D("220.00"))
    got = {d.codice: (d.righe, d.importo) for d in r.decurtazioni()}
    assert got == EXPECTED
    assert sum(v[1] for v in got.values()) == D("220.00")


def test_cli_lists_every_reason_with_the_same_figures(small_file, tmp_path):
    # the file-only check: the workbook's own decision column counts (with the register only its acts do)
    res = CliRunner().invoke(app, ["verifica", str(small_file), "--data", "31/05/2026", "--senza-registro",
                                   "--out", str(tmp_path / "r.xlsx")], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    for code, (rows, amount) in EXPECTED.items():
        euro = f"{amount:.2f}".replace(".", ",") + " €"
        assert any(code in ln and euro in ln for ln in lines), (code, res.output)
    assert any("Totale" in ln and "220,00 €" in ln for ln in lines)
    # the report's Sintesi: the same amounts under the same heading
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    sint = [r for r in wb["Sintesi"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(sint) if r[0] and str(r[0]).startswith("Non ammesso per motivo"))
    table = {r[0]: (r[1], D(str(r[2]))) for r in sint[start + 1:] if r[0] in EXPECTED}
    assert table == {k: (v[0], v[1]) for k, v in EXPECTED.items()}


def _words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """Every word with its box, per page (pdftotext -bbox)."""
    html = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    out = []
    for page, body in enumerate(html.split("<page ")[1:], start=1):
        for m in re.finditer(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', body):
            out.append((page, *map(float, m.groups()[:4]), m.group(5)))
    return out


@richiede_libreoffice
@richiede_poppler
def test_verbale_pdfa(small_file, cfg, tmp_path):
    """PDF/A-2b, A4 portrait; the hash, the figures in Italian format, every reason in full, the
    deadline and the signature block; no word drawn over another (nothing cut or spilling)."""
    from addin.documenti.verbale import scrivi_verbale

    r, _ = verifica_file(small_file, cfg, OPEN, out=tmp_path / "r.xlsx")
    r.ricezione = Ricezione("PG 4567/2026", dt.date(2026, 5, 20), r.sha256, "Consorzio Arcobaleno")
    pdf = scrivi_verbale(r, tmp_path / "verbale.pdf")
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF-")
    assert b"<pdfaid:part>2</pdfaid:part>" in raw and b"<pdfaid:conformance>B</pdfaid:conformance>" in raw
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.3" in info and "841.89" in info                       # A4 portrait, in points
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    flat = " ".join(text.split())
    sha = hashlib.sha256(small_file.read_bytes()).hexdigest()
    assert sha in flat
    assert "protocollo PG 4567/2026 del 20/05/2026" in flat
    for fragment in ("Verbale di verifica del rendiconto", "Comune di Crema", "P1_2026.xlsx", "31/05/2026",
                     "420,00 €", "200,00 €", "220,00 €",            # reported, admitted, not admitted
                     "PAGAMENTO_MANCANTE", "80,00 €", "20,00 €", "30,00 €", "40,00 €", "50,00 €",
                     "entro il 10/06/2026",                          # 31/05/2026 + 10 days
                     "Il funzionario incaricato", "Firma"):
        assert fragment in flat, fragment
    assert " ".join(LONG.split()) in flat                             # the reason in full
    assert "Pagina 1 di" in flat
    # nothing cut or spilling: no two words overlap on a page
    words = _words(pdf)
    assert words
    by_page: dict[int, list] = {}
    for w in words:
        by_page.setdefault(w[0], []).append(w)
    for page, ws in by_page.items():
        ws.sort(key=lambda w: w[2])
        for i, a in enumerate(ws):
            for b in ws[i + 1:]:
                if b[2] >= a[4] - 0.5:
                    break
                overlap_x = min(a[3], b[3]) - max(a[1], b[1])
                overlap_y = min(a[4], b[4]) - max(a[2], b[2])
                assert not (overlap_x > 0.5 and overlap_y > 3), (page, a, b)   # lines of one cell touch
            assert 0 <= a[1] and a[3] <= 595.3 and 0 <= a[2] and a[4] <= 841.9, a
    pages = pagine_png(pdf, tmp_path / "png", dpi=50)
    assert len(pages) >= 1 and all(p.stat().st_size > 5000 for p in pages)


@richiede_libreoffice
def test_cli_verifica_pdf(small_file, tmp_path):
    out = tmp_path / "rep.xlsx"
    res = CliRunner().invoke(app, ["verifica", str(small_file), "--data", "31/05/2026", "--out", str(out),
                                   "--out-pdf", str(tmp_path / "v.pdf")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "v.pdf").read_bytes().startswith(b"%PDF-")
    assert "Verbale PDF/A scritto in" in " ".join(res.output.split())


def test_every_catalogue_effect_ranks_the_reasons_of_a_reduction():
    """The code a reduction is counted under (rules.reductions.motivo_decisivo) knows every effect of the
    catalogue: PERSONALE_ORE_ECCESSIVE («integrabile_riduzione») made Verifica fail with a KeyError."""
    from decimal import Decimal
    from typing import get_args

    from addin.rules.catalogue import CATALOGO, Effetto
    from addin.rules.reductions import ALTRO, motivo_decisivo

    for effetto in get_args(Effetto):
        codice = next(c for c, v in CATALOGO.items() if v.effetto == effetto)
        for esito in Esito:
            # 100.00 claimed, 40.00 admitted: 60.00 not admitted, counted under the row's only reason
            # unless that reason cuts nothing (a «segnalazione»: then under ALTRO)
            e = EsitoRiga(4, esito, Decimal("100.00"), Decimal("40.00"), [Motivo(codice, "m")])
            assert motivo_decisivo(e) == (ALTRO if effetto == "segnalazione" else codice), (effetto, esito)
