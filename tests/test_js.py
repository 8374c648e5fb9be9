"""The add-in's JavaScript executed in Node (tests/js): the task pane (main.js, rendiconta.js,
ribbon.js) and xlwings' own code that applies a script's actions (custom-scripts/index.js,
action-dispatch.js), as the server serves them, against an Office.js mock with Excel's batching and
protection rules (tests/js/excel-mock.mjs).

This module prepares what Node needs, from the real server: the static tree as served (xlwings
Server's files with ours on top), the programme workbook as Excel would hold it (values, protected
sheets, unlocked cells from the template), the actions that Valida, Verifica, Blocca and Consolida
return through the real endpoints, and expectations computed independently (the CLI's check; the
rows of the closed windows from the window dates). Node's test runner then applies the actions and
checks the mocked workbook. Node and npm are required (.ci/run installs them): no skipping.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
SERVER_DIR = ROOT / "addin" / "server"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_DIR)
os.environ["DOTENV_PATH"] = str(SERVER_DIR / "nonexistent.env")
KEY = "chiave-di-prova-del-comune-0123456789"


def node_ready() -> None:
    """npm ci (the lock file) when node_modules is missing or older than the lock file."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required for the add-in's JS tests: apt-get install nodejs npm (see .ci/run)")
    marker = JS / "node_modules" / ".package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < (JS / "package-lock.json").stat().st_mtime:
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr


def static_tree(dest: Path) -> Path:
    """The /static/js tree as xlwings Server serves it: the package's files, ours on top."""
    import xlwings_server

    shutil.copytree(Path(xlwings_server.__file__).parent / "static" / "js", dest)
    shutil.copytree(SERVER_DIR / "static" / "js", dest, dirs_exist_ok=True)
    return dest


def _runs(cells: list[tuple[int, int]]) -> list[str]:
    """Unlocked (row, col) cells as A1 ranges: runs of rows per column."""
    from openpyxl.utils import get_column_letter

    out, by_col = [], {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    for c, rows in sorted(by_col.items()):
        rows.sort()
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            out.append(f"{get_column_letter(c)}{start}:{get_column_letter(c)}{prev}")
            if r is not None:
                start = prev = r
    return out


def excel_state(wb, book: dict, password: dict[str, str] | None = None) -> list[dict]:
    """The workbook as the mock starts it: every sheet's values (the book JSON sent by the client
    carries only the included sheets), protection and unlocked cells as in the template."""
    from xlwings_book import book_json

    full = book_json(wb)
    out = []
    for ws, sent in zip(wb.worksheets, full["sheets"]):
        unlocked = []
        if ws.protection.sheet:
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
                unlocked += [(c.row, c.column) for c in row if c.protection.locked is False]
        out.append({"name": ws.title, "values": sent["values"], "protected": bool(ws.protection.sheet),
                    "password": (password or {}).get(ws.title, ""), "unlocked": _runs(unlocked),
                    "visibility": sent["visibility"],
                    "tables": [{"name": t["name"], "address": t["range_address"]} for t in sent["tables"]]})
    assert [s["name"] for s in out] == [s["name"] for s in book["sheets"]]
    return out


@pytest.fixture(scope="module")
def fixtures(cfg, tmp_path_factory):
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook
    from dimensioni_web import taglia
    from xlwings_book import applica_valori, book_json

    from addin.casi.verifica import verifica_file
    from addin.casi.consolida import build_consolidation_template
    from addin.demo_data import cartella_compilata, genera_demo
    from addin.rules.eligibility import data_decisiva
    from addin.serve import crea_app
    from addin.workbook.protection import OPZIONI_PROTEZIONE
    from addin.workbook.report import etichetta_esito
    from macros_py.scripts import FOGLI_PROGRAMMA

    tmp = tmp_path_factory.mktemp("js")
    os.environ["RENDICONTA_SVILUPPO_LOCALE"] = "1"   # Verifica and Blocca without tokens, from 127.0.0.1
    os.environ["RENDICONTA_CHIAVE"] = KEY
    try:
        from xlwings_server.config import settings

        client = TestClient(crea_app(), client=("127.0.0.1", 50000))
        d = genera_demo(cfg, 1, 2026)
        path = tmp / "P1_2026.xlsx"
        cartella_compilata(cfg, 1, 2026, d.spese, d.cofinanziamento, d.budget).save(path)
        wb = load_workbook(path)
        book = book_json(wb, path.name, include=FOGLI_PROGRAMMA)
        oggi = dt.date.today()

        def post(name: str, body: dict) -> list[dict]:
            r = client.post(f"/xlwings/custom-scripts-call/{name}", json=body)
            assert r.status_code == 200, r.text
            return r.json()["actions"]

        from addin.registro import Registro

        # the oracle: the CLI, reading the same Comune's register as the server (decisions never from the file)
        res, _ = verifica_file(path, cfg, oggi, out=tmp / "report.xlsx", registro=Registro.apri())
        # closed windows of 2026 at today: Jan-Apr locks after 31/05, May-Aug after 30/09, Sep-Dec after 31/01
        closed = [(dt.date(2026, 1, 1), dt.date(2026, 4, 30), dt.date(2026, 5, 31)),
                  (dt.date(2026, 5, 1), dt.date(2026, 8, 31), dt.date(2026, 9, 30)),
                  (dt.date(2026, 9, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 31))]
        sealed = sorted(s.riga for s in res.cartella.spese
                        if (dd := data_decisiva(cfg, s)) and any(a <= dd <= b and oggi > lock for a, b, lock in closed))
        blocca = post("blocca", copy.deepcopy(book))
        dopo = applica_valori(book, blocca)
        cons = build_consolidation_template(cfg, 2026)
        cons_path = tmp / "Consolidato_2026.xlsx"
        cons.save(cons_path)
        files = [("files", (path.name, path.read_bytes(), "application/octet-stream"))]
        dati = client.post("/rendiconta/consolida", files=files).json()
        cons_book = book_json(load_workbook(cons_path), cons_path.name, include=["_meta"])
        # the page as served (its language, title and the overlay shown outside Excel)
        from xlwings_book import pagina

        p = pagina(client.get("/taskpane.html").text)
        # Verifica keeps the verbale PDF/A in the server's folder; without LibreOffice it says why
        os.environ["RENDICONTA_VERBALI"] = str(tmp / "verbali")
        (tmp / "verbali").mkdir()
        verifica = post("verifica", copy.deepcopy(book))
        path_env = os.environ["PATH"]
        os.environ["PATH"] = str(tmp / "senza-libreoffice")
        # Verifica again on a workbook that already holds the three sheets (the mock adds an older check's
        # content to them): no verbale either, F.verbali stays the first one
        wb_rep = load_workbook(path)
        for nome in ("Verifica", "Campione", "Osservazioni"):
            wb_rep.create_sheet(nome)
        book_rep = book_json(wb_rep, path.name, include=FOGLI_PROGRAMMA)
        try:
            verifica_senza_pdf = post("verifica", copy.deepcopy(book))
            verifica_ripetuta = post("verifica", copy.deepcopy(book_rep))
        finally:
            os.environ["PATH"] = path_env
        verbali = sorted(f.name for f in (tmp / "verbali").iterdir())
        data = {
            "pagina": {"lang": p.lang, "title": p.title, "overlay": " ".join(p.overlay.split())},
            "verbali": verbali,
            "verifica_senza_pdf": verifica_senza_pdf,
            "verifica_ripetuta": verifica_ripetuta,
            "programma_con_report": excel_state(wb_rep, book_rep),
            "config": settings.jsconfig,
            "opzioni": OPZIONI_PROTEZIONE,
            "programma": excel_state(wb, book),
            "programma_altra_password": excel_state(wb, book, {"Spese": "altra"}),
            "esiti": {str(e.riga): etichetta_esito(e.esito) for e in res.esiti},
            "ammessi": {str(e.riga): float(e.importo_ammesso) for e in res.esiti},
            "righe_sigillate": sealed,
            "valida": post("valida", copy.deepcopy(book)),
            "verifica": verifica,
            "blocca": blocca,
            "blocca_ripetuto": post("blocca", dopo),
            "consolidato": excel_state(load_workbook(cons_path), cons_book),
            "consolida": post("consolida", {**cons_book, "args": [dati]}),
            "ammesso_p1": float(res.totali["ammesso"]),
            # what the task pane's leggiFogli must send for the programme scripts: the values getBookData sent
            # for those sheets (tests/test_addin_blocchi.py: the server's actions are then the same), up to
            # the last cell with a value in the mock (its formula cells hold no computed value: Excel's used
            # range, which both read, would include them), and the rows of the template's tables, written
            # here by hand (Spese A3:AB1003, Cofinanziamento A3:H303, Budget A3:K28: addin/workbook/template.py)
            "griglie_programma": {s["name"]: taglia(s["values"]) for s in book["sheets"]
                                  if s["name"] in ("Spese", "Cofinanziamento", "Budget")},
            "tabelle_programma": {"Spese": [[3, 1003]], "Cofinanziamento": [[3, 303]], "Budget": [[3, 28]]},
        }
        # last, as they change the register that the checks above read: Registra decisioni (the officer
        # asks for documents on programme row 6, deadline in 30 days) and Risigilla
        from macros_py.scripts import FOGLI_DECISIONI
        from xlwings_book import foglio_verifica

        wb_dec = load_workbook(path)
        ws, cols, riga = foglio_verifica(wb_dec, verifica)
        ws.cell(riga(6), cols["Tipologia errore"]).value = "Richiesta integrazione"
        ws.cell(riga(6), cols["Commento del controllore"]).value = "copia del contratto"
        book_dec = book_json(wb_dec, path.name, include=FOGLI_DECISIONI)
        scadenza = (oggi + dt.timedelta(days=30)).strftime("%d/%m/%Y")
        decisioni_senza_scadenza = post("registra_decisioni", {**copy.deepcopy(book_dec), "args": [""]})
        decisioni = post("registra_decisioni", {**copy.deepcopy(book_dec), "args": [scadenza]})
        data.update({"decisioni": decisioni, "decisioni_senza_scadenza": decisioni_senza_scadenza,
                     "scadenza": scadenza,
                     "risigilla": post("risigilla", {**copy.deepcopy(dopo), "args": ["1", "fattura corretta"]})
                     if sealed else []})
    finally:
        os.environ.pop("RENDICONTA_SVILUPPO_LOCALE", None)
        os.environ.pop("RENDICONTA_VERBALI", None)
    out = tmp / "fixtures.json"
    out.write_text(json.dumps(data, default=str), encoding="utf-8")
    return {"file": out, "static": static_tree(tmp / "static" / "js")}


def test_add_in_javascript_in_node(fixtures):
    node_ready()
    env = dict(os.environ, ADDIN_STATIC=str(fixtures["static"]), ADDIN_FIXTURES=str(fixtures["file"]))
    done = subprocess.run(["node", "--test", "--test-reporter=spec", str(JS / "addin.test.mjs")], cwd=JS,
                          env=env, capture_output=True, text=True, timeout=600)
    print(done.stdout[-6000:])
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    assert "# fail 0" in done.stdout or "ℹ fail 0" in done.stdout
    assert "skipped 0" in done.stdout.replace("ℹ ", "") or "# skip 0" in done.stdout
