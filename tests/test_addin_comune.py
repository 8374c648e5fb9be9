"""The Comune's task pane through the real endpoints (TestClient on addin.serve.crea_app) and the
register (SQLite): the page served in Italian, the verbale PDF/A of Verifica kept on the server and
downloaded through an authenticated route, the deadline of the requests for documents typed in the
pane, «Risigilla finestra». Fixtures and helpers are those of tests/test_server.py."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from tests.libreoffice import estrai_testo_pdf, richiede_libreoffice, richiede_poppler
from tests.test_server import _book, _oggi, auth_on, client, programmi  # noqa: F401 (fixtures)
from tests.xlwings_book import actions, book_json, pagina

COMUNE = {"Authorization": "codice-comune"}
PARTNER = {"Authorization": "codice-partner"}


# --- the page ------------------------------------------------------------------------------------------

def test_the_served_page_is_italian_before_any_script_runs(client):
    html = client.get("/taskpane.html").text
    p = pagina(html)
    assert p.lang == "it"
    assert p.title == "Rendiconta - Comune di Crema"
    text = " ".join(p.overlay.split())
    assert "funziona solo dentro Excel" in text and "Ricarica" in text and "Annulla" in text
    for english in ("didn't load", ">Reload<", ">Cancel<", "Task pane", 'lang="en"', 'aria-label="Close"'):
        assert english not in html, english


def test_the_comune_inputs_are_in_the_page(client):
    html = client.get("/taskpane.html").text
    assert 'id="scadenza-integrazioni"' in html and 'placeholder="gg/mm/aaaa"' in html
    assert 'x-bind:xw-args="argomentiDecisioni"' in html
    assert 'xw-click="risigilla"' in html and 'x-bind:xw-args="argomentiRisigilla"' in html
    assert 'id="risigilla-motivo"' in html and ">Risigilla finestra<" in html
    # one choice per window of the configuration (three a year: Jan-Apr, May-Aug, Sep-Dec) and co-financing
    assert [v for v in ("1", "2", "3", "4", "cofinanziamento") if f'<option value="{v}">' in html] == \
        ["1", "2", "3", "cofinanziamento"]
    assert 'id="verbale-scarica"' in html


# --- the verbale of Verifica ------------------------------------------------------------------------

def _impronta_inviata(book: dict) -> str:
    """SHA-256 of what the task pane sent for Verifica: the included sheets' values, as canonical JSON
    by sheet name (the sheets not included travel without values and are not read)."""
    sent = {s["name"]: s["values"] for s in book["sheets"] if s["name"] in ("Spese", "Cofinanziamento", "Budget", "_meta")}
    text = json.dumps({k: sent[k] for k in sorted(sent)}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@richiede_libreoffice
@richiede_poppler
def test_verifica_writes_the_verbale_that_the_officer_downloads(client, auth_on, programmi, monkeypatch, tmp_path):
    from addin.registro import Registro
    from addin.registro.atti import VERIFICA

    folder = tmp_path / "verbali"
    folder.mkdir()
    monkeypatch.setenv("RENDICONTA_VERBALI", str(folder))
    book = _book(programmi[1])
    r = client.post("/xlwings/custom-scripts-call/verifica", json=copy.deepcopy(book), headers=COMUNE)
    assert r.status_code == 200, r.text
    acts = r.json()["actions"]
    assert len(acts) <= 10, [a["func"] for a in acts]
    [call] = [a for a in acts if a["func"] == "runMacro" and a["args"][0] == "formattaCelle"]
    digest = _impronta_inviata(book)
    # programme 1, year 2026, reference date 15/10/2026, first 12 hex digits of the data's SHA-256
    nome = f"verbale_P1_2026_20261015_{digest[:12]}.pdf"
    assert call["args"][2] == {"verbale": {"nome": nome, "problema": ""}}
    [alert] = actions(r.json(), "alert")
    assert "Verbale PDF/A pronto" in alert["args"][0]
    pdf = folder / nome
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    text = estrai_testo_pdf(pdf)
    flat = " ".join(text.split())
    assert "Verbale di verifica del rendiconto" in flat and "programma 1" in flat and "anno 2026" in flat
    assert digest in text.replace(" ", "").replace("\n", "")
    assert "Impronta SHA-256 dei dati verificati" in flat
    # the register's VERIFICA act names the verbale and holds its SHA-256 and the data's
    [act] = Registro.apri().atti(1, 2026, VERIFICA)
    assert act.dati["verbale"] == nome and act.dati["sha256_dati"] == digest
    assert act.dati["sha256_report"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert act.autore == "Ufficio Servizi Sociali"

    # the download: the officer gets the very bytes; a partner, a made-up or traversing name get 404
    got = client.get(f"/rendiconta/verbale/{nome}", headers=COMUNE)
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.content == pdf.read_bytes() and nome in got.headers["content-disposition"]
    assert client.get(f"/rendiconta/verbale/{nome}", headers=PARTNER).status_code == 404
    for other in ("verbale_P1_2026_20261015_000000000000.pdf", "..%2Fregistro.sqlite", "registro.sqlite"):
        assert client.get(f"/rendiconta/verbale/{other}", headers=COMUNE).status_code == 404
    assert client.get(f"/rendiconta/verbale/{nome}", headers={"Authorization": "sbagliato"}).status_code == 401


def test_verbale_of_a_programme_not_assigned_is_not_found(client, auth_on, programmi, monkeypatch, tmp_path):
    from addin.registro import Registro
    from addin.registro.atti import ANNO_PROGRAMMA, REFERENTI
    from addin.serve import controlla_configurazione

    monkeypatch.setenv("RENDICONTA_VERBALI", str(tmp_path))
    nome = "verbale_P1_2026_20261015_0123456789ab.pdf"
    (tmp_path / nome).write_bytes(b"%PDF-1.7 prova")
    assert client.get(f"/rendiconta/verbale/{nome}", headers=COMUNE).status_code == 200
    Registro.apri().registra(2, ANNO_PROGRAMMA, REFERENTI, {"referenti": [{"nome": "Ufficio Servizi Sociali"}]})
    controlla_configurazione()   # assignments are cached: a fresh source
    assert client.get(f"/rendiconta/verbale/{nome}", headers=COMUNE).status_code == 404


def test_verifica_without_libreoffice_goes_on_and_says_why(client, auth_on, programmi, monkeypatch, tmp_path):
    from addin.registro import Registro
    from addin.registro.atti import VERIFICA

    (tmp_path / "verbali").mkdir()
    monkeypatch.setenv("RENDICONTA_VERBALI", str(tmp_path / "verbali"))
    monkeypatch.setenv("PATH", str(tmp_path / "vuota"))   # no soffice on this server
    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(programmi[1]), headers=COMUNE)
    assert r.status_code == 200, r.text
    [call] = [a for a in actions(r.json(), "runMacro") if a["args"][0] == "formattaCelle"]
    verbale = call["args"][2]["verbale"]
    assert verbale["nome"] == "" and "LibreOffice" in verbale["problema"]
    [alert] = actions(r.json(), "alert")
    assert "Il verbale PDF/A non è stato prodotto: per il PDF serve LibreOffice" in alert["args"][0]
    assert "Ammesse:" in alert["args"][0]   # the check itself is complete
    assert any(a["func"] == "setValues" for a in r.json()["actions"])
    [act] = Registro.apri().atti(1, 2026, VERIFICA)
    assert "verbale" not in act.dati and act.dati["sha256_report"] is None
    assert list((tmp_path / "verbali").iterdir()) == []


def test_a_configured_verbali_folder_that_does_not_exist_is_named(client, auth_on, programmi, monkeypatch, tmp_path):
    monkeypatch.setenv("RENDICONTA_VERBALI", str(tmp_path / "manca"))
    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(programmi[1]), headers=COMUNE)
    assert r.status_code == 200, r.text
    [alert] = actions(r.json(), "alert")
    assert f"la cartella dei verbali «{tmp_path / 'manca'}» (RENDICONTA_VERBALI) non esiste" in alert["args"][0]
    assert not (tmp_path / "manca").exists()


# --- the deadline of the requests for documents -----------------------------------------------------------

def _con_richiesta(client, path, headers) -> dict:
    """After Verifica, the officer asks for documents on programme row 6 (a type with «integrazione»)."""
    from openpyxl import load_workbook

    from macros_py.scripts import FOGLI_DECISIONI
    from tests.xlwings_book import foglio_verifica

    r = client.post("/xlwings/custom-scripts-call/verifica", json=_book(path), headers=headers)
    assert r.status_code == 200, r.text
    wb = load_workbook(path)
    ws, cols, riga = foglio_verifica(wb, r.json()["actions"])
    ws.cell(riga(6), cols["Tipologia errore"]).value = "Richiesta integrazione"
    ws.cell(riga(6), cols["Commento del controllore"]).value = "copia del contratto"
    return book_json(wb, path.name, include=FOGLI_DECISIONI), riga(6)


@pytest.fixture
def _senza_verbale(monkeypatch, tmp_path):
    """These tests are about decisions: Verifica runs without LibreOffice (no PDF to wait for)."""
    monkeypatch.setenv("PATH", str(tmp_path / "vuota"))


def test_registra_decisioni_records_a_request_with_the_deadline_of_the_pane(client, auth_on, programmi,
                                                                           _senza_verbale):
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE

    book, _ = _con_richiesta(client, programmi[1], COMUNE)
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json={**book, "args": ["15/12/2026"]},
                    headers=COMUNE)
    assert r.status_code == 200, r.text
    [alert] = actions(r.json(), "alert")
    assert "Decisioni registrate nel registro del Comune: 1; già presenti: 0." in alert["args"][0]
    assert "Richieste di integrazione: 1, con scadenza il 15/12/2026." in alert["args"][0]
    [dec] = Registro.apri().atti(1, 2026, DECISIONE)
    assert (dec.dati["esito"], dec.dati["riga"], dec.dati["scadenza"], dec.autore) == \
        ("RICHIESTA_INTEGRAZIONE", 6, "2026-12-15", "Ufficio Servizi Sociali")
    assert dec.dati["documenti_richiesti"] == "Richiesta integrazione: copia del contratto"


@pytest.mark.parametrize("scadenza,attesa", [
    ("", "scrivere nel riquadro la scadenza delle richieste di integrazione (gg/mm/aaaa)"),
    ("14/10/2026", "la scadenza delle richieste di integrazione (14/10/2026) è già passata (oggi è il 15/10/2026)"),
    ("31/02/2026", "Scadenza delle richieste di integrazione:"),
    ("domani", "Scadenza delle richieste di integrazione:"),
])
def test_a_missing_or_past_deadline_is_refused_in_italian(client, auth_on, programmi, _senza_verbale, scadenza,
                                                         attesa):
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE

    book, row = _con_richiesta(client, programmi[1], COMUNE)
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json={**book, "args": [scadenza]},
                    headers=COMUNE)
    assert r.status_code == 200, r.text
    [alert] = actions(r.json(), "alert")
    assert alert["args"][1] == "Rendiconta: errore" and attesa in alert["args"][0], alert["args"][0]
    if scadenza == "":   # the row that asks for documents is named
        assert alert["args"][0].startswith(f"foglio «Verifica», riga {row}, colonna «Tipologia errore»: ")
    assert Registro.apri().atti(1, 2026, DECISIONE) == []


def test_today_is_a_valid_deadline(client, auth_on, programmi, _senza_verbale):
    from addin.registro import Registro
    from addin.registro.atti import DECISIONE

    book, _ = _con_richiesta(client, programmi[1], COMUNE)
    r = client.post("/xlwings/custom-scripts-call/registra_decisioni", json={**book, "args": ["15/10/2026"]},
                    headers=COMUNE)
    assert r.status_code == 200, r.text
    [dec] = Registro.apri().atti(1, 2026, DECISIONE)
    assert dec.dati["scadenza"] == "2026-10-15"


# --- Risigilla finestra ----------------------------------------------------------------------------------

def test_risigilla_records_a_new_seal_with_its_reason(client, auth_on, programmi):
    from addin.registro import Registro
    from addin.registro.atti import SIGILLO

    r = client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]), headers=COMUNE)
    assert r.status_code == 200, r.text
    before = Registro.apri().atti(1, 2026, SIGILLO)
    ambiti = [a.dati["ambito"] for a in before]
    assert {"finestra1", "finestra2"} <= set(ambiti) and "finestra3" not in ambiti   # closed on 15/10/2026
    [prima] = [a for a in before if a.dati["ambito"] == "finestra1"]
    r = client.post("/xlwings/custom-scripts-call/risigilla",
                    json={**_book(programmi[1]), "args": ["1", "fattura corretta d'accordo con l'ATS"]},
                    headers=COMUNE)
    assert r.status_code == 200, r.text
    after = Registro.apri().atti(1, 2026, SIGILLO)
    assert len(after) == len(before) + 1
    new = after[-1]
    assert (new.dati["ambito"], new.dati["motivo"], new.riferimento, new.autore) == \
        ("finestra1", "fattura corretta d'accordo con l'ATS", prima.posizione, "Ufficio Servizi Sociali")
    funcs = [a["func"] for a in r.json()["actions"]]
    assert "runMacro" in funcs and funcs[-1] == "alert"
    [alert] = actions(r.json(), "alert")
    assert alert["args"][1] == "Risigilla" and "sigillo rifatto: fattura corretta" in alert["args"][0]
    # the _meta copy of window 1 is written again (its new HMAC)
    meta_pos = [s["name"] for s in _book(programmi[1])["sheets"]].index("_meta")
    written = [v for a in actions(r.json(), "setValues") if a["sheet_position"] == meta_pos for v in a["values"]]
    assert [new.dati["hmac"]] == [v[1] for v in written if v[0] == "sigillo.finestra1.hmac"]


@pytest.mark.parametrize("args,attesa", [
    (["1", "  "], "Risigilla: scrivere nel riquadro il motivo"),
    (["7", "errore"], "Risigilla: finestra «7» non prevista"),
    (["3", "errore"], "non c'è ancora un sigillo della finestra 3"),
])
def test_risigilla_refusals_record_nothing(client, auth_on, programmi, args, attesa):
    from addin.registro import Registro
    from addin.registro.atti import SIGILLO

    assert client.post("/xlwings/custom-scripts-call/blocca", json=_book(programmi[1]),
                       headers=COMUNE).status_code == 200
    n = len(Registro.apri().atti(1, 2026, SIGILLO))
    r = client.post("/xlwings/custom-scripts-call/risigilla", json={**_book(programmi[1]), "args": args},
                    headers=COMUNE)
    assert r.status_code == 200, r.text
    [alert] = r.json()["actions"]
    assert alert["func"] == "alert" and attesa in alert["args"][0], alert["args"][0]
    assert len(Registro.apri().atti(1, 2026, SIGILLO)) == n


def test_risigilla_is_refused_to_a_partner(client, auth_on, programmi):
    r = client.post("/xlwings/custom-scripts-call/risigilla", json={**_book(programmi[1]), "args": ["1", "x"]},
                    headers=PARTNER)
    assert r.status_code == 403 and "«comune»" in r.json()["detail"]


@richiede_libreoffice
def test_the_verbale_made_in_a_worker_process_is_served_by_the_server(monkeypatch, auth_on, programmi, tmp_path):
    """With worker processes (addin.processi) Verifica and its verbale run in the worker, the download
    route in the server process: both read the same folder (RENDICONTA_VERBALI, read at start-up)."""
    from tests.test_server_processi import _post, server

    folder = tmp_path / "verbali"
    folder.mkdir()
    with server(monkeypatch, 1, RENDICONTA_VERBALI=str(folder),
                RENDICONTA_REGISTRO=f"sqlite:///{tmp_path}/lavoratori.sqlite") as (app, c):
        r = _post(c, "verifica", _book(programmi[1]), COMUNE)
        assert r.status_code == 200, r.text
        assert app.esecutore.compiti == 1   # the check and the PDF in the worker
        [call] = [a for a in actions(r.json(), "runMacro") if a["args"][0] == "formattaCelle"]
        nome = call["args"][2]["verbale"]["nome"]
        assert [f.name for f in folder.iterdir()] == [nome]
        got = c.get(f"/rendiconta/verbale/{nome}", headers=COMUNE)
        assert got.status_code == 200 and got.content == (folder / nome).read_bytes()
        assert c.get(f"/rendiconta/verbale/{nome}", headers=PARTNER).status_code == 404
