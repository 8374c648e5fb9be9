"""The add-in through xlwings Server's real HTTP endpoints (FastAPI TestClient on the project in
addin/server): functions and scripts are ours, manifest and task pane are served, roles are enforced
when authentication is on, and the consolidation upload route works end to end."""

from __future__ import annotations

import os
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parents[1] / "addin" / "server"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_DIR)
os.environ["DOTENV_PATH"] = str(SERVER_DIR / "nonexistent.env")   # tests ignore a developer's .env

import copy  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from addin.casi.verifica import verifica_file  # noqa: E402
from addin.demo_data import cartella_compilata, genera_demo  # noqa: E402
from addin.workbook import schema  # noqa: E402
from xlwings_book import actions, book_json  # noqa: E402

RC = {"FINESTRA", "FINESTRA_CHIUSA", "SCADENZA_BLOCCO", "TRANCHE", "SCADENZA_TRANCHE", "COFIN_MINIMO",
      "COFIN_QUOTA", "TARIFFA_VOLONTARI", "ESITO"}


@pytest.fixture(scope="module")
def client():
    from xlwings_server.main import main_app

    return TestClient(main_app)


# the server's scripts check at today's date (xlbridge.today): the tests fix it. On 15/10/2026 windows 1 and
# 2 of 2026 are closed (locks 31/05 and 30/09), window 3 is open (locks 31/01/2027).
OGGI = dt.date(2026, 10, 15)


@pytest.fixture(autouse=True)
def _oggi(monkeypatch):
    from addin import xlbridge

    monkeypatch.setattr(xlbridge, "today", lambda: OGGI)


@pytest.fixture(scope="module")
def programmi(cfg, tmp_path_factory):
    folder = tmp_path_factory.mktemp("programmi")
    out = {}
    for p, seed in ((1, 11), (2, 22)):
        d = genera_demo(cfg, p, 2026, seed)
        path = folder / f"P{p}_2026.xlsx"
        cartella_compilata(cfg, p, 2026, d.spese, d.cofinanziamento, d.budget).save(path)
        out[p] = path
    return out


def _book(path: Path) -> dict:
    """What the task pane sends for the programme scripts: only the sheets they declare."""
    from openpyxl import load_workbook

    from macros_py.scripts import FOGLI_PROGRAMMA

    return book_json(load_workbook(path), path.name, include=FOGLI_PROGRAMMA)


def test_the_loaded_modules_are_ours_not_the_bundled_examples():
    import xlwings_server.routers.xlwings as xr

    import macros_py.functions
    import macros_py.scripts

    assert Path(xr.custom_functions.__file__).parent == SERVER_DIR / "custom_functions"
    assert Path(xr.custom_scripts.__file__).parent == SERVER_DIR / "custom_scripts"
    assert xr.custom_functions.finestra is macros_py.functions.finestra
    assert xr.custom_scripts.blocca is macros_py.scripts.blocca
    assert not hasattr(xr.custom_functions, "hello")


def test_functions_meta_lists_every_rc_function(client):
    meta = client.get("/xlwings/custom-functions-meta").json()
    assert {f["name"] for f in meta["functions"]} == RC
    esito = next(f for f in meta["functions"] if f["name"] == "ESITO")
    assert esito["description"].startswith("Esito e motivi")
    chiusa = next(f for f in meta["functions"] if f["name"] == "FINESTRA_CHIUSA")
    assert [p.get("optional", False) for p in chiusa["parameters"]] == [False, True]


def test_function_call_over_http(client):
    body = {"func_name": "tranche", "args": [[[722461.31]], [[1]]], "caller_address": "Foglio1!A1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4", "culture_info_name": "it-IT",
            "date_format": "gg/mm/aaaa"}
    r = client.post("/xlwings/custom-functions-call", json=body)
    assert r.status_code == 200 and r.json() == {"result": [[433476.79]]}


def test_scripts_meta_and_roles(client):
    meta = {m["function_name"]: m for m in client.get("/xlwings/custom-scripts-meta").json()}
    assert set(meta) == {"valida", "verifica", "blocca", "consolida"}
    assert meta["verifica"]["required_roles"] == meta["blocca"]["required_roles"] == ["comune"]
    assert meta["valida"]["required_roles"] is None and meta["consolida"]["required_roles"] is None
    for name in ("valida", "verifica", "blocca"):
        assert meta[name]["include"] == "Spese,Cofinanziamento,Budget,_meta"
    assert meta["consolida"]["include"] == "_meta"


def test_manifest_names_the_rc_namespace_and_the_task_pane(client):
    text = client.get("/manifest").text
    assert '<bt:String id="Functions.Namespace" DefaultValue="RC" />' in text
    assert "<DefaultLocale>it-IT</DefaultLocale>" in text and "Rendiconta Crema" in text
    assert "/taskpane.html" in text and "custom-functions-meta.json" in text
    assert "hello-ribbon" not in text
    import xml.dom.minidom

    xml.dom.minidom.parseString(text)   # well-formed


def test_task_pane_in_italian_with_the_four_buttons(client):
    html = client.get("/taskpane.html").text
    for script in ("valida", "verifica", "blocca"):
        assert f'xw-click="{script}"' in html
    for label in (">Valida<", ">Verifica<", ">Blocca<", ">Consolida<"):
        assert label in html
    assert "Partner" in html and "Comune di Crema" in html and "Capofila" in html
    js = client.get("/static/js/main.js").text
    assert "registerCallback(proteggiRighe)" in js and "ws.protection.protect(" in js
    assert "/rendiconta/consolida" in js


def test_valida_over_http_equals_the_cli(client, cfg, programmi):
    book = _book(programmi[1])
    r = client.post("/xlwings/custom-scripts-call/valida", json=book)
    assert r.status_code == 200, r.text
    acts = r.json()["actions"]
    spese = [s["name"] for s in book["sheets"]].index(schema.SPESE)
    col = [c.key for c in schema.SPESE_COLS].index("esito")
    (values,) = [a for a in acts if a["func"] == "setValues" and a["sheet_position"] == spese]
    assert values["start_column"] == col
    from addin.registro import Registro

    # the server reads the Comune's register (decisions never from the file): the CLI with the same one
    res, _ = verifica_file(programmi[1], cfg, OGGI, out=programmi[1].with_name("r1.xlsx"),
                           registro=Registro.apri())
    written = {values["start_row"] + 1 + i: v for i, v in enumerate(values["values"])}
    from addin.workbook.report import etichetta_esito

    for e in res.esiti:
        assert written[e.riga][0] == etichetta_esito(e.esito)
        assert Decimal(str(written[e.riga][1])).quantize(Decimal("0.01")) == e.importo_ammesso
    assert [a["func"] for a in acts] == ["setValues", "alert"]


def _utenti(tmp_path) -> Path:
    f = tmp_path / "utenti.json"
    users = [{"nome": "Partner Igea", "ruoli": ["partner"], "sha256": hashlib.sha256(b"codice-partner").hexdigest()},
             {"nome": "Ufficio Servizi Sociali", "ruoli": ["comune"],
              "sha256": hashlib.sha256(b"codice-comune").hexdigest()}]
    f.write_text(json.dumps({"utenti": users}), encoding="utf-8")
    return f


@pytest.fixture
def auth_on(monkeypatch, tmp_path):
    from xlwings_server.config import settings

    monkeypatch.setattr(settings, "auth_providers", ["custom"])
    monkeypatch.setenv("RENDICONTA_UTENTI", str(_utenti(tmp_path)))
    monkeypatch.setenv("RENDICONTA_CHIAVE", "chiave-di-prova-del-comune-0123456789")


def test_partner_calling_blocca_is_refused_when_auth_is_on(client, auth_on, programmi):
    book = _book(programmi[1])
    r = client.post("/xlwings/custom-scripts-call/blocca", json=copy.deepcopy(book),
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 400 and "Access Denied" in r.text and "comune" in r.text
    r = client.post("/xlwings/custom-scripts-call/verifica", json=copy.deepcopy(book),
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 400 and "comune" in r.text
    # the partner may validate; nobody without a valid code may do anything
    r = client.post("/xlwings/custom-scripts-call/valida", json=copy.deepcopy(book),
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 200 and any(a["func"] == "alert" for a in r.json()["actions"])
    r = client.post("/xlwings/custom-scripts-call/valida", json=copy.deepcopy(book),
                    headers={"Authorization": "sbagliato"})
    assert r.status_code == 401


def test_comune_may_blocca_when_auth_is_on(client, auth_on, programmi):
    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]),
                    headers={"Authorization": "codice-comune"})
    assert r.status_code == 200, r.text
    funcs = [a["func"] for a in r.json()["actions"]]
    assert funcs[-1] == "alert"
    assert "runMacro" in funcs   # windows 1 and 2 closed on OGGI: seal and protect


def test_roles_are_not_enforced_when_auth_is_off(client, programmi, monkeypatch):
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]))
    assert r.status_code == 200
    (alert,) = [a for a in r.json()["actions"] if a["func"] == "alert"]
    assert "RENDICONTA_CHIAVE" in alert["args"][0]


def test_consolida_upload_then_script(client, cfg, programmi, tmp_path):
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in programmi.values()]
    r = client.post("/rendiconta/consolida", files=files)
    assert r.status_code == 200, r.text
    dati = r.json()
    assert set(dati["fogli"]) >= {"Programmi", "Azioni", "Partner", "Anomalie", "Spese"}
    assert "2 cartelle di programma" in dati["riepilogo"]
    # into the consolidation workbook of the year
    from addin.casi.consolida import build_consolidation_template

    book = book_json(build_consolidation_template(cfg, 2026), "Consolidato_2026.xlsx", include=["_meta"])
    book["args"] = [dati]
    r = client.post("/xlwings/custom-scripts-call/consolida", json=book)
    assert r.status_code == 200, r.text
    acts = r.json()["actions"]
    names = [s["name"] for s in book["sheets"]]
    prog = names.index("Programmi")
    rows = [row for a in acts if a["func"] == "setValues" and a["sheet_position"] == prog for row in a["values"]]
    head = next(i for i, row in enumerate(rows) if row[0] == "Programma")
    amm = rows[head].index("Ammesso")
    from addin.registro import Registro

    res, _ = verifica_file(programmi[1], cfg, OGGI, out=tmp_path / "r.xlsx", registro=Registro.apri())
    (p1,) = [row for row in rows[head + 1:] if str(row[0]).strip() in ("1", "P1", "1.0")]
    assert Decimal(str(p1[amm])).quantize(Decimal("0.01")) == res.totali["ammesso"]
    assert any(a["func"] == "sheetClearContents" for a in acts)
    assert acts[-1]["func"] == "alert"


def test_consolida_rejects_non_xlsx(client):
    r = client.post("/rendiconta/consolida", files=[("files", ("note.txt", io.BytesIO(b"x"), "text/plain"))])
    assert r.status_code == 400 and "xlsx" in r.json()["detail"]


@pytest.mark.skipif(not __import__("shutil").which("node"), reason="needs node for the syntax check")
@pytest.mark.parametrize("name", ["main.js", "auth.js", "ribbon.js"])
def test_task_pane_javascript_parses(name, tmp_path):
    import shutil
    import subprocess

    src = tmp_path / (Path(name).stem + ".mjs")   # ES module syntax, as the task pane loads them
    shutil.copy(SERVER_DIR / "static" / "js" / name, src)
    done = subprocess.run(["node", "--check", str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
