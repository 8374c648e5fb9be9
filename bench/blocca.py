"""Benchmark: `blocca` on a workbook whose `Spese` sheet carries 240,000 empty styled rows (issue 13 case 8:
130 s and 2.7 GB before the empty rows were trimmed) against `blocca` on the same workbook without them.

Both files are generated here (the template with four filled rows; the second one gets 240,000 rows of
24 empty cells with a style after the template's 1,000). Each `blocca` runs in its own process on a
fresh copy, so its peak resident memory is its own. Best of 3 runs.
Usage: python bench/blocca.py [rows]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from addin.config import default_config  # noqa: E402
from hostile.build import save_workbook  # noqa: E402
from hostile.test_memoria import _empty_styled_rows  # noqa: E402
from tests.test_lock import COFIN, KEY, ROWS  # noqa: E402

CHILD = """
import datetime as dt, json, resource, sys, time
from addin.casi.blocca import blocca_file
from addin.config import default_config
cfg = default_config()
t = time.perf_counter()
r = blocca_file(sys.argv[1], cfg, dt.date(2026, 6, 1), sys.argv[2].encode())
print(json.dumps({"s": time.perf_counter() - t, "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "ok": r.modificato}))
"""


def run(src: Path, work: Path) -> tuple[float, float]:
    best_s, best_mb = float("inf"), 0.0
    for _ in range(3):
        p = work / "P1.xlsx"
        shutil.copy2(src, p)
        res = subprocess.run([sys.executable, "-c", CHILD, str(p), KEY.decode()], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        out = json.loads(res.stdout.strip().splitlines()[-1])
        assert out["ok"]
        best_s, best_mb = min(best_s, out["s"]), max(best_mb, out["mb"])
        for f in work.iterdir():
            f.unlink()
    return best_s, best_mb


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 240_000
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        base = save_workbook(d / "base.xlsx", default_config(), ROWS, COFIN)
        big = _empty_styled_rows(base, d / "big.xlsx", n)
        work = d / "work"
        work.mkdir()
        t0, m0 = run(base, work)
        t1, m1 = run(big, work)
    print(f"blocca, template with 4 rows:            {t0:6.2f} s  peak {m0:6.0f} MB")
    print(f"blocca, + {n:,} empty styled rows: {t1:6.2f} s  peak {m1:6.0f} MB  ({t1 / t0:.1f}x)")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(bench run in {time.perf_counter() - started:.0f} s)")
