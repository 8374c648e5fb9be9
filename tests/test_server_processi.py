"""The add-in's scripts in worker processes (addin.processi), through the real endpoints of the
application `rendiconta serve` runs (TestClient on addin.serve.crea_app, lifespan included): real
spawned workers, no fakes. The other server tests run the scripts in threads (RENDICONTA_PROCESSI=0,
tests/conftest.py) because they fix the scripts' date in this process; here the scripts run at the
real date, in the worker and in a thread alike."""

from __future__ import annotations

import contextlib
import copy
import json
import multiprocessing
import os
import signal

import pytest
from fastapi.testclient import TestClient

from tests.test_server import _book, auth_on, fcall, programmi  # noqa: F401  (fixtures and helpers)

COMUNE, PARTNER = {"Authorization": "codice-comune"}, {"Authorization": "codice-partner"}


@contextlib.contextmanager
def server(monkeypatch, processi: int, **env: str):
    """A fresh application with `processi` workers (0: threads), its lifespan run by TestClient: the
    workers start with it (they read the environment then) and end with it."""
    from addin.serve import crea_app

    monkeypatch.setenv("RENDICONTA_PROCESSI", str(processi))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    app = crea_app()
    prima = {p.pid for p in multiprocessing.active_children()}
    with TestClient(app) as client:
        client.lavoratori = lambda: sorted(p.pid for p in multiprocessing.active_children() if p.pid not in prima)
        yield app, client


def _post(client, name: str, book: dict, headers: dict | None = None):
    return client.post(f"/xlwings/custom-scripts-call/{name}", content=json.dumps(book).encode(),
                       headers={"Content-Type": "application/json", **(headers or {})})


def test_scripts_in_a_worker_return_what_they_return_in_a_thread(monkeypatch, auth_on, programmi, tmp_path):
    """Valida and Verifica (a register write, authored by the officer) in a worker process answer
    byte for byte what the same scripts answer in a thread of the server; Valida with the large sheets
    as its argument (the task pane's blocks, checked in the server process and pickled to the worker)
    answers what it answers with them in the book data."""
    from dimensioni_web import richiesta_a_blocchi

    from addin.registro import Registro
    from addin.registro.atti import VERIFICA
    from addin.xlbridge import FOGLI_DAL_RIQUADRO

    book = _book(programmi[1])
    a_blocchi, _ = richiesta_a_blocchi(book, FOGLI_DAL_RIQUADRO, {})
    registro_lavoratori = f"sqlite:///{tmp_path}/lavoratori.sqlite"
    with server(monkeypatch, 1, RENDICONTA_REGISTRO=registro_lavoratori) as (app, c):
        assert len(c.lavoratori()) == 1   # started with the application
        r_valida = _post(c, "valida", book, PARTNER)
        r_verifica = _post(c, "verifica", book, COMUNE)
        assert r_verifica.status_code == 200, r_verifica.text
        r_blocchi = _post(c, "valida", a_blocchi, PARTNER)
        assert app.esecutore.compiti == 3   # all three ran in the worker
        # the custom functions stay in the server process
        r = c.post("/xlwings/custom-functions-call", json=fcall("finestra", "02/05/2026"), headers=PARTNER)
        assert r.json() == {"result": [["2/2026"]]}
        assert app.esecutore.compiti == 3
    assert r_blocchi.status_code == 200 and r_blocchi.content == r_valida.content, r_blocchi.text[:300]
    assert r_valida.status_code == 200 and r_verifica.status_code == 200, (r_valida.text, r_verifica.text)
    [atto] = Registro.apri(registro_lavoratori).atti(1, 2026)
    assert (atto.tipo, atto.autore) == (VERIFICA, "Ufficio Servizi Sociali")

    monkeypatch.setenv("RENDICONTA_REGISTRO", f"sqlite:///{tmp_path}/thread.sqlite")   # an empty register again
    with server(monkeypatch, 0) as (app, c):
        assert c.lavoratori() == []
        assert _post(c, "valida", book, PARTNER).content == r_valida.content
        assert _post(c, "verifica", book, COMUNE).content == r_verifica.content
        assert app.esecutore.compiti == 0
    funcs = [a["func"] for a in r_verifica.json()["actions"]]
    assert funcs[-1] == "alert" and funcs.count("setValues") >= 4


def test_roles_and_programmes_are_checked_before_anything_reaches_a_worker(monkeypatch, auth_on, programmi):
    from addin.registro import Registro
    from addin.registro.atti import ANNO_PROGRAMMA, REFERENTI
    from addin.serve import controlla_configurazione

    book = _book(programmi[1])
    with server(monkeypatch, 1) as (app, c):
        r = _post(c, "verifica", book, PARTNER)
        assert r.status_code == 403 and "«comune»" in r.json()["detail"] and "Partner Igea" in r.json()["detail"]
        assert _post(c, "valida", book, {"Authorization": "sbagliato"}).status_code == 401
        Registro.apri().registra(2, ANNO_PROGRAMMA, REFERENTI, {"referenti": [{"nome": "Ufficio Servizi Sociali"}]})
        controlla_configurazione()   # a fresh source of the assignments
        r = _post(c, "blocca", book, COMUNE)
        assert r.status_code == 403 and "programma 1 non è assegnato" in r.json()["detail"]
        assert app.esecutore.compiti == 0   # nothing was sent to the worker
        assert Registro.apri().atti(1, 2026) == []


def test_a_killed_worker_is_an_italian_503_and_the_pool_is_replaced(monkeypatch, programmi):
    from addin.processi import MSG_INTERROTTO

    book = _book(programmi[1])
    with server(monkeypatch, 1) as (app, c):
        assert _post(c, "valida", book).status_code == 200
        [pid] = c.lavoratori()
        os.kill(pid, signal.SIGKILL)
        # the request that meets the dead worker is refused in Italian (not repeated: it could have
        # written to the register) unless the pool already knew it was broken; the next one is served
        codes = []
        for _ in range(2):
            r = _post(c, "valida", book)
            codes.append(r.status_code)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and r.json()["detail"] == MSG_INTERROTTO
        assert codes in ([200], [503, 200]), codes
        [nuovo] = c.lavoratori()
        assert nuovo != pid
        assert r.json() == _post(c, "valida", book).json()


def test_a_worker_out_of_memory_is_an_italian_500_and_the_worker_serves_on(monkeypatch, programmi):
    """A worker limited to 320 MB of address space (RENDICONTA_MEMORIA_PROCESSO_MB; about 260 MB once its
    modules are imported) receives a 15 MB request whose 2.5 million two-letter texts need about 150 MB
    (a new 51-byte string each, plus its pointer: JSON gives every string value its own object)."""
    book = _book(programmi[1])
    enorme = copy.deepcopy(book)
    enorme["sheets"][0]["values"] = [["ab"] * 1000 for _ in range(2500)]   # '"ab", ' x 2,500,000: 15 MB
    with server(monkeypatch, 1, RENDICONTA_MEMORIA_PROCESSO_MB="320") as (app, c):
        [pid] = c.lavoratori()
        r = _post(c, "valida", enorme)
        assert r.status_code == 500, r.text
        detail = r.json()["detail"]
        assert detail.startswith("Memoria insufficiente sul server")
        assert "RENDICONTA_MEMORIA_PROCESSO_MB (oggi 320 MB)" in detail
        assert _post(c, "valida", book).status_code == 200
        assert c.lavoratori() == [pid]   # the same worker


def test_the_workers_end_with_the_application(monkeypatch, programmi):
    with server(monkeypatch, 2) as (app, c):
        workers = c.lavoratori()
        assert len(workers) == 2
        assert _post(c, "valida", _book(programmi[1])).status_code == 200
    alive = {p.pid for p in multiprocessing.active_children()}
    assert not alive & set(workers)


@pytest.mark.parametrize("env,value", [("RENDICONTA_PROCESSI", "tanti"), ("RENDICONTA_PROCESSI", "-1"),
                                       ("RENDICONTA_MEMORIA_PROCESSO_MB", "10")])
def test_invalid_settings_stop_the_server_in_italian(monkeypatch, env, value):
    from addin.errors import ErroreRendiconta
    from addin.serve import crea_app

    monkeypatch.setenv(env, value)
    with pytest.raises(ErroreRendiconta, match=f"{env}=«{value}» non è valido"):
        crea_app()


def test_consolida_upload_in_a_worker(monkeypatch, programmi):
    """The consolidation of the uploaded workbooks runs in a worker too, with the same answer as in a
    thread (but for the name of the upload's temporary folder, which the consolidation reports)."""
    import re

    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in programmi.values()]

    def senza_cartella(text: str) -> str:
        return re.sub(r"rendiconta-[^/\\]+", "rendiconta-", text)

    with server(monkeypatch, 1) as (app, c):
        r = c.post("/rendiconta/consolida", files=files)
        assert r.status_code == 200, r.text
        assert app.esecutore.compiti == 1
    with server(monkeypatch, 0) as (app, c):
        assert senza_cartella(c.post("/rendiconta/consolida", files=files).text) == senza_cartella(r.text)
    assert "2 cartelle di programma" in r.json()["riepilogo"]


def test_two_workers_writing_to_the_register_at_once(monkeypatch, registro_url, auth_on, programmi):
    """Two officers press Blocca on the same programme at the same moment: two workers, each with its own
    connection, take the chain's write lock in turn (SQLite: BEGIN IMMEDIATE; PostgreSQL: row lock); the
    second finds the first's seals and records none. Then a Verifica: the chain is intact."""
    import threading

    from addin.registro import Registro
    from addin.registro.atti import SIGILLO, VERIFICA

    book = _book(programmi[1])
    with server(monkeypatch, 2) as (app, c):
        risposte = []

        def blocca():
            risposte.append(_post(c, "blocca", book, COMUNE))

        ts = [threading.Thread(target=blocca) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert [r.status_code for r in risposte] == [200, 200], [r.text for r in risposte]
        assert sum("Sigilli nuovi: nessuno" in r.text for r in risposte) == 1   # the second found the seals
        assert _post(c, "verifica", book, COMUNE).status_code == 200
        assert app.esecutore.compiti == 3
    reg = Registro.apri(registro_url)
    atti = reg.atti(1, 2026)
    sigilli = [a.dati["ambito"] for a in atti if a.tipo == SIGILLO]
    # windows 1 and 2 of 2026 are closed since 31/05 and 30/09/2026: each sealed once, by one of the two
    assert len(sigilli) >= 2 and len(sigilli) == len(set(sigilli)), sigilli
    assert {"finestra1", "finestra2"} <= set(sigilli)
    assert [a.tipo for a in atti][-1] == VERIFICA
    assert reg.verifica() == []


def test_errors_in_a_worker_come_back_in_italian():
    """The pool on its own (as the consolidation route uses it): a user error (ErroreRendiconta) comes
    back with its message, an unexpected one as an Italian 500 with the details in the server's log,
    and the same worker serves on."""
    import asyncio

    from fastapi import HTTPException

    from addin import xlbridge
    from addin.errors import ErroreRendiconta
    from addin.processi import MSG_GUASTO, Esecutore

    esecutore = Esecutore(1)
    try:
        async def prova():
            assert await esecutore.chiama(int, "12") == 12
            with pytest.raises(ErroreRendiconta, match="^Tranche: «x» non è un numero intero$"):
                await esecutore.chiama(xlbridge.to_int, "x", "Tranche")
            with pytest.raises(HTTPException) as exc:
                await esecutore.chiama(int, "dodici")
            assert (exc.value.status_code, exc.value.detail) == (500, MSG_GUASTO)
            return await esecutore.chiama(os.getpid), await esecutore.chiama(os.getpid)

        primo, ultimo = asyncio.run(prova())
        assert primo == ultimo != os.getpid()
        assert esecutore.compiti == 5
    finally:
        esecutore.chiudi()
