"""Benchmark of the Excel add-in's server at the largest workbook the templates support (10,000 rows).

Measured in one run, on a programme workbook built from the real template (as bench/verifica.py):
- sizes: the request the task pane sends (only the sheets the script declares, after a first Valida
  has filled Esito/Importo ammesso/Motivi, which then travel too) and each response, against the
  5 MB that Excel on the web allows; the number of actions of each response;
- time: Valida through the real endpoint (FastAPI TestClient on addin.serve.crea_app: JSON parse,
  remote book, rules, outputs, JSON response) against the CLI's check of the same file
  (python-calamine read + every rule, collector paused as `rendiconta verifica` runs it) as baseline;
  best of 7, wall time and the process's CPU time;
- concurrency: RC.FINESTRA's latency alone, and while 10,000-row Verificas run for another user,
  through a real uvicorn server (local development mode, plain HTTP on 127.0.0.1).
Usage: python bench/addin.py [rows]
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
LIMITE_WEB = 5 * MB


def best(fn, n: int = 5) -> tuple[float, list[float], float]:
    """Best wall time, every wall time, and the best CPU time of the process (all threads: the
    TestClient runs the application in a thread of its own), which a loaded machine inflates less."""
    runs, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(runs), runs, min(cpu)


def main(n: int = 10_000) -> None:
    import logging

    import httpx
    import uvicorn
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook
    from verifica import build
    from xlwings_book import applica_valori, book_json

    from addin.casi.verifica import esegui_verifica
    from addin.config import default_config
    from addin.runtime import gc_paused
    from addin.serve import crea_app
    from addin.workbook.reader import leggi_cartella
    from macros_py.scripts import FOGLI_PROGRAMMA

    logging.disable(logging.INFO)
    cfg = default_config()
    oggi = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        first = book_json(load_workbook(path), path.name, include=FOGLI_PROGRAMMA)
    app = crea_app()
    os.environ["RENDICONTA_CHIAVE"] = "chiave-di-prova-del-comune-0123456789"
    local = TestClient(app, client=("127.0.0.1", 50000))

    r = local.post("/xlwings/custom-scripts-call/valida", json=first)
    r.raise_for_status()
    book = applica_valori(first, r.json()["actions"])     # Esito/Importo ammesso/Motivi now in the workbook
    body = json.dumps(book).encode()
    print(f"{n:,} righe di spesa - {dt.datetime.now():%d/%m/%Y %H:%M}, carico medio {os.getloadavg()[0]:.1f}")
    print(f"richiesta (fogli {', '.join(FOGLI_PROGRAMMA)}): prima di Valida {len(json.dumps(first)) / MB:.2f} MB, "
          f"dopo {len(body) / MB:.2f} MB (limite di Excel per il web: 5 MB)")
    sizes = {}
    for name in ("valida", "verifica", "blocca"):
        resp = local.post(f"/xlwings/custom-scripts-call/{name}", content=body,
                          headers={"Content-Type": "application/json"})
        resp.raise_for_status()
        acts = resp.json()["actions"]
        sizes[name] = (len(resp.content), len(acts))
        print(f"risposta {name}: {len(resp.content) / MB:.2f} MB, {len(acts)} azioni "
              f"({', '.join(sorted({a['func'] for a in acts}))})")
        if name == "blocca":
            sealed = len(json.dumps(applica_valori(book, acts)))
            print(f"richiesta dopo Blocca (sigilli copiati in _meta): {sealed / MB:.2f} MB")
    over = [k for k, (s, _) in sizes.items() if s >= LIMITE_WEB]
    print("oltre i 5 MB: " + (", ".join(over) if over else "nessuna risposta"))

    def valida():
        local.post("/xlwings/custom-scripts-call/valida", content=body,
                    headers={"Content-Type": "application/json"}).raise_for_status()

    def controllo(path):
        with gc_paused():   # as the CLI's verifica runs it (verifica_file)
            esegui_verifica(leggi_cartella(path, cfg), cfg, oggi)

    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        base, base_runs, base_cpu = best(lambda: controllo(path), 7)
    t_valida, runs, cpu = best(valida, 7)
    print(f"carico medio {os.getloadavg()[0]:.1f}; migliore di 7 (tempo; CPU del processo)")
    print(f"controllo CLI dello stesso file (calamine + regole, base): {base:.3f} s; CPU {base_cpu:.3f} s "
          f"[{', '.join(f'{x:.2f}' for x in base_runs)}]")
    print(f"Valida lato server (endpoint reale): {t_valida:.3f} s ({t_valida / base:.2f}x); CPU {cpu:.3f} s "
          f"({cpu / base_cpu:.2f}x) [{', '.join(f'{x:.2f}' for x in runs)}]")

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
    main(*(int(a) for a in sys.argv[1:2]))
