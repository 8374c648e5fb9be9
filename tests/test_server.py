"""The add-in through xlwings Server's real HTTP endpoints (FastAPI TestClient on the application
that `rendiconta serve` runs, addin.serve.crea_app): functions and scripts are ours, manifest and
task pane are served, the server is closed by default and enforces roles when authentication is on,
limits and malformed requests get Italian 4xx answers, the consolidation upload works end to end."""

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
from openpyxl import Workbook  # noqa: E402
import xlwings as xw  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from addin.casi.verifica import verifica_file  # noqa: E402
from addin.demo_data import cartella_compilata, genera_demo  # noqa: E402
from addin.workbook import schema  # noqa: E402
from xlwings_book import actions, book_json  # noqa: E402

RC = {"FINESTRA", "FINESTRA_CHIUSA", "SCADENZA_BLOCCO", "TRANCHE", "SCADENZA_TRANCHE", "COFIN_MINIMO",
      "COFIN_MANCANTE", "COFIN_QUOTA", "TARIFFA_VOLONTARI", "ESITO"}


@pytest.fixture(scope="module")
def client():
    from addin.serve import crea_app

    return TestClient(crea_app())


def fcall(name: str, *args) -> dict:
    return {"func_name": name, "args": [[[a]] for a in args], "caller_address": "Foglio1!A1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4", "culture_info_name": "it-IT",
            "date_format": "gg/mm/aaaa"}


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
    # 60% of 722,461.31 = 433,476.786 -> 433,476.79
    r = client.post("/xlwings/custom-functions-call", json=fcall("tranche", 722461.31, 1))
    assert r.status_code == 200 and r.json() == {"result": [[433476.79]]}


@pytest.mark.parametrize("args", [("18/03/2026x",), ("",), (0,), (True,), (3_000_000,)])
def test_function_errors_are_italian_4xx_never_500(client, args):
    r = client.post("/xlwings/custom-functions-call", json=fcall("finestra", *args))
    if args == ("",):
        assert r.status_code == 200 and r.json() == {"result": [[""]]}
        return
    # 400 is not in the add-in's retry codes (500, 502, 503, 504): Excel shows #VALUE! with this text
    assert r.status_code == 400 and "non è una data" in r.text


def test_function_errors_are_not_retried_by_the_add_in(client):
    from xlwings_server.config import settings

    assert 400 not in settings.custom_functions_retry_codes and 404 not in settings.custom_functions_retry_codes


def test_scripts_meta_and_roles(client):
    meta = {m["function_name"]: m for m in client.get("/xlwings/custom-scripts-meta").json()}
    assert set(meta) == {"valida", "verifica", "blocca", "risigilla", "registra_decisioni", "consolida"}
    assert meta["verifica"]["required_roles"] == meta["blocca"]["required_roles"] == ["comune"]
    assert meta["risigilla"]["required_roles"] == ["comune"]
    assert meta["registra_decisioni"]["required_roles"] == ["comune"]
    assert meta["registra_decisioni"]["include"] == "_meta,Verifica"   # not the expense rows (5 MB)
    assert meta["valida"]["required_roles"] is None and meta["consolida"]["required_roles"] is None
    for name in ("valida", "verifica", "blocca", "risigilla"):
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


def test_manifest_belongs_to_the_comune(client, monkeypatch):
    import re
    import struct
    from importlib.metadata import version

    from addin.serve import crea_app

    text = client.get("/manifest").text
    for upstream in ("xlwings.org", "xlwings-", "MyTab", "MyCommandsGroup", "MyTaskpaneButton", "ButtonId1",
                     "<Version>1.0.0.0</Version>"):
        assert upstream not in text, upstream
    assert f"<Version>{version('rendiconta')}.0</Version>" in text   # 0.1.0 -> 0.1.0.0
    assert "<ProviderName>Comune di Crema</ProviderName>" in text
    assert '<SupportUrl DefaultValue="https://www.comune.crema.cr.it" />' in text
    icons = re.findall(r'"https?://[^"]+/static/(images/icons/rendiconta-(\d+)\.png)"', text)
    assert {int(size) for _, size in icons} == {16, 32, 64, 80}
    for path, size in set(icons):
        png = client.get("/static/" + path)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png.content[16:24]) == (int(size), int(size))   # IHDR width, height
    monkeypatch.setenv("RENDICONTA_FORNITORE", "ATS Impronte Sociali 2.0")
    monkeypatch.setenv("RENDICONTA_URL_SUPPORTO", "https://example.org/aiuto")
    try:
        text = TestClient(crea_app()).get("/manifest").text
        assert "<ProviderName>ATS Impronte Sociali 2.0</ProviderName>" in text
        assert '<SupportUrl DefaultValue="https://example.org/aiuto" />' in text
    finally:
        monkeypatch.delenv("RENDICONTA_FORNITORE")
        monkeypatch.delenv("RENDICONTA_URL_SUPPORTO")
        crea_app()


def test_task_pane_loads_neither_htmx_nor_socket_io(client):
    html = client.get("/taskpane.html").text
    assert "htmx" not in html and "socket.io" not in html


def test_task_pane_in_italian_with_the_four_buttons(client):
    html = client.get("/taskpane.html").text
    for script in ("valida", "verifica", "blocca"):
        assert f'xw-click="{script}"' in html
    assert 'xw-click="registra_decisioni"' in html
    for label in (">Valida<", ">Verifica<", ">Blocca<", ">Registra decisioni<", ">Consolida<"):
        assert label in html
    assert "Partner" in html and "Comune di Crema" in html and "Capofila" in html
    js = client.get("/static/js/main.js").text
    assert "registerCallback(proteggiRighe)" in js and "registerCallback(formattaCelle)" in js
    assert "/rendiconta/consolida" in js and 'include: "_meta"' in js
    assert "ws.protection.protect(f.opzioni" in client.get("/static/js/rendiconta.js").text


def test_the_scripts_route_is_ours_and_encodes_off_the_event_loop(client):
    from xlwings_server.main import app

    matching = [r.name for r in app.router.routes if getattr(r, "path", "").endswith("/custom-scripts-call/{script_name}")]
    assert matching[0] == "script_rendiconta"


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


def _utenti(tmp_path, comune_role: str = "comune") -> Path:
    f = tmp_path / "utenti.json"
    users = [{"nome": "Partner Igea", "ruoli": ["partner"], "sha256": hashlib.sha256(b"codice-partner").hexdigest()},
             {"nome": "Ufficio Servizi Sociali", "ruoli": [comune_role],
              "sha256": hashlib.sha256(b"codice-comune").hexdigest()}]
    f.write_text(json.dumps({"utenti": users}), encoding="utf-8")
    return f


@pytest.fixture
def auth_on(monkeypatch, tmp_path):
    from xlwings_server.config import settings

    from addin.serve import controlla_configurazione
    from auth.custom import imposta_fonte

    monkeypatch.setattr(settings, "auth_providers", ["custom"])
    monkeypatch.setenv("RENDICONTA_UTENTI", str(_utenti(tmp_path)))
    monkeypatch.setenv("RENDICONTA_CHIAVE", "chiave-di-prova-del-comune-0123456789")
    controlla_configurazione()
    yield
    imposta_fonte(None)


def test_partner_calling_blocca_is_refused_when_auth_is_on(client, auth_on, programmi):
    book = _book(programmi[1])
    r = client.post("/xlwings/custom-scripts-call/blocca", json=copy.deepcopy(book),
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 403 and "«comune»" in r.json()["detail"] and "Partner Igea" in r.json()["detail"]
    r = client.post("/xlwings/custom-scripts-call/verifica", json=copy.deepcopy(book),
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 403 and "comune" in r.text
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


def test_blocca_and_verifica_over_http_are_acts_of_the_authenticated_officer(client, auth_on, programmi):
    """Through the real endpoints: Blocca records the SIGILLO acts, a second Blocca none (it protects
    again), Verifica its VERIFICA act; the author of each act is the user of the access code."""
    from addin.registro import Registro
    from addin.registro.atti import SIGILLO, VERIFICA

    comune = {"Authorization": "codice-comune"}
    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]), headers=comune)
    assert r.status_code == 200, r.text
    acts = Registro.apri().atti(1, 2026)
    assert [(a.tipo, a.dati["ambito"], a.autore) for a in acts] == [
        (SIGILLO, a, "Ufficio Servizi Sociali") for a in ("finestra1", "cofinanziamento1", "finestra2",
                                                          "cofinanziamento2")]
    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]), headers=comune)
    assert r.status_code == 200, r.text
    assert "runMacro" in [a["func"] for a in r.json()["actions"]]
    assert len(Registro.apri().atti(1, 2026)) == 4
    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(programmi[1]), headers=comune)
    assert r.status_code == 200, r.text
    last = Registro.apri().atti(1, 2026)[-1]
    assert (last.tipo, last.autore, last.dati["sigilli"]) == (VERIFICA, "Ufficio Servizi Sociali", "verificati")


def _verifica_con_decisione(client, path: Path, headers: dict) -> dict:
    """The officer's book after Verifica (through the endpoint) with a decision typed in the Verifica
    sheet's controller columns on programme row 6: what the task pane sends for Registra decisioni."""
    from openpyxl import load_workbook

    from macros_py.scripts import FOGLI_DECISIONI
    from tests.xlwings_book import foglio_verifica

    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(path), headers=headers)
    assert r.status_code == 200, r.text
    wb = load_workbook(path)
    ws, cols, riga = foglio_verifica(wb, r.json()["actions"])
    row6 = riga(6)
    ws.cell(row6, cols["Tipologia errore"]).value = "Spesa non pertinente"
    ws.cell(row6, cols["Commento del controllore"]).value = "fattura di un altro progetto"
    ws.cell(row6, cols["Importo decurtato"]).value = 70
    return book_json(wb, path.name, include=FOGLI_DECISIONI)


def test_registra_decisioni_over_http_is_an_act_of_the_authenticated_officer(client, auth_on, programmi):
    """The officer types a decision in the Verifica sheet and presses «Registra decisioni»: the register
    holds the DECISIONE act (row 6, not admitted for 70.00 typed by hand), authored by the code's user;
    a second press records nothing new."""
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE

    comune = {"Authorization": "codice-comune"}
    book = _verifica_con_decisione(client, programmi[1], comune)
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json=copy.deepcopy(book), headers=comune)
    assert r.status_code == 200, r.text
    [alert] = [a for a in r.json()["actions"] if a["func"] == "alert"]
    assert "Decisioni registrate nel registro del Comune: 1; già presenti: 0." in json.dumps(alert, ensure_ascii=False)
    [dec] = Registro.apri().atti(1, 2026, DECISIONE)
    assert (dec.dati["riga"], dec.dati["esito"], dec.dati["importo"], dec.autore) == \
        (6, "NON_AMMESSA", "70.00", "Ufficio Servizi Sociali")
    assert dec.dati["motivazione"] == "Spesa non pertinente: fattura di un altro progetto"
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json=book, headers=comune)
    assert r.status_code == 200, r.text
    assert len(Registro.apri().atti(1, 2026, DECISIONE)) == 1


def test_registra_decisioni_before_verifica_says_so_in_italian(client, auth_on, programmi):
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE
    from macros_py.scripts import FOGLI_DECISIONI
    from openpyxl import load_workbook

    book = book_json(load_workbook(programmi[1]), programmi[1].name, include=FOGLI_DECISIONI)
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json=book,
                    headers={"Authorization": "codice-comune"})
    assert r.status_code == 200, r.text
    [alert] = r.json()["actions"]
    assert alert["func"] == "alert" and alert["args"][0] == "eseguire prima Verifica: il foglio «Verifica» non c'è."
    assert alert["args"][1] == "Rendiconta: errore"
    assert Registro.apri().atti(1, 2026, DECISIONE) == []


def test_partner_calling_registra_decisioni_is_refused(client, auth_on, programmi):
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE

    book = _verifica_con_decisione(client, programmi[1], {"Authorization": "codice-comune"})
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json=book,
                    headers={"Authorization": "codice-partner"})
    assert r.status_code == 403 and "«comune»" in r.json()["detail"] and "Partner Igea" in r.json()["detail"]
    assert Registro.apri().atti(1, 2026, DECISIONE) == []


def test_closed_by_default_verifica_and_blocca_refused_without_auth(client, programmi, monkeypatch):
    from xlwings_server.config import settings

    assert not settings.auth_providers   # the shipped setting
    monkeypatch.setenv("RENDICONTA_CHIAVE", "chiave-di-prova-del-comune-0123456789")
    for name in ("blocca", "verifica"):
        r = client.post(f"/xlwings/custom-scripts-call/{name}", json=_book(programmi[1]))
        assert r.status_code == 403, r.text
        detail = r.json()["detail"]
        assert "XLWINGS_AUTH_PROVIDERS" in detail and "«comune»" in detail and "--sviluppo" in detail
    # Valida and the RC functions stay open
    r = client.post("/xlwings/custom-scripts-call/valida", json=_book(programmi[1]))
    assert r.status_code == 200 and r.json()["actions"][-1]["func"] == "alert"
    assert client.post("/xlwings/custom-functions-call", json=fcall("finestra", "02/05/2026")).json() == \
        {"result": [["2/2026"]]}


def test_local_development_mode_only_from_this_computer(programmi, monkeypatch):
    from addin.serve import crea_app

    monkeypatch.setenv("RENDICONTA_SVILUPPO_LOCALE", "1")
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    app = crea_app()
    local = TestClient(app, client=("127.0.0.1", 50123))
    r = local.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]))
    assert r.status_code == 200   # every role: Blocca runs (and explains the missing key)
    (alert,) = [a for a in r.json()["actions"] if a["func"] == "alert"]
    assert "RENDICONTA_CHIAVE" in alert["args"][0]
    for c, headers in ((("192.168.1.20", 50123), {}), (("127.0.0.1", 50123), {"X-Forwarded-For": "127.0.0.1"})):
        r = TestClient(app, client=c).post("/xlwings/custom-scripts-call/valida", json=_book(programmi[1]),
                                           headers=headers)
        assert r.status_code == 403 and "127.0.0.1" in r.json()["detail"]


def test_development_mode_refuses_a_public_address():
    from addin.errors import ErroreRendiconta
    from addin.serve import avvia

    with pytest.raises(ErroreRendiconta, match="solo su 127.0.0.1"):
        avvia("0.0.0.0", 8765, https=False, sviluppo=True)


def test_a_capitalised_role_stops_the_server_at_start_up(monkeypatch, tmp_path):
    from xlwings_server.config import settings

    from addin.ruoli import ErroreRuoli
    from addin.serve import controlla_configurazione
    from auth.custom import imposta_fonte

    monkeypatch.setattr(settings, "auth_providers", ["custom"])
    monkeypatch.setenv("RENDICONTA_UTENTI", str(_utenti(tmp_path, comune_role="Comune")))
    try:
        with pytest.raises(ErroreRuoli, match="ruolo «Comune» sconosciuto \\(forse «comune»\\?\\)"):
            controlla_configurazione()
        monkeypatch.delenv("RENDICONTA_UTENTI")
        with pytest.raises(ErroreRuoli, match="RENDICONTA_UTENTI"):
            controlla_configurazione()
        monkeypatch.setattr(settings, "auth_providers", ["ldap"])
        with pytest.raises(ErroreRuoli, match="fornitore «ldap» sconosciuto"):
            controlla_configurazione()
    finally:
        imposta_fonte(None)


# --- limits and malformed requests -----------------------------------------------------------------

def test_body_limit_applies_before_parsing_and_authentication(monkeypatch, auth_on):
    from addin.serve import crea_app

    monkeypatch.setenv("RENDICONTA_LIMITE_RICHIESTA_MB", "1")
    small = TestClient(crea_app())
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'   # 1 MiB + 9 bytes, no auth header
    r = small.post("/xlwings/custom-scripts-call/valida", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "RENDICONTA_LIMITE_RICHIESTA_MB" in r.json()["detail"]
    # streamed without Content-Length: counted while reading
    r = small.post("/xlwings/custom-scripts-call/valida", content=iter([big[:600_000], big[600_000:]]),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = small.post("/rendiconta/consolida", content=big, headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413
    # under the limit, the same request reaches authentication
    r = small.post("/xlwings/custom-scripts-call/valida", json=book_json(Workbook(), "Vuoto.xlsx"))
    assert r.status_code == 401


def test_the_default_limit_is_20_mb(monkeypatch):
    from addin.errors import ErroreRendiconta
    from addin.serve import limite_richiesta

    monkeypatch.delenv("RENDICONTA_LIMITE_RICHIESTA_MB", raising=False)
    assert limite_richiesta() == 20 * 1024 * 1024
    monkeypatch.setenv("RENDICONTA_LIMITE_RICHIESTA_MB", "tanti")
    with pytest.raises(ErroreRendiconta, match="RENDICONTA_LIMITE_RICHIESTA_MB"):
        limite_richiesta()


@pytest.mark.parametrize("cella,dove", [
    ({"type": "entity", "text": "Cartoleria"}, "riga 5, colonna C"),    # an object where Excel sends values
    ([1, 2], "riga 5, colonna C"),
])
def test_a_cell_that_is_not_a_value_gets_an_italian_400_naming_it(client, programmi, cella, dove):
    book = _book(programmi[1])
    spese = [s["name"] for s in book["sheets"]].index(schema.SPESE)
    book["sheets"][spese]["values"][4][2] = cella          # Excel row 5, column C
    r = client.post("/xlwings/custom-scripts-call/valida", json=book)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == (f"Dati della cartella non validi: foglio «Spese», {dove}: valore di cella non "
                                  "ammesso (solo testo, numeri, VERO/FALSO o vuoto). Aggiornare il componente "
                                  "aggiuntivo e riprovare.")


@pytest.mark.parametrize("path,body,code", [
    ("/xlwings/custom-scripts-call/cancella_tutto", {"book": {}, "sheets": []}, 404),
    ("/xlwings/custom-scripts-call/valida", b"{not json", 400),
    ("/xlwings/custom-scripts-call/valida", [1, 2], 400),
    ("/xlwings/custom-scripts-call/valida", {"book": {"name": "x"}}, 400),
    ("/xlwings/custom-scripts-call/valida", {"book": {}, "sheets": [{"name": "Spese"}]}, 400),
    ("/xlwings/custom-functions-call", b"{not json", 400),
    ("/xlwings/custom-functions-call", [1], 400),
    ("/xlwings/custom-functions-call", {"func_name": "finestra"}, 400),
    ("/xlwings/custom-functions-call", {**fcall("finestra", 1)} | {"func_name": "__class__"}, 404),
    ("/xlwings/custom-functions-call", {k: v for k, v in fcall("finestra", 1).items() if k != "version"}, 400),
])
def test_malformed_requests_get_italian_4xx(client, path, body, code):
    if isinstance(body, bytes):
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        r = client.post(path, json=body)
    assert r.status_code == code, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and any(w in detail for w in ("non valid", "sconosciuta", "non esiste")), detail


def test_consolida_upload_then_script(client, cfg, programmi, tmp_path):
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in programmi.values()]
    r = client.post("/rendiconta/consolida", files=files)
    assert r.status_code == 200, r.text
    dati = r.json()
    assert set(dati["fogli"]) >= {"Programmi", "Azioni", "Partner", "Anomalie", "Tranche", "Spese"}
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
    # the dashboard is refreshed too (the template's first sheet): each programme's admitted amount as
    # its own verifica's (the ATS row may differ from their sum: anomalies across programmes)
    assert "Cruscotto" in dati["fogli"]
    crus = names.index("Cruscotto")
    crows = [row for a in acts if a["func"] == "setValues" and a["sheet_position"] == crus for row in a["values"]]
    chead = next(i for i, row in enumerate(crows) if row[0] == "Programma")
    camm = crows[chead].index("Ammesso")
    assert str(crows[0][0]).startswith("Cruscotto 2026") and OGGI.strftime("%d/%m/%Y") in crows[0][0]
    by_code = {str(row[0]).strip(): row for row in crows[chead + 1:] if row and row[0] not in (None, "")}
    res2, _ = verifica_file(programmi[2], cfg, OGGI, out=tmp_path / "r2.xlsx", registro=Registro.apri())
    assert Decimal(str(by_code["P1"][camm])).quantize(Decimal("0.01")) == res.totali["ammesso"]
    assert Decimal(str(by_code["P2"][camm])).quantize(Decimal("0.01")) == res2.totali["ammesso"]
    assert Decimal(str(by_code["P3"][camm])) == 0          # not loaded
    assert any(a["func"] == "sheetClearContents" and a["sheet_position"] == crus for a in acts)
    assert any(a["func"] == "sheetClearContents" for a in acts)
    assert acts[-1]["func"] == "alert"


def test_consolida_names_the_uploads_by_file_name_never_by_a_server_path(client, programmi):
    import tempfile

    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in programmi.values()]
    files.append(("files", ("rotto.xlsx", b"non sono un file excel", "application/octet-stream")))
    r = client.post("/rendiconta/consolida", files=files)
    assert r.status_code == 200, r.text
    fogli = r.json()["fogli"]
    meta = {row[0]: row[1] for row in fogli["_meta"]["righe"] if row and row[0]}
    assert sorted(v for k, v in meta.items() if str(k).startswith("file.")) == sorted(p.name for p in programmi.values())
    anomalie = fogli["Anomalie"]["righe"]
    assert any("rotto.xlsx" in row for row in anomalie), anomalie
    testi = [v for f in fogli.values() for row in f["righe"] for v in row if isinstance(v, str)]
    assert not [t for t in testi if tempfile.gettempdir() in t or "rendiconta-" in t]


def test_consolida_rejects_non_xlsx(client):
    r = client.post("/rendiconta/consolida", files=[("files", ("note.txt", io.BytesIO(b"x"), "text/plain"))])
    assert r.status_code == 400 and "xlsx" in r.json()["detail"]


@pytest.mark.parametrize("name", ["main.js", "rendiconta.js", "auth.js", "ribbon.js"])
def test_task_pane_javascript_parses(name, tmp_path):
    import shutil
    import subprocess

    src = tmp_path / (Path(name).stem + ".mjs")   # ES module syntax, as the task pane loads them
    shutil.copy(SERVER_DIR / "static" / "js" / name, src)
    done = subprocess.run(["node", "--check", str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_comune_officers_act_on_the_programmes_the_register_assigns(client, auth_on, programmi):
    from addin.registro import Registro
    from addin.registro.atti import ANNO_PROGRAMMA, REFERENTI
    from addin.serve import controlla_configurazione

    headers = {"Authorization": "codice-comune"}
    # no REFERENTI act yet: every officer works on every programme (checked in the test above)
    reg = Registro.apri()
    reg.registra(2, ANNO_PROGRAMMA, REFERENTI, {"referenti": [{"nome": "Ufficio Servizi Sociali"}]})
    controlla_configurazione()   # a fresh source (the assignments are cached for a minute)
    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(programmi[1]), headers=headers)
    assert r.status_code == 403, r.text
    assert "programma 1 non è assegnato" in r.json()["detail"] and "assegnati: 2" in r.json()["detail"]
    assert client.post("/xlwings/custom-scripts-call/verifica", json=_book(programmi[2]),
                       headers=headers).status_code == 200
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json=_book(programmi[1]), headers=headers)
    assert r.status_code == 403 and "programma 1 non è assegnato" in r.json()["detail"]
    # the latest act is the current list: programme 1 now lists the officer (by e-mail would do too)
    reg.registra(1, ANNO_PROGRAMMA, REFERENTI, {"referenti": [{"nome": "Altro"}, {"nome": "ufficio servizi sociali"}]})
    controlla_configurazione()
    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]), headers=headers)
    assert r.status_code == 200, r.text


def test_the_closed_user_model_is_used_whatever_is_imported_first(tmp_path):
    """Importing the scripts before the server (a benchmark, a shell) must not fall back to xlwings
    Server's own user model, which would refuse Verifica with an English 400 even in development."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_PROJECT_DIR", "DOTENV_PATH")}
    code = "import macros_py.scripts; import xlwings_server.models as m; print(m.User.__module__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "models.user", done.stderr[-2000:]
