"""The large sheets read by the task pane in blocks of rows and sent as the scripts' last argument
(static/js/rendiconta.js, leggiFogli; docs/addin.md, «Limite di Excel per il web»), through the real
endpoints: a request carrying only `_meta` as xlwings' book data plus the grids as argument gives the
same actions as the earlier request with every sheet in the book data (Valida, Verifica, Blocca,
Risigilla, Registra decisioni); a workbook sealed through the earlier request verifies intact through
the new one; malformed grids are refused in Italian before any work; roles still come first.

The grids are what getBookData sends for those sheets (tests/xlwings_book.book_json: dates as ISO text),
which is what leggiFogli sends too: it applies xlwings' own date conversion to each block
(tests/js/addin.test.mjs proves the blocks against the mock)."""

from __future__ import annotations

import os
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parents[1] / "addin" / "server"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_DIR)
os.environ["DOTENV_PATH"] = str(SERVER_DIR / "nonexistent.env")

import copy  # noqa: E402
import datetime as dt  # noqa: E402
import pickle  # noqa: E402

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from xlwings_book import applica_valori, book_json, foglio_verifica  # noqa: E402

# windows 1 and 2 of 2026 closed (locks 31/05 and 30/09), window 3 open: Blocca seals rows
OGGI = dt.date(2026, 10, 15)
CHIAVE = "chiave-di-prova-del-comune-0123456789"
GRANDI = ["Spese", "Cofinanziamento", "Budget"]


@pytest.fixture(autouse=True)
def _ambiente(monkeypatch, tmp_path):
    from addin import xlbridge

    monkeypatch.setattr(xlbridge, "today", lambda: OGGI)
    monkeypatch.setenv("RENDICONTA_SVILUPPO_LOCALE", "1")   # every role, from 127.0.0.1 only
    monkeypatch.setenv("RENDICONTA_CHIAVE", CHIAVE)
    monkeypatch.setenv("RENDICONTA_VERBALI", str(tmp_path / "verbali"))
    monkeypatch.setenv("PATH", str(tmp_path / "senza-libreoffice"))   # Verifica without the PDF: faster
    (tmp_path / "verbali").mkdir()


@pytest.fixture(scope="module")
def cartella(cfg, tmp_path_factory):
    from openpyxl import load_workbook

    from addin.demo_data import cartella_compilata, genera_demo

    d = genera_demo(cfg, 1, 2026)
    path = tmp_path_factory.mktemp("blocchi") / "P1_2026.xlsx"
    cartella_compilata(cfg, 1, 2026, d.spese, d.cofinanziamento, d.budget).save(path)
    wb = load_workbook(path)
    wb.path = path
    return wb


@pytest.fixture
def client():
    from addin.serve import crea_app

    return TestClient(crea_app(), client=("127.0.0.1", 50000))


def vecchia(wb, fogli=("Spese", "Cofinanziamento", "Budget", "_meta")) -> dict:
    """The earlier request: xlwings sends the values of every sheet the script declares."""
    return book_json(wb, "P1_2026.xlsx", include=list(fogli))


def nuova(book: dict, wb, grandi=GRANDI, args: list | None = None) -> dict:
    """The same state as the task pane now sends it: xlwings' book data with only `_meta`, the large
    sheets' values (as getBookData would have sent them) and their tables' rows as the last argument."""
    out = copy.deepcopy(book)
    griglie, tabelle = {}, {}
    for s in out["sheets"]:
        if s["name"] in grandi and s["values"] != [[]]:
            griglie[s["name"]] = s["values"]
            ws = wb[s["name"]] if s["name"] in wb.sheetnames else None
            if ws is not None:
                tabelle[s["name"]] = [[int(t.ref.split(":")[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
                                       int(t.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
                                      for t in ws.tables.values()]
        if s["name"] != "_meta":
            s["values"] = [[]]
            s["tables"] = []
            s["used_range_address"], s["used_range_row_count"], s["used_range_column_count"] = None, 0, 0
    out["args"] = [*(args or []), {"griglie": griglie, "tabelle": tabelle}]
    return out


def post(client, name: str, body: dict) -> list[dict]:
    r = client.post(f"/xlwings/custom-scripts-call/{name}", json=body)
    assert r.status_code == 200, r.text
    return r.json()["actions"]


def nuovo_registro(monkeypatch, tmp_path, nome: str) -> None:
    from addin.registro import connessione

    connessione.chiudi_motori()
    monkeypatch.setenv("RENDICONTA_REGISTRO", f"sqlite:///{tmp_path}/{nome}.sqlite")


def test_valida_with_the_grids_as_argument_gives_the_same_actions(client, cartella):
    book = vecchia(cartella)
    prima = post(client, "valida", copy.deepcopy(book))
    assert [a for a in prima if a["func"] == "setValues"], "Valida writes the outcomes"
    assert post(client, "valida", nuova(book, cartella)) == prima


def test_verifica_with_the_grids_gives_the_same_sheets_and_data_hash(client, cartella, monkeypatch, tmp_path):
    """Two registers, one per request: the same check, the same act (its data hash: the same grids)."""
    from addin.registro import Registro
    from addin.registro.atti import VERIFICA

    book = vecchia(cartella)
    dati = {}
    for nome, corpo in (("vecchia", copy.deepcopy(book)), ("nuova", nuova(book, cartella))):
        nuovo_registro(monkeypatch, tmp_path, nome)
        dati[nome] = (post(client, "verifica", corpo),
                      [a.dati["sha256_dati"] for a in Registro.apri().atti(1, 2026) if a.tipo == VERIFICA])
    assert dati["nuova"][0] == dati["vecchia"][0]
    assert dati["nuova"][1] == dati["vecchia"][1] and len(dati["nuova"][1]) == 1


def test_blocca_with_the_grids_seals_and_protects_as_before(client, cartella, monkeypatch, tmp_path):
    """The protection reaches the end of the template's tables (Spese A3:AB1003, Cofinanziamento A3:H303)
    although the book data carries neither the sheets' values nor their tables."""
    book = vecchia(cartella)
    out = {}
    for nome, corpo in (("vecchia", copy.deepcopy(book)), ("nuova", nuova(book, cartella))):
        nuovo_registro(monkeypatch, tmp_path, nome)
        out[nome] = post(client, "blocca", corpo)
    assert out["nuova"] == out["vecchia"]
    [protezione] = [a for a in out["nuova"] if a["func"] == "runMacro" and a["args"][0] == "proteggiRighe"]
    fogli = {f["foglio"]: f for f in protezione["args"][1]}
    assert fogli["Spese"]["sbloccate"][0].endswith("1003") and fogli["Cofinanziamento"]["sbloccate"][0].endswith("303")
    assert fogli["Spese"]["bloccate"], "closed windows: rows locked"


def test_a_workbook_sealed_before_verifies_intact_with_the_grids(client, cartella, monkeypatch, tmp_path):
    """Blocca through the earlier request (seals in the register and in `_meta`), then Valida and Risigilla
    through the new one: the seal canonical texts come from the same parsed values, so the outcomes are
    those of the earlier request and no row reads as changed after the lock."""
    nuovo_registro(monkeypatch, tmp_path, "sigillata")
    book = vecchia(cartella)
    sigillata = applica_valori(book, post(client, "blocca", copy.deepcopy(book)))
    prima = post(client, "valida", copy.deepcopy(sigillata))
    dopo = post(client, "valida", nuova(sigillata, cartella))
    assert dopo == prima
    [avviso] = [a for a in dopo if a["func"] == "alert"]
    assert "modificat" not in avviso["args"][0]
    # the same with the register left aside (the copies in `_meta`): verifica --senza-registro reads them
    rif = post(client, "risigilla", nuova(sigillata, cartella, args=["1", "fattura corretta"]))
    [avviso] = [a for a in rif if a["func"] == "alert"]
    assert avviso["args"][1] == "Risigilla" and "sigillo rifatto: fattura corretta" in avviso["args"][0]


def test_registra_decisioni_reads_the_verifica_sheet_from_the_argument(client, cartella, monkeypatch, tmp_path):
    from openpyxl import load_workbook

    from macros_py.scripts import FOGLI_DECISIONI

    nuovo_registro(monkeypatch, tmp_path, "decisioni")
    acts = post(client, "verifica", vecchia(cartella))
    wb = load_workbook(cartella.path)
    ws, cols, riga = foglio_verifica(wb, acts)
    ws.cell(riga(6), cols["Tipologia errore"]).value = "Richiesta integrazione"
    ws.cell(riga(6), cols["Commento del controllore"]).value = "copia del contratto"
    scadenza = (OGGI + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    book = vecchia(wb, FOGLI_DECISIONI)
    corpo = nuova(book, wb, grandi=["Verifica"], args=[scadenza])
    assert set(corpo["args"][1]["griglie"]) == {"Verifica"}
    [avviso] = [a for a in post(client, "registra_decisioni", corpo) if a["func"] == "alert"]
    assert avviso["args"][1] == "Decisioni" and "Decisioni registrate nel registro del Comune: 1" in avviso["args"][0]
    # the earlier request (every sheet in the book data) finds the same decision already recorded
    [avviso] = [a for a in post(client, "registra_decisioni", {**book, "args": [scadenza]}) if a["func"] == "alert"]
    assert "Decisioni registrate nel registro del Comune: 0; già presenti: 1" in avviso["args"][0]
    # no Verifica among the grids: the sheet is not there
    vuoto = nuova(book, wb, grandi=[], args=[scadenza])
    [avviso] = [a for a in post(client, "registra_decisioni", vuoto) if a["func"] == "alert"]
    assert "eseguire prima Verifica" in avviso["args"][0]


@pytest.mark.parametrize("fogli, testo", [
    ("Spese", "dati dei fogli inviati dal riquadro non validi"),
    ({"griglie": []}, "dati dei fogli inviati dal riquadro non validi"),
    ({"griglie": {}, "altro": 1}, "dati dei fogli inviati dal riquadro non validi"),
    ({"griglie": {"Foglio1": [["x"]]}}, "il riquadro ha inviato il foglio «Foglio1», che questo pulsante non legge"),
    ({"griglie": {"_meta": [["programma", 1]]}}, "il riquadro ha inviato il foglio «_meta»"),
    ({"griglie": {"Spese": [["a"], "b"]}}, "foglio «Spese»: valori del foglio inviati dal riquadro non validi"),
    ({"griglie": {"Spese": [[{"formula": "=1"}]]}}, "foglio «Spese»: valori del foglio"),
    ({"griglie": {"Spese": [["a"]]}, "tabelle": {"Spese": [[0, 3]]}}, "foglio «Spese»: righe delle tabelle"),
    ({"griglie": {"Spese": [["a"]]}, "tabelle": {"Spese": [[5, 3]]}}, "foglio «Spese»: righe delle tabelle"),
    ({"griglie": {"Spese": [["a"]]}, "tabelle": {"Spese": [[3, True]]}}, "foglio «Spese»: righe delle tabelle"),
])
def test_malformed_grids_are_refused_in_italian_before_any_work(client, cartella, fogli, testo, monkeypatch):
    from addin import processi

    def mai(*a, **k):
        raise AssertionError("dispatched")

    monkeypatch.setattr("macros_py.scripts.esegui", mai)
    assert processi   # the dispatch is macros_py.scripts.esegui (addin.processi.esegui)
    body = {**vecchia(cartella, ["_meta"]), "args": [fogli]}
    for name in ("valida", "verifica", "blocca"):
        r = client.post(f"/xlwings/custom-scripts-call/{name}", json=body)
        assert r.status_code == 400, (name, r.text)
        assert testo in r.json()["detail"], r.json()["detail"]
        assert "aggiornare il componente aggiuntivo" in r.json()["detail"]
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json={**body, "args": ["", fogli]})
    assert r.status_code == 400 and "aggiornare il componente aggiuntivo" in r.json()["detail"]


def test_the_verifica_sheet_is_refused_to_valida_and_spese_to_registra_decisioni(client, cartella):
    body = vecchia(cartella, ["_meta"])
    r = client.post("/xlwings/custom-scripts-call/valida", json={**body, "args": [{"griglie": {"Verifica": [[]]}}]})
    assert r.status_code == 400 and "«Verifica»" in r.json()["detail"]
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni",
                    json={**body, "args": ["", {"griglie": {"Spese": [[]]}}]})
    assert r.status_code == 400 and "«Spese»" in r.json()["detail"] and "fogli previsti: Verifica" in r.json()["detail"]


def test_roles_come_before_the_grids(cartella, monkeypatch):
    """Without the local development mode the server is closed: Verifica is refused (403) whatever the
    grids, before they are looked at."""
    from addin.serve import crea_app

    monkeypatch.delenv("RENDICONTA_SVILUPPO_LOCALE")
    client = TestClient(crea_app(), client=("127.0.0.1", 50000))
    body = {**vecchia(cartella, ["_meta"]), "args": [{"griglie": {"Foglio1": [["x"]]}}]}
    r = client.post("/xlwings/custom-scripts-call/verifica", json=body)
    assert r.status_code == 403, r.text


def test_the_checked_grids_travel_to_a_worker_process():
    """The scripts' work runs in worker processes (addin.processi): the checked argument pickles."""
    from addin import xlbridge

    v = xlbridge.fogli_inviati({"griglie": {"Spese": [["a", 1, 2.5, True, None]]}, "tabelle": {"Spese": [[3, 1003]]}},
                               xlbridge.FOGLI_DAL_RIQUADRO)
    assert pickle.loads(pickle.dumps(v)) == v
    assert v.tabelle == {"Spese": [(3, 1003)]}
    assert xlbridge.fogli_inviati(None, xlbridge.FOGLI_DAL_RIQUADRO) is None   # an earlier task pane


def test_the_task_pane_reads_the_sheets_the_server_accepts():
    """main.js names, per button, the sheets it reads in blocks: the ones xlbridge accepts from it."""
    import json
    import re

    from addin import xlbridge

    js = (SERVER_DIR / "static" / "js" / "main.js").read_text(encoding="utf-8")
    programma = json.loads(re.search(r"const FOGLI_PROGRAMMA = (\[[^\]]*\]);", js).group(1))
    assert programma == xlbridge.FOGLI_DAL_RIQUADRO
    decisioni = json.loads(re.search(r"registra_decisioni: (\[[^\]]*\]),", js).group(1))
    assert decisioni == xlbridge.FOGLI_DAL_RIQUADRO_DECISIONI
    for script in ("valida", "verifica", "blocca", "risigilla"):
        assert re.search(rf"\b{script}: FOGLI_PROGRAMMA,", js), script
