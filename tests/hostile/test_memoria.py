"""Issue 13 case 8: a sheet with 240,000 empty styled rows and a styles part with hundreds of thousands of
cell formats. The fixtures are generated here (never committed). Memory is measured in a subprocess
(its peak resident size); time is the benchmarks' business, not a test's."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from addin.casi.blocca import blocca_file
from addin.casi.verifica import verifica_file
from addin.errors import ErroreInput
from hostile.build import save_workbook
from hostile.corpus import _sheet_entry
from tests.test_lock import COFIN, KEY, ROWS

LIMITE_MB = 500
N_RIGHE = 240_000


def _rewrite(src: Path, dst: Path, entry: str, write) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename != entry:
                zout.writestr(info.filename, data)
                continue
            with zout.open(info.filename, "w") as fh:
                write(fh, data)
    return dst


def _empty_styled_rows(src: Path, dst: Path, n: int) -> Path:
    """n rows of 24 empty cells with a style each, after the template's 1,000 rows (as a 'format the
    whole column' leaves them)."""
    def write(fh, data):
        head, _, tail = data.partition(b"</sheetData>")
        fh.write(head)
        row = '<row r="%d">' + "".join(f'<c r="{chr(65 + i)}%d" s="3"/>' for i in range(24)) + "</row>"
        for start in range(1004, 1004 + n, 2000):
            fh.write("".join(row % ((r,) * 25) for r in range(start, min(start + 2000, 1004 + n))).encode())
        fh.write(b"</sheetData>" + tail)
    return _rewrite(src, dst, _sheet_entry(src, "Spese"), write)


_CHILD = """
import datetime as dt, json, resource, sys
from addin.casi.blocca import blocca_file
from addin.config import default_config
r = blocca_file(sys.argv[1], default_config(), dt.date(2026, 6, 1), sys.argv[2].encode())
print("RESULT" + json.dumps({"righe": r.righe_spese, "modificato": r.modificato,
                             "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_240000_empty_styled_rows_are_trimmed_within_the_memory_limit(cfg, tmp_path):
    base = save_workbook(tmp_path / "base.xlsx", cfg, ROWS, COFIN)
    p = _empty_styled_rows(base, tmp_path / "P1.xlsx", N_RIGHE)
    with zipfile.ZipFile(p) as z:
        assert z.getinfo(_sheet_entry(p, "Spese")).file_size > 100 * 1024 * 1024   # the case is real
    res = subprocess.run([sys.executable, "-c", _CHILD, str(p), KEY.decode()], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.split("RESULT", 1)[1])
    assert out["modificato"] and out["righe"] == 3              # rows 4, 5, 7 of window 1 sealed
    assert out["mb"] < LIMITE_MB, out
    with zipfile.ZipFile(p) as z:                               # the empty rows are gone from the written file
        assert z.getinfo(_sheet_entry(p, "Spese")).file_size < 5 * 1024 * 1024
    r, _ = verifica_file(p, cfg, dt.date(2026, 6, 1), out=tmp_path / "rep.xlsx", chiave=KEY)
    assert r.sigilli.stato == "verificati"
    assert any("nessuna riga bloccata è stata modificata" in d for d in r.sigilli.dettagli)


def test_hundreds_of_thousands_of_cell_formats_are_refused_with_a_clear_message(cfg, tmp_path):
    base = save_workbook(tmp_path / "base.xlsx", cfg, ROWS, COFIN)

    def write(fh, data):
        head, sep, tail = data.partition(b"</cellXfs>")
        fh.write(head)
        xf = '<xf numFmtId="%d" fontId="%d" fillId="%d" borderId="%d" xfId="0" applyNumberFormat="1"/>'
        for start in range(0, 400_000, 10_000):
            fh.write("".join(xf % (i % 164, i % 97, i % 89, i % 83) for i in range(start, start + 10_000)).encode())
        fh.write(sep + tail)
    p = _rewrite(base, tmp_path / "P1.xlsx", "xl/styles.xml", write)
    before = p.read_bytes()
    for action in (lambda: blocca_file(p, cfg, dt.date(2026, 6, 1), KEY),
                   lambda: verifica_file(p, cfg, dt.date(2026, 6, 1), out=tmp_path / "r.xlsx")):
        with pytest.raises(ErroreInput, match="formati di cella") as exc:
            action()
        assert "64.000" in str(exc.value)
    assert p.read_bytes() == before and not (tmp_path / "r.xlsx").exists()
