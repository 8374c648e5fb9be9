"""What the add-in moves between Excel, the task pane and the server stays within Excel on the web's limit
(5 MB = 5,242,880 bytes a request or response) at the largest workbook the templates support (10,000
expense rows): measured on real payloads through the real endpoint (no timing).

Two programme workbooks of 500 and 1,000 rows (demo rows repeated, as bench/verifica.py builds them) go
through Valida, Blocca and Valida again, each request as the task pane now sends it (the large sheets read
in blocks of rows and sent as the script's argument, xlwings reading only `_meta`:
tests/dimensioni_web.richiesta_a_blocchi); the sizes per expense row are the difference between the two
(the sheets' fixed part cancels out) and the 10,000-row size is the 1,000-row size plus 9,000 rows at that
rate. Sizes are counted as the task pane sends them (compact JSON, UTF-8: tests/dimensioni_web.byte_json)
and as Excel returns them (values plus every cell's number format) to getBookData and to each block. A
block's size does not grow with the sheet (its rows are chosen by measured bytes): the largest block is
bounded at any size, and tests/js proves it on a 10,000-row sheet. The full 10,000-row figures are
bench/addin_dimensioni.py's (docs/addin.md)."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parents[1] / "addin" / "server"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_DIR)
os.environ["DOTENV_PATH"] = str(SERVER_DIR / "nonexistent.env")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from dimensioni_web import (BYTE_BLOCCO, LIMITE_WEB, byte_json, formati_del_modello, lettura_excel,  # noqa: E402
                            richiesta_a_blocchi, solo_fogli, svuota_esiti)
from xlwings_book import applica_valori, book_json  # noqa: E402

# every window of 2026 closed and the co-financing sealed: the most rows sealed
OGGI = dt.date(2027, 2, 15)
MAX_RIGHE = 10_000


def _cartella(cfg, n: int, path: Path) -> Path:
    from dataclasses import replace

    from addin.demo_data import genera_demo
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template

    demo = genera_demo(cfg)
    rows, i = [], 0
    while len(rows) < n:
        for s in demo.spese[: n - len(rows)]:
            c = replace(s, errori=[])
            c.numero_documento = f"{s.numero_documento}-{i}"
            rows.append(c)
        i += 1
    wb = build_template(cfg, 1, 2026)    # its table holds 1,000 rows
    fill_workbook(wb, rows, demo.cofinanziamento, demo.budget)
    wb.save(path)
    return path


def _percorso(cfg, n: int, tmp: Path, monkeypatch) -> dict:
    """Sizes of one workbook through Valida, Blocca and Valida again (own register, key, date)."""
    from openpyxl import load_workbook

    from addin import xlbridge
    from addin.serve import crea_app
    from addin.workbook.seals import leggi_sigilli
    from addin.xlbridge import FOGLI_DAL_RIQUADRO
    from macros_py.scripts import FOGLI_PROGRAMMA

    monkeypatch.setattr(xlbridge, "today", lambda: OGGI)
    monkeypatch.setenv("RENDICONTA_REGISTRO", f"sqlite:///{tmp}/registro-{n}.sqlite")
    monkeypatch.setenv("RENDICONTA_SVILUPPO_LOCALE", "1")
    monkeypatch.setenv("RENDICONTA_CHIAVE", "chiave-di-prova-del-comune-0123456789")
    wb = load_workbook(_cartella(cfg, n, tmp / f"P1_{n}.xlsx"))
    formati = formati_del_modello(wb)
    first = solo_fogli(book_json(wb, "P1_2026.xlsx"), FOGLI_PROGRAMMA)
    local = TestClient(crea_app(), client=("127.0.0.1", 50000))

    letture: dict[str, list[int]] = {}

    def call(name: str, book: dict, passo: str) -> list[dict]:
        sent, letture[passo] = richiesta_a_blocchi(svuota_esiti(book), FOGLI_DAL_RIQUADRO, formati)
        r = local.post(f"/xlwings/custom-scripts-call/{name}", json=sent)
        assert r.status_code == 200 and not [a for a in r.json()["actions"]
                                             if a["func"] == "alert" and "errore" in str(a["args"][1:])]
        out[f"http_{passo}"] = byte_json(sent)
        return r.json()["actions"]

    out: dict = {}
    book = applica_valori(first, call("valida", first, "prima"))
    out.update({"prima": byte_json(first), "dopo_valida": byte_json(book),
                "dopo_valida_svuotata": byte_json(svuota_esiti(book)),
                "lettura_una_prima": lettura_excel(svuota_esiti(book), formati)})
    book = applica_valori(book, call("blocca", book, "blocca"))
    meta = {r[0]: r[1] for r in next(s["values"] for s in book["sheets"] if s["name"] == "_meta") if r and r[0]}
    seals = leggi_sigilli(meta)
    out["sigillate"] = sum(len(s.righe) for s in seals.values())
    out["copie"] = sum(len(k) + len(v) for k, v in meta.items() if k.startswith("sigillo."))
    out["pezzi"] = [v for k, v in meta.items() if ".dati." in k]
    out["forme"] = {s.forma for s in seals.values() if s.righe}
    out["dopo_blocca"] = byte_json(svuota_esiti(book))
    out["lettura_una_dopo"] = lettura_excel(svuota_esiti(book), formati)
    call("valida", book, "dopo")
    for passo, sizes in letture.items():
        out[f"meta_{passo}"], out[f"blocchi_{passo}"] = sizes[0], sizes[1:]   # getBookData of `_meta`, the blocks
    return out


@pytest.fixture(scope="module")
def misure(cfg, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:
        tmp = tmp_path_factory.mktemp("dimensioni")
        return {n: _percorso(cfg, n, tmp, mp) for n in (500, 1000)}
    finally:
        mp.undo()


def _a_10000(m: dict, key: str) -> float:
    """The size at 10,000 rows: the 1,000-row size plus 9,000 rows at the rate between 500 and 1,000."""
    per_riga = (m[1000][key] - m[500][key]) / 500
    return m[1000][key] + (MAX_RIGHE - 1000) * per_riga


def test_the_outcomes_do_not_travel_back_to_the_server(misure):
    """After a first Valida the task pane clears Esito/Importo ammesso/Motivi before sending: the request
    is byte for byte as large as the first one (they would add about 210 bytes a row: 2 MB at 10,000)."""
    for m in misure.values():
        assert m["dopo_valida"] > m["prima"]                       # Valida wrote them into the workbook
        assert m["dopo_valida_svuotata"] == m["prima"]


def test_seal_copies_in_meta_are_compressed_and_fit_excel_cells(misure):
    for n, m in misure.items():
        assert m["sigillate"] > n * 0.8          # every window closed: most rows sealed (the others undated)
        assert m["forme"] == {"compatta"} and m["pezzi"]
        assert all(len(p) <= 32_767 for p in m["pezzi"])          # Excel's characters per cell
    # the first form took about 695 bytes a sealed row (HMAC 64 + space + canonical text ~600 + key);
    # compressed: the HMAC's 32 random bytes stay (43 in base64), the repetitive text shrinks. Per sealed row
    # between the two workbooks (each seal's header fields, about 1 KB, cancel out)
    per_riga = ((misure[1000]["copie"] - misure[500]["copie"])
                / (misure[1000]["sigillate"] - misure[500]["sigillate"]))
    assert per_riga < 120


def test_requests_at_10000_rows_stay_within_excel_on_the_web(misure):
    """Extrapolated from 500 and 1,000 rows to 10,000: every request the task pane sends for Valida,
    Verifica and Blocca (before and after Blocca) is under 5,242,880 bytes."""
    assert _a_10000(misure, "prima") < LIMITE_WEB
    assert _a_10000(misure, "dopo_blocca") < LIMITE_WEB
    # the new request carries the same values (the large sheets as argument instead of book data)
    for m in misure.values():
        assert abs(m["http_prima"] - m["prima"]) < 2_000 and abs(m["http_dopo"] - m["dopo_blocca"]) < 2_000


def test_every_excel_read_stays_under_1_mb_at_any_size(misure):
    """What getBookData alone read in ONE request grows with the rows: extrapolated to 10,000 it passes
    Excel on the web's 5 MB after Blocca (it did: 5.66 MB). Now xlwings reads only `_meta` (its seal
    copies grow about 105 bytes a sealed row: under 1 MB at 10,000) and the large sheets go in blocks,
    each near BYTE_BLOCCO (750,000 bytes) whatever the sheet's length."""
    assert _a_10000(misure, "lettura_una_dopo") > LIMITE_WEB          # why the blocks: one read is too much
    assert _a_10000(misure, "meta_dopo") < 1024 * 1024
    assert _a_10000(misure, "meta_prima") < 50_000                     # before Blocca `_meta` holds a few keys
    for m in misure.values():
        for passo in ("prima", "blocca", "dopo"):
            blocchi = m[f"blocchi_{passo}"]
            assert len(blocchi) >= 3 and max(blocchi) < BYTE_BLOCCO * 1.05, (passo, blocchi)
    # the seals' share of the request after Blocca: the compressed copies, not ~695 bytes a sealed row
    seals = {n: m["dopo_blocca"] - m["prima"] for n, m in misure.items()}
    assert (seals[1000] - seals[500]) / (misure[1000]["sigillate"] - misure[500]["sigillate"]) < 120


def test_verifica_within_ten_actions_when_its_table_is_split(cfg, tmp_path, monkeypatch):
    """Verifica at 10,000 rows writes its row table in two setValues (3.6 MB against MAX_BYTES_AZIONE = 3 MB,
    bench/addin_server.py) and stays within ten actions. The same split here at 1,000 rows with the limit
    scaled by the rows (300 KB): outcomes on Spese (1), a new sheet each for Verifica, Campione and
    Osservazioni (3), the formats (1), Verifica in two writes (2), Campione (1), Osservazioni (1), the alert
    (1) = 10; no action of its own to show Verifica (the formats action shows it). Again with the three
    sheets already in the workbook: no sheet added, none cleared by an action of its own (the formats
    action clears them) = 7."""
    from openpyxl import load_workbook

    from addin import xlbridge
    from addin.serve import crea_app
    from macros_py.scripts import FOGLI_PROGRAMMA

    n = 1000
    monkeypatch.setattr(xlbridge, "MAX_BYTES_AZIONE", xlbridge.MAX_BYTES_AZIONE * n // MAX_RIGHE)
    monkeypatch.setattr(xlbridge, "today", lambda: OGGI)
    monkeypatch.setenv("RENDICONTA_REGISTRO", f"sqlite:///{tmp_path}/registro.sqlite")
    monkeypatch.setenv("RENDICONTA_SVILUPPO_LOCALE", "1")
    monkeypatch.setenv("RENDICONTA_VERBALI", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "vuota"))   # no verbale PDF: not what is counted here
    wb = load_workbook(_cartella(cfg, n, tmp_path / f"P1_{n}.xlsx"))
    local = TestClient(crea_app(), client=("127.0.0.1", 50000))
    n0 = len(wb.worksheets)

    def verifica(wb) -> list[dict]:
        r = local.post("/xlwings/custom-scripts-call/verifica", json=book_json(wb, "P1_2026.xlsx",
                                                                                include=FOGLI_PROGRAMMA))
        assert r.status_code == 200, r.text
        return r.json()["actions"]

    acts = verifica(wb)
    funcs = [a["func"] for a in acts]
    scritture = [a for a in acts if a["func"] == "setValues" and a["sheet_position"] == n0]
    assert len(scritture) == 2 and scritture[1]["start_row"] == len(scritture[0]["values"])   # split, contiguous
    assert funcs == ["setValues", "addSheet", "addSheet", "addSheet", "runMacro", "setValues", "setValues",
                     "setValues", "setValues", "alert"], funcs
    [fmt] = [a for a in acts if a["func"] == "runMacro"]
    assert [(f["foglio"], f.get("pulisci", False), f.get("attiva", False)) for f in fmt["args"][1]] == [
        ("Verifica", False, True), ("Campione", False, False), ("Osservazioni", False, False)]

    for nome in ("Verifica", "Campione", "Osservazioni"):
        wb.create_sheet(nome)
    acts = verifica(wb)
    funcs = [a["func"] for a in acts]
    assert funcs == ["setValues", "runMacro", "setValues", "setValues", "setValues", "setValues", "alert"], funcs
    [fmt] = [a for a in acts if a["func"] == "runMacro"]
    assert [(f["foglio"], f.get("pulisci", False), f.get("attiva", False)) for f in fmt["args"][1]] == [
        ("Verifica", True, True), ("Campione", True, False), ("Osservazioni", True, False)]
