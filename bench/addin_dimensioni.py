"""Benchmark of what the Excel add-in moves between Excel, the task pane and the server, against Excel on
the web's 5 MB (5,242,880 bytes) a request or response, at the largest workbook the templates support
(10,000 rows) and any other size.

A programme workbook built from the real template (as bench/verifica.py), the Comune's register in a
temporary SQLite file, the real endpoint (FastAPI TestClient on addin.serve.crea_app, local development
mode), step by step as an officer works: Valida, Verifica, Blocca, Valida again, Verifica, Registra
decisioni, with the task pane clearing Esito/Importo ammesso/Motivi before Valida, Verifica and Blocca
(static/js/rendiconta.js, svuotaEsiti; tests/dimensioni_web.svuota_esiti). Each request as the task pane
now builds it (static/js/main.js, eseguiScript; tests/dimensioni_web.richiesta_a_blocchi): the large sheets
read in blocks of rows (leggiFogli) and sent as the script's last argument, xlwings' getBookData reading
only `_meta`. For each request: the HTTP body the task pane sends (compact JSON, UTF-8, as JSON.stringify),
the largest single Excel response it took (getBookData of `_meta`, or one block: values with dates as
serial numbers plus the number format of every cell) and, for comparison, what getBookData alone would
have read in ONE request (every sheet the script reads). For each response: the HTTP body and the largest
single Excel write (one setValues, or the formats callback). Sizes are deterministic: no timing here
(bench/addin_server.py times the server).
Usage: python bench/addin_dimensioni.py [rows]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ["RENDICONTA_SVILUPPO_LOCALE"] = "1"   # every role, loopback only: Verifica without tokens
os.environ["DOTENV_PATH"] = str(HERE / "nonexistent.env")
os.environ.setdefault("RENDICONTA_PROCESSI", "0")   # scripts in this process: sizes do not depend on it

MB = 1024 * 1024
LIMITE_WEB = 5 * MB   # 5,242,880 bytes


def dimensioni(n: int, local, cfg) -> dict:
    """The sizes of every step (printed); the largest request and response."""
    from openpyxl import load_workbook
    from verifica import build
    from dimensioni_web import (byte_json, formati_del_modello, lettura_excel, richiesta_a_blocchi,
                                scritture_excel, solo_fogli, svuota_esiti)
    from xlwings_book import applica_valori, book_json

    from addin.workbook.seals import leggi_sigilli
    from addin.xlbridge import FOGLI_DAL_RIQUADRO, FOGLI_DAL_RIQUADRO_DECISIONI
    from macros_py.scripts import FOGLI_DECISIONI, FOGLI_PROGRAMMA

    with tempfile.TemporaryDirectory() as tmp:
        path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
        wb = load_workbook(path)
        formati = formati_del_modello(wb)
        book = solo_fogli(book_json(wb, path.name), FOGLI_PROGRAMMA)
    names = [s["name"] for s in book["sheets"]]
    print(f"{n:,} righe di spesa - {dt.datetime.now():%d/%m/%Y %H:%M}, carico medio {os.getloadavg()[0]:.1f}; "
          f"limite di Excel per il web: {LIMITE_WEB:,} byte a richiesta o risposta")
    print(f"{'passo':<40} {'HTTP':>9} {'Excel':>9} {'in una':>9}  (MB; Excel: la lettura o la scrittura più "
          "grande; «in una»: getBookData di tutti i fogli in una richiesta, come prima)")
    worst = {"richiesta": 0, "risposta": 0}   # Excel's side: the HTTP bodies are not under its limit

    def line(label, http, excel, kind, una=None):
        worst[kind] = max(worst[kind], excel)
        flag = "  OLTRE 5 MB (Excel)" if excel > LIMITE_WEB else ""
        una = f"{una / MB:>9.2f}" if una is not None else " " * 9
        print(f"{label:<40} {http / MB:>9.2f} {excel / MB:>9.2f} {una}{flag}")

    def call(name, book, include=FOGLI_PROGRAMMA, grandi=FOGLI_DAL_RIQUADRO, args=(), svuota=True):
        state = solo_fogli(svuota_esiti(book) if svuota else book, include)
        sent, letture = richiesta_a_blocchi(state, grandi, formati, list(args))
        body = json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode()
        line(f"richiesta {name} ({len(letture)} letture)", len(body), max(letture), "richiesta",
             lettura_excel(state, formati))
        r = local.post(f"/xlwings/custom-scripts-call/{name}", content=body,
                       headers={"Content-Type": "application/json"})
        r.raise_for_status()
        acts = r.json()["actions"]
        line(f"risposta {name} ({len(acts)} azioni)", len(r.content), scritture_excel(acts), "risposta")
        return body, acts

    _, acts = call("valida", book)
    book = applica_valori(book, acts)
    _, acts = call("verifica", book)
    book = applica_valori(book, [a for a in acts if (a.get("sheet_position") or 0) < len(names)])
    _, acts = call("blocca", book)
    book = applica_valori(book, acts)
    meta = next(s["values"] for s in book["sheets"] if s["name"] == "_meta")
    sealed = sum(len(s.righe) for s in leggi_sigilli({r[0]: r[1] for r in meta if r and r[0]}).values())
    print(f"  (righe sigillate: {sealed:,}; `_meta`: {byte_json(meta) / MB:.2f} MB in {len(meta)} righe)")
    _, acts = call("valida", book)                    # the request after Blocca
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
    call("registra_decisioni", decisioni, include=FOGLI_DECISIONI, grandi=FOGLI_DAL_RIQUADRO_DECISIONI,
         args=[""], svuota=False)
    print(f"massimo per Excel: lettura {worst['richiesta'] / MB:.2f} MB, scrittura {worst['risposta'] / MB:.2f} MB "
          f"({'entro' if max(worst.values()) <= LIMITE_WEB else 'OLTRE'} i 5 MB; i corpi HTTP non hanno questo limite)")
    return worst



def main(n: int = 10_000) -> None:
    import logging

    from fastapi.testclient import TestClient

    from addin.config import default_config
    from addin.serve import crea_app

    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as registro:
        os.environ["RENDICONTA_REGISTRO"] = f"sqlite:///{registro}/registro.sqlite"
        os.environ["RENDICONTA_CHIAVE"] = "chiave-di-prova-del-comune-0123456789"
        local = TestClient(crea_app(), client=("127.0.0.1", 50000))
        dimensioni(n, local, default_config())


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
