"""Issue 13 case 7: links, temporary files left by a killed `blocca`, the same file consolidated twice,
backups and reports in the folder of the desktop Consolida."""

from __future__ import annotations

import datetime as dt
import os
import shutil

from openpyxl import load_workbook

from addin.casi.blocca import blocca_file
from addin.casi.consolida import cartelle_programma, consolida_file
from addin.casi.verifica import verifica_file
from addin.workbook import schema
from hostile.build import save_workbook
from tests.test_lock import COFIN, KEY, ROWS

LOCK = dt.date(2026, 6, 1)


def test_blocca_on_a_link_locks_the_real_file_and_keeps_the_link(cfg, tmp_path):
    (tmp_path / "archivio").mkdir()
    real = save_workbook(tmp_path / "archivio" / "P1.xlsx", cfg, ROWS, COFIN)
    link = tmp_path / "P1_link.xlsx"
    link.symlink_to(real)
    r = blocca_file(link, cfg, LOCK, KEY)
    assert r.modificato and link.is_symlink() and link.resolve() == real
    assert any("collegamento" in a for a in r.avvisi)
    assert load_workbook(real)[schema.SPESE].protection.sheet          # the real file is locked
    assert r.backup.parent == real.parent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["P1_link.xlsx", "archivio"]


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(cfg, tmp_path):
    p = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    stale = [tmp_path / ".P1.blocca-ab12cd34.xlsx", tmp_path / ".P1.k3j_x9a0.xlsx"]   # new and first naming
    for s in stale:
        s.write_bytes(b"PK\x03\x04 partial")
    keep = tmp_path / ".P1.appunti.xlsx"          # not one of ours
    keep.write_bytes(b"x")
    r = blocca_file(p, cfg, LOCK, KEY)
    assert not any(s.exists() for s in stale) and keep.exists()
    assert sum("file temporaneo" in a for a in r.avvisi) == 2


def test_the_same_file_twice_is_consolidated_once(cfg, tmp_path):
    p = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    link = tmp_path / "P1_collegamento.xlsx"
    link.symlink_to(p)
    copy = tmp_path / "copia" / "P1.xlsx"
    copy.parent.mkdir()
    shutil.copy2(p, copy)
    once = consolida_file([p], cfg, LOCK, tmp_path / "uno.xlsx")
    many = consolida_file([p, str(p.resolve()), link, copy, os.path.relpath(p)], cfg, LOCK, tmp_path / "tanti.xlsx")
    total = next(x.rendicontato for x in once.programmi if x.programma == 1)
    # 100.10 + 50 + 70 + 30 = 250.10, whatever the number of times the file is given
    assert str(total) == "250.10"
    assert next(x.rendicontato for x in many.programmi if x.programma == 1) == total
    assert sum("considerato una volta sola" in a.descrizione for a in many.anomalie) == 4


def test_desktop_consolida_picks_programme_workbooks_by_their_type(cfg, tmp_path):
    p = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    blocca_file(p, cfg, LOCK, KEY)                               # leaves P1.bak-<stamp>.xlsx
    verifica_file(p, cfg, LOCK, out=tmp_path / "P1_verifica.xlsx")
    (tmp_path / "appunti.xlsx").write_bytes((tmp_path / "P1_verifica.xlsx").read_bytes())
    names = sorted(x.name for x in tmp_path.iterdir())
    assert any(".bak-" in n for n in names) and "P1_verifica.xlsx" in names
    assert [os.path.basename(x) for x in cartelle_programma(tmp_path)] == ["P1.xlsx"]
