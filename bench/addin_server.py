"""Benchmark of the Excel add-in's server at the largest workbook the templates support (10,000 rows).

Measured in one run, on a programme workbook built from the real template (as bench/verifica.py):
- sizes: the request the task pane sends (only the sheets the script declares, after a first Valida
  has filled Esito/Importo ammesso/Motivi, which then travel too) and each response, against the
  5 MB that Excel on the web allows; the number of actions of each response;
- time: Valida through the real endpoint (FastAPI TestClient on addin.serve.crea_app: JSON parse,
  remote book, rules, outputs, JSON response), before Blocca and after it (every sealed row checked
  against the register's seals; the register is a temporary file), against the CLI's check of the same file
  (python-calamine read + every rule, collector paused as `rendiconta verifica` runs it) as baseline;
  best of 7, wall time and the process's CPU time;
- concurrency: RC.FINESTRA's latency (median, 95th percentile, maximum) alone and while one and two
  10,000-row Verificas run for another user, through a real uvicorn server in its own process (local
  development mode, plain HTTP on 127.0.0.1), with the scripts in threads of the server
  (RENDICONTA_PROCESSI=0: the baseline) and in 2 worker processes (addin.processi); the load average
  is printed with every row (the machine may be shared: the ratios matter), and the servers' peak memory.
Usage: python bench/addin_server.py [rows] [--solo-funzioni]   (--solo-funzioni: the concurrency part only)
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
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
os.environ["RENDICONTA_PROCESSI"] = "0"   # in this process: threads (the concurrency servers choose their own)
_DATI = tempfile.mkdtemp(prefix="bench-addin-")   # register and verbali of the benchmark, never the user's
atexit.register(shutil.rmtree, _DATI, True)
os.environ["RENDICONTA_REGISTRO"] = f"sqlite:///{_DATI}/registro.sqlite"
os.environ["RENDICONTA_VERBALI"] = f"{_DATI}/verbali"

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


def _locale():
    """The application in this process (scripts in threads), called as from 127.0.0.1."""
    import logging

    from fastapi.testclient import TestClient

    from addin.serve import crea_app

    logging.disable(logging.INFO)
    return TestClient(crea_app(), client=("127.0.0.1", 50000))


def corpo(n: int, local=None) -> tuple[dict, bytes]:
    """The first request of the scripts (only the sheets they declare) and the one after a first Valida,
    whose Esito/Importo ammesso/Motivi then travel too."""
    from openpyxl import load_workbook
    from verifica import build
    from xlwings_book import applica_valori, book_json

    from addin.config import default_config
    from macros_py.scripts import FOGLI_PROGRAMMA

    with tempfile.TemporaryDirectory() as tmp:
        path = build(default_config(), n, Path(tmp) / f"P1_{n}.xlsx")
        first = book_json(load_workbook(path), path.name, include=FOGLI_PROGRAMMA)
    r = (local or _locale()).post("/xlwings/custom-scripts-call/valida", json=first)
    r.raise_for_status()
    return first, json.dumps(applica_valori(first, r.json()["actions"])).encode()


def main(n: int = 10_000) -> None:
    from verifica import build
    from xlwings_book import applica_valori

    from addin.casi.verifica import esegui_verifica
    from addin.config import default_config
    from addin.runtime import gc_paused
    from addin.workbook.reader import leggi_cartella
    from macros_py.scripts import FOGLI_PROGRAMMA

    cfg = default_config()
    oggi = dt.date.today()
    os.environ["RENDICONTA_CHIAVE"] = "chiave-di-prova-del-comune-0123456789"
    local = _locale()
    first, body = corpo(n, local)
    book = json.loads(body)

    def valida(corpo: bytes):
        local.post("/xlwings/custom-scripts-call/valida", content=corpo,
                   headers={"Content-Type": "application/json"}).raise_for_status()

    prima = best(lambda: valida(body), 7)   # before Blocca: no seals to check
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
            dopo = json.dumps(applica_valori(book, acts)).encode()
            print(f"richiesta dopo Blocca (sigilli copiati in _meta): {len(dopo) / MB:.2f} MB")
    over = [k for k, (s, _) in sizes.items() if s >= LIMITE_WEB]
    print("oltre i 5 MB: " + (", ".join(over) if over else "nessuna risposta"))

    def controllo(path):
        with gc_paused():   # as the CLI's verifica runs it (verifica_file)
            esegui_verifica(leggi_cartella(path, cfg), cfg, oggi)

    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        base, base_runs, base_cpu = best(lambda: controllo(path), 7)
    print(f"carico medio {os.getloadavg()[0]:.1f}; migliore di 7 (tempo; CPU del processo)")
    print(f"controllo CLI dello stesso file (calamine + regole, base): {base:.3f} s; CPU {base_cpu:.3f} s "
          f"[{', '.join(f'{x:.2f}' for x in base_runs)}]")
    sigillata = best(lambda: valida(dopo), 7)
    for what, (t_valida, runs, cpu) in (("prima di Blocca", prima), ("dopo Blocca, sigilli verificati", sigillata)):
        print(f"Valida lato server (endpoint reale), {what}: {t_valida:.3f} s ({t_valida / base:.2f}x); "
              f"CPU {cpu:.3f} s ({cpu / base_cpu:.2f}x) [{', '.join(f'{x:.2f}' for x in runs)}]")
    # what the seals add (register's seals read and checked, `_meta` copies compared): after minus before
    print(f"costo dei sigilli (dopo Blocca meno prima): {sigillata[0] - prima[0]:.3f} s; "
          f"CPU {sigillata[2] - prima[2]:.3f} s ({(sigillata[2] - prima[2]) / base_cpu:.2f}x la CPU della base)")

    os.environ.pop("RENDICONTA_CHIAVE", None)
    concorrenza(n, body)


def concorrenza(n: int, body: bytes, campioni: int = 80) -> None:
    """RC.FINESTRA's latency alone and while one and two 10,000-row Verificas run for another user, with
    the scripts in threads of the server (RENDICONTA_PROCESSI=0, the baseline) and in worker processes."""
    import httpx

    call = json.dumps(CHIAMATA).encode()
    righe = []
    for processi in (0, 2):
        with server(processi) as (url, pid):
            def finestra(c: httpx.Client) -> float:
                t = time.perf_counter()
                c.post(url + "/xlwings/custom-functions-call", content=call,
                       headers={"Content-Type": "application/json"}).raise_for_status()
                return time.perf_counter() - t

            def verifica(v: httpx.Client) -> float:
                t = time.perf_counter()
                v.post(url + "/xlwings/custom-scripts-call/verifica", content=body,
                       headers={"Content-Type": "application/json"}).raise_for_status()
                return time.perf_counter() - t

            with httpx.Client(timeout=600) as c:
                verifica(c)   # warm-up: modules imported, register created
                for k in (0, 1, 2):
                    stop, done = threading.Event(), []

                    def carico():
                        with httpx.Client(timeout=600) as v:   # another user: another connection
                            while not stop.is_set():
                                done.append(verifica(v))

                    bg = [threading.Thread(target=carico) for _ in range(k)]
                    for b in bg:
                        b.start()
                    time.sleep(0.5 if k else 0)
                    lat = []
                    while len(lat) < campioni or (k and len(done) < k):   # at least one Verifica each
                        lat.append(finestra(c))
                        time.sleep(0.02)
                    stop.set()
                    for b in bg:
                        b.join()
                    righe.append((processi, k, lat, done, os.getloadavg()[0]))
            picchi = memoria(pid)
        print(f"memoria di picco del server ({'thread' if not processi else f'{processi} processi'}): "
              + ", ".join(f"{nome} {mb:.0f} MB" for nome, mb in picchi))
    print(f"RC.FINESTRA (ms; {campioni} chiamate o più per riga, una ogni 20 ms; Verifiche di {n:,} righe):")
    print("| script in | Verifiche in corso | mediana | 95° percentile | massimo | Verifiche (durata mediana) "
          "| carico medio |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for processi, k, lat, done, carico in righe:
        p95 = statistics.quantiles(lat, n=20, method="inclusive")[18]
        print(f"| {'thread' if not processi else f'{processi} processi'} | {k} | {statistics.median(lat) * 1000:.0f} "
              f"| {p95 * 1000:.0f} | {max(lat) * 1000:.0f} | "
              + (f"{len(done)} ({statistics.median(done):.1f} s)" if done else "-") + f" | {carico:.1f} |")


CHIAMATA = {"func_name": "finestra", "args": [[["18/03/2026"]]], "caller_address": "Spese!A1",
            "version": "", "client": "Office.js", "runtime": "1.4", "culture_info_name": "it-IT",
            "date_format": "gg/mm/aaaa"}


@contextlib.contextmanager
def server(processi: int):
    """A real server in its own process (uvicorn on addin.serve:crea_app, plain HTTP on 127.0.0.1,
    local development mode), so that the clients of the benchmark do not share its GIL."""
    import httpx
    import xlwings as xw

    CHIAMATA["version"] = xw.__version__
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="bench-server-")
    env = {**os.environ, "RENDICONTA_PROCESSI": str(processi), "RENDICONTA_REGISTRO": f"sqlite:///{tmp}/registro.sqlite",
           "RENDICONTA_CHIAVE": "chiave-di-prova-del-comune-0123456789", "XLWINGS_LOG_LEVEL": "WARNING",
           "RENDICONTA_VERBALI": f"{tmp}/verbali"}   # Verifica's verbali PDF/A: not in the user's data folder
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "addin.serve:crea_app", "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env, cwd=HERE.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                httpx.post(url + "/xlwings/custom-functions-call", json=CHIAMATA, timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None:
                    raise RuntimeError("il server non è partito") from None
                time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)


def memoria(pid: int) -> list[tuple[str, float]]:
    """Peak resident memory (VmHWM, Linux) of the server process and of its worker processes."""
    def picco(p: int) -> float:
        try:
            with open(f"/proc/{p}/status") as f:
                return next(int(r.split()[1]) for r in f if r.startswith("VmHWM")) / 1024
        except (OSError, StopIteration):
            return float("nan")

    def lavoratore(p: int) -> bool:   # not multiprocessing's resource tracker
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                return b"resource_tracker" not in f.read()
        except OSError:
            return False

    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            figli = [int(x) for x in f.read().split() if lavoratore(int(x))]
    except OSError:
        figli = []
    return [("server", picco(pid))] + [(f"processo {i}", picco(p)) for i, p in enumerate(figli, 1)]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    righe = int(args[0]) if args else 10_000
    if "--solo-funzioni" in sys.argv:   # only the custom function's latency (builds the workbook, no Valida timing)
        concorrenza(righe, corpo(righe)[1])
    else:
        main(righe)
