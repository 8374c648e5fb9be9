"""Benchmark: the verbale di verifica in PDF/A (addin.documenti.verbale.scrivi_verbale, LibreOffice's
exporter), as `rendiconta verifica --pdf` and the add-in's Verifica button write it, against the check
and the report workbook of the same file in the same run (verifica_file: read, every rule, report .xlsx).

For each size a programme workbook is built from the real template (bench/verifica.py's `build`) and
checked at DATA_DEMO; printed: rows not (fully) admitted (one verbale line each, reasons in full),
pages and size of the PDF, time of the verbale and of the baseline, and their ratio. Best of 2 runs.
Usage: python bench/verbale.py [sizes...]   (default 1000 10000)
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verifica import build  # noqa: E402

from addin.casi.verifica import verifica_file  # noqa: E402
from addin.config import default_config  # noqa: E402
from addin.demo_data import DATA_DEMO  # noqa: E402
from addin.documenti.verbale import scrivi_verbale  # noqa: E402


def pages(pdf: Path) -> str:
    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    except OSError:
        return "?"
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")), "?")


def main(sizes: list[int]) -> None:
    cfg = default_config()
    print(f"verbale PDF/A - {dt.datetime.now():%d/%m/%Y %H:%M}, carico medio {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = build(cfg, n, Path(tmp) / f"P1_{n}.xlsx")
            base, pdf_t = [], []
            for k in range(2):
                t = time.perf_counter()
                r, _ = verifica_file(path, cfg, DATA_DEMO, out=Path(tmp) / f"r{k}.xlsx")
                base.append(time.perf_counter() - t)
                t = time.perf_counter()
                pdf = scrivi_verbale(r, Path(tmp) / f"v{n}.pdf")
                pdf_t.append(time.perf_counter() - t)
            rows = sum(1 for e in r.esiti if e.importo_ammesso < e.importo)
            print(f"{n:>6,} righe ({rows:,} non ammesse o ammesse in parte): verbale {min(pdf_t):.2f} s, "
                  f"{pages(pdf)} pagine, {pdf.stat().st_size / 1024 / 1024:.2f} MB; controllo + report "
                  f"{min(base):.2f} s; rapporto {min(pdf_t) / min(base):.1f}x")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
