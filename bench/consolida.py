"""Benchmark of `rendiconta consolida`: six programme workbooks of 10,000 expense rows each.

The workbooks are built from the real templates with fill_workbook (the Spese table is enlarged to
10,000 rows for the occasion) and cached in the temporary folder (rendiconta_bench_consolida). In the same run the script times
  1. bare python-calamine reads of the same six files (every sheet the reader needs, to Python values);
  2. consolida_file end to end: safe read + parse, the one-click check of each workbook, the
     consolidation (anomalies, double funding, actions, partners) and the writing of the
     consolidated workbook with its 60,000-row Spese sheet and charts.
Target: (2) <= 3 s and <= 5x (1). Results are printed and written into docs/consolidamento.md
between the BENCH markers.

Run: .venv/bin/python bench/consolida.py [--rows 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin.config import default_config  # noqa: E402
from addin.casi.consolida import consolida, consolida_file  # noqa: E402
from addin.demo_data import genera_demo  # noqa: E402
from addin.workbook import schema as S  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "rendiconta_bench_consolida"
DOC = ROOT / "docs" / "consolidamento.md"
DATA = dt.date(2026, 10, 15)


def build(rows: int) -> list[Path]:
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template

    cfg = default_config()
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in cfg.programmi:
        path = CACHE / f"P{p.codice}_{rows}.xlsx"
        paths.append(path)
        if path.exists():
            continue
        spese, cofin, budget, seed = [], None, None, 0
        while len(spese) < rows:
            d = genera_demo(cfg, p.codice, 2026, seme=1000 * p.codice + seed)
            for s in d.spese:
                if s.numero_documento:
                    s.numero_documento = f"P{p.codice}-{seed}-{s.numero_documento}"
            spese += d.spese
            cofin = cofin or d.cofinanziamento
            budget = budget or d.budget
            seed += 1
        spese = spese[:rows]
        wb = build_template(cfg, p.codice, 2026)
        ws = wb[S.SPESE]
        for t in ws.tables.values():
            if t.displayName == S.TAB_SPESE:
                first, last = t.ref.split(":")
                col = re.match(r"[A-Z]+", last).group(0)
                start = int(re.search(r"\d+", first).group(0))
                t.ref = f"{first}:{col}{start + rows}"
                if t.autoFilter is not None:
                    t.autoFilter.ref = t.ref
        fill_workbook(wb, spese, cofin, budget, cfg)
        wb.save(path)
        print(f"  generato {path.name} ({rows} righe)", flush=True)
    return paths


def bare_reads(paths: list[Path]) -> float:
    import python_calamine as pc

    t = time.perf_counter()
    for p in paths:
        wb = pc.CalamineWorkbook.from_path(str(p))
        for name in (S.SPESE, S.COFINANZIAMENTO, S.BUDGET, S.META):
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        wb.close()
    return time.perf_counter() - t


def phases(paths: list[Path]) -> dict[str, float]:
    """Where the time goes, measured separately: the safe reader, the one-click check (both shared
    with `rendiconta verifica`), the consolidation proper and the writing. In consolida_file the
    reading runs in threads alongside the parsing and the checks, so the phases add up to more than
    the whole."""
    from addin.runtime import gc_paused

    with gc_paused():    # as consolida_file runs
        return _phases(paths)


def _phases(paths: list[Path]) -> dict[str, float]:
    from addin.casi.verifica import esegui_verifica
    from addin.workbook.consolidation import scrivi_consolidato
    from addin.workbook.reader import leggi_cartella

    cfg = default_config()
    out: dict[str, float] = {}
    t = time.perf_counter()
    cartelle = [leggi_cartella(p, cfg) for p in paths]
    out["lettura sicura + parsing (reader)"] = time.perf_counter() - t
    t = time.perf_counter()
    verificate = [esegui_verifica(c, cfg, DATA) for c in cartelle]
    out["verifica dei 6 file (esegui_verifica)"] = time.perf_counter() - t
    t = time.perf_counter()
    r = consolida(verificate, cfg, DATA)
    out["consolidamento esclusa la verifica"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        scrivi_consolidato(r, Path(d) / "c.xlsx", cfg)
        out["scrittura consolidato"] = time.perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-doc", action="store_true", help="do not update docs/consolidamento.md")
    a = ap.parse_args()
    cfg = default_config()
    print(f"Preparazione di 6 cartelle da {a.rows} righe (cache in {CACHE})...", flush=True)
    paths = build(a.rows)
    load = os.getloadavg()[0]
    bare, full = [], []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(a.repeat):
            bare.append(bare_reads(paths))
            t = time.perf_counter()
            r = consolida_file(paths, cfg, DATA, Path(d) / "consolidato.xlsx")
            full.append(time.perf_counter() - t)
            size = (Path(d) / "consolidato.xlsx").stat().st_size
    ph = phases(paths)
    b, f = min(bare), min(full)
    ratio = f / b
    lines = [
        f"- Macchina: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
        f"{platform.system()}; carico medio all'avvio {load:.1f}; migliore di {a.repeat} esecuzioni, "
        f"{dt.date.today():%d/%m/%Y}.",
        f"- Input: 6 cartelle (P1-P6) da {a.rows:,} righe di spesa ciascuna ({r.righe_spese:,} righe in tutto)".replace(",", ".")
        + ", generate dai modelli reali con fill_workbook.",
        f"- Letture «nude» python-calamine degli stessi file: **{b:.2f} s**.",
        f"- `consolida_file` completo (lettura sicura, verifica di ogni file, consolidamento, scrittura di "
        f"un consolidato di {size / 1e6:.1f} MB con il foglio Spese e i grafici): **{f:.2f} s**, "
        f"**{ratio:.1f}×** le letture nude (singole esecuzioni: "
        + "; ".join(f"{x:.2f}" for x in full) + " s).",
        "- Fasi (misurate a parte): " + "; ".join(f"{k} {v:.2f} s" for k, v in ph.items()) + ".",
        f"- Obiettivo ≤ 3 s: **{'raggiunto' if f <= 3.0 else 'NON raggiunto'}**; obiettivo ≤ 5× le letture "
        f"nude: **{'raggiunto' if ratio <= 5.0 else 'NON raggiunto'}**.",
    ]
    print("\n".join(lines))
    if not a.no_doc and DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        new = re.sub(r"(<!-- BENCH:START -->\n).*?(<!-- BENCH:END -->)",
                     lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2), text, flags=re.S)
        DOC.write_text(new, encoding="utf-8")
        print(f"Risultati scritti in {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
