"""Benchmark of the Excel add-in's server at the largest workbook the templates support (10,000 rows).

Measured in one run, on a programme workbook built from the real template (as bench/verifica.py), with
the Comune's register in a temporary SQLite file:
- sizes, step by step as an officer works (Valida, Verifica, Blocca, Valida again, Verifica, Registra
  decisioni), with the task pane clearing Esito/Importo ammesso/Motivi before Valida, Verifica and Blocca
  (static/js/rendiconta.js, svuotaEsiti). For each request: the HTTP body the task pane sends (compact
  JSON, UTF-8, as JSON.stringify) and what Excel on the web must return to xlwings' getBookData in ONE
  request (values with dates as serial numbers, plus the number format of every cell); for each
  response: the HTTP body and the largest single Excel write (one setValues, or the formats callback).
  Against the 5 MB (5,242,880 bytes) that Excel on the web allows a request or a response;
- time: Valida through the real endpoint (FastAPI TestClient on addin.serve.crea_app: JSON parse,
  remote book, rules, outputs, JSON response) against the CLI's check of the same file
  (python-calamine read + every rule) as baseline; best of 5;
- concurrency: RC.FINESTRA's latency alone, and while 10,000-row Verificas run for another user,
  through a real uvicorn server (local development mode, plain HTTP on 127.0.0.1).
Usage: python bench/addin_server.py [rows] [--solo-dimensioni]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ["RENDICONTA_SVILUPPO_LOCALE"] = "1"   # every role, loopback only: Verifica without tokens
os.environ["DOTENV_PATH"] = str(HERE / "nonexistent.env")

MB = 1024 * 1024
LIMITE_WEB = 5 * MB   # 5,242,880 bytes


def best(fn, n: int = 5) -> tuple[float, list[float]]:
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return min(runs), runs


def dimensioni(n: int, local, cfg) -> tuple[dict, bytes]:
    """The sizes of every step (printed), and the last Valida request's body (for the timings)."""
    from openpyxl import load_workbook
    from verifica import build
    from xlwings_book import (applica_valori, book_json, byte_json, formati_del_modello, lettura_excel,
                              scritture_excel, solo_fogli, svuota_esiti)

    from addin.workbook.seals import leggi_sigilli
    from macros_py.scripts import FOGLI_DECISIONI, FOGLI_PROGRAMMA

    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        wb = load_workbook(path)
        formati = formati_del_modello(wb)
        book = solo_fogli(book_json(wb, path.name), FOGLI_PROGRAMMA)
    names = [s["name"] for s in book["sheets"]]
    print(f"{n:,} righe di spesa - {dt.datetime.now():%d/%m/%Y %H:%M}, carico medio {os.getloadavg()[0]:.1f}; "
          f"limite di Excel per il web: {LIMITE_WEB:,} byte a richiesta o risposta")
    print(f"{'passo':<40} {'HTTP':>9} {'Excel':>9}  (MB; Excel: lettura di getBookData o scrittura più grande)")
    worst = {"richiesta": 0, "risposta": 0}

    def line(label, http, excel, kind):
        worst[kind] = max(worst[kind], http, excel)
        flag = "  OLTRE 5 MB" if max(http, excel) > LIMITE_WEB else ""
        print(f"{label:<40} {http / MB:>9.2f} {excel / MB:>9.2f}{flag}")

    def call(name, book, include=FOGLI_PROGRAMMA, svuota=True):
        sent = solo_fogli(svuota_esiti(book) if svuota else book, include)
        body = json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode()
        line(f"richiesta {name}", len(body), lettura_excel(sent, formati), "richiesta")
        r = local.post(f"/xlwings/custom-scripts-call/{name}", content=body,
                       headers={"Content-Type": "application/json"})
        r.raise_for_status()
        acts = r.json()["actions"]
        line(f"risposta {name} ({len(acts)} azioni)", len(r.content), scritture_excel(acts), "risposta")
        return body, acts

    body, acts = call("valida", book)
    book = applica_valori(book, acts)
    _, acts = call("verifica", book)
    book = applica_valori(book, [a for a in acts if (a.get("sheet_position") or 0) < len(names)])
    _, acts = call("blocca", book)
    book = applica_valori(book, acts)
    meta = next(s["values"] for s in book["sheets"] if s["name"] == "_meta")
    sealed = sum(len(s.righe) for s in leggi_sigilli({r[0]: r[1] for r in meta if r and r[0]}).values())
    print(f"  (righe sigillate: {sealed:,}; `_meta`: {byte_json(meta) / MB:.2f} MB in {len(meta)} righe)")
    body, acts = call("valida", book)                 # the request after Blocca
    book = applica_valori(book, acts)
    _, acts = call("verifica", book)
    # Registra decisioni: `_meta` and the Verifica sheet the last Verifica wrote (a new sheet, last position)
    extra = {}
    for a in acts:
        if a["func"] == "setValues" and (a.get("sheet_position") or 0) >= len(names):
            grid = extra.setdefault(a["sheet_position"], [])
            while len(grid) < a["start_row"] + len(a["values"]):
                grid.append([])
            for i, row in enumerate(a["values"]):
                grid[a["start_row"] + i] = [""] * a["start_column"] + row
    verifica = extra[min(extra)]
    width = max(len(r) for r in verifica)
    decisioni = json.loads(json.dumps(book))
    decisioni["sheets"].append({**decisioni["sheets"][0], "name": "Verifica",
                                "values": [r + [""] * (width - len(r)) for r in verifica]})
    call("registra_decisioni", decisioni, include=FOGLI_DECISIONI, svuota=False)
    print(f"massimo: richieste {worst['richiesta'] / MB:.2f} MB, risposte {worst['risposta'] / MB:.2f} MB "
          f"({'entro' if max(worst.values()) <= LIMITE_WEB else 'OLTRE'} i 5 MB)")
    return worst, body


def main(n: int = 10_000, solo_dimensioni: bool = False) -> None:
    import logging

    import httpx
    import uvicorn
    from fastapi.testclient import TestClient
    from verifica import build

    from addin.casi.verifica import esegui_verifica
    from addin.config import default_config
    from addin.serve import crea_app
    from addin.workbook.reader import leggi_cartella

    logging.disable(logging.INFO)
    cfg = default_config()
    oggi = dt.date.today()
    registro = tempfile.TemporaryDirectory()
    os.environ["RENDICONTA_REGISTRO"] = f"sqlite:///{registro.name}/registro.sqlite"
    app = crea_app()
    os.environ["RENDICONTA_CHIAVE"] = "chiave-di-prova-del-comune-0123456789"
    local = TestClient(app, client=("127.0.0.1", 50000))
    _, body = dimensioni(n, local, cfg)
    if solo_dimensioni:
        return

    def valida():
        local.post("/xlwings/custom-scripts-call/valida", content=body,
                    headers={"Content-Type": "application/json"}).raise_for_status()

    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        base, base_runs = best(lambda: esegui_verifica(leggi_cartella(path, cfg), cfg, oggi))
    t_valida, runs = best(valida)
    print(f"controllo CLI dello stesso file (calamine + regole, base): {base:.3f} s "
          f"[{', '.join(f'{x:.2f}' for x in base_runs)}]")
    print(f"Valida lato server (endpoint reale): {t_valida:.3f} s ({t_valida / base:.2f}x) "
          f"[{', '.join(f'{x:.2f}' for x in runs)}]")

    # --- a custom function while another user's Verifica runs (real server, real sockets)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    import xlwings as xw

    call = {"func_name": "finestra", "args": [[["18/03/2026"]]], "caller_address": "Spese!A1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4", "culture_info_name": "it-IT",
            "date_format": "gg/mm/aaaa"}

    def latencies(c: httpx.Client, k: int) -> list[float]:
        out = []
        for _ in range(k):
            t = time.perf_counter()
            c.post(url + "/xlwings/custom-functions-call", json=call).raise_for_status()
            out.append(time.perf_counter() - t)
            time.sleep(0.02)
        return out

    with httpx.Client(timeout=120) as c:
        alone = latencies(c, 30)
        stop = threading.Event()
        done = []

        def verifiche():
            with httpx.Client(timeout=300) as v:
                while not stop.is_set():
                    t = time.perf_counter()
                    v.post(url + "/xlwings/custom-scripts-call/verifica", content=body,
                           headers={"Content-Type": "application/json"}).raise_for_status()
                    done.append(time.perf_counter() - t)

        bg = threading.Thread(target=verifiche)
        bg.start()
        time.sleep(0.3)
        during = latencies(c, 60)
        stop.set()
        bg.join()
    server.should_exit = True
    thread.join()
    print(f"RC.FINESTRA da sola: mediana {statistics.median(alone) * 1000:.0f} ms, massimo {max(alone) * 1000:.0f} ms")
    print(f"RC.FINESTRA durante Verifica di {n:,} righe ({len(done)} verifiche, "
          f"{statistics.median(done):.2f} s ciascuna): mediana {statistics.median(during) * 1000:.0f} ms, "
          f"95° percentile {sorted(during)[int(len(during) * 0.95) - 1] * 1000:.0f} ms, "
          f"massimo {max(during) * 1000:.0f} ms")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2] if a.isdigit()), solo_dimensioni="--solo-dimensioni" in sys.argv)
