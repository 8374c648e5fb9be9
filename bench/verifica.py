"""Benchmark: `verifica` on 1k, 10k and 50k expense rows against a bare python-calamine read.

For each size a programme workbook is built from the real template (demo rows repeated with unique
document numbers), then timed in the same run:
- bare read: python-calamine opens the file and reads the four sheets the reader uses (to_python);
- check: addin.workbook.reader.leggi_cartella + addin.casi.verifica.esegui_verifica (safety checks, parsing,
  every rule, co-financing, tranches, sample);
- verifica: the whole command path, verifica_file (check + report workbook written with openpyxl).
Peak memory of the check is measured with tracemalloc (Python allocations); the process peak RSS
(including python-calamine's native memory) is printed at the end. Best of 3 runs (2 with the report).
Usage: python bench/verifica.py [sizes...]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import python_calamine as pc

from addin.casi.verifica import esegui_verifica, verifica_file
from addin.config import default_config
from addin.demo_data import DATA_DEMO, genera_demo
from addin.workbook import schema as S
from addin.workbook.reader import leggi_cartella
from addin.workbook.report import righe_testo


def build(cfg, n: int, path: Path) -> Path:
    demo = genera_demo(cfg)
    rows = []
    i = 0
    while len(rows) < n:
        for s in demo.spese:
            if len(rows) >= n:
                break
            c = replace(s, errori=[])
            c.numero_documento = f"{s.numero_documento}-{i}"
            rows.append(c)
        i += 1
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template

    wb = build_template(cfg, 1, 2026)
    tab = wb[S.SPESE].tables[S.TAB_SPESE]
    first, last = tab.ref.split(":")
    col = last.rstrip("0123456789")
    header_row = int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if n > int(last[len(col):]) - header_row:   # the template is pre-sized to 1,000 rows: enlarge the table
        tab.ref = f"{first}:{col}{header_row + n}"
        if tab.autoFilter is not None:
            tab.autoFilter.ref = tab.ref
    fill_workbook(wb, rows, demo.cofinanziamento, demo.budget)
    wb.save(path)
    return path


def bare_read(path: Path) -> int:
    wb = pc.CalamineWorkbook.from_path(str(path))
    n = 0
    for name in (S.SPESE, S.COFINANZIAMENTO, S.BUDGET, S.META):
        n += len(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    wb.close()
    return n


def best(fn, repeat: int = 3) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main(sizes: list[int]) -> None:
    cfg = default_config()
    print(f"{'righe':>7} | {'calamine':>9} | {'verifica (controllo)':>20} | {'rapporto':>8} | "
          f"{'verifica + report':>17} | {'rapporto':>8} | {'picco memoria':>13} | {'file':>8}")
    print("-" * 112)
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            src = build(cfg, n, Path(d) / f"P1_{n}.xlsx")
            t_bare = best(lambda: bare_read(src))
            t_check = best(lambda: esegui_verifica(leggi_cartella(src, cfg), cfg, DATA_DEMO))
            t_full = best(lambda: (righe_testo.cache_clear(),    # one report per process, as the CLI writes it
                                   verifica_file(src, cfg, DATA_DEMO, out=Path(d) / "r.xlsx")), 2)
            tracemalloc.start()
            esegui_verifica(leggi_cartella(src, cfg), cfg, DATA_DEMO)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{n:>7} | {t_bare:>8.3f}s | {t_check:>19.3f}s | {t_check / t_bare:>7.1f}× | "
                  f"{t_full:>16.3f}s | {t_full / t_bare:>7.1f}× | {peak / 2**20:>10.1f} MB | "
                  f"{src.stat().st_size / 2**20:>5.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Picco di memoria del processo (RSS, incluse le allocazioni native di calamine): {rss:.0f} MB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000])
