"""Case 1 of issue 13: a key source is a file or a value, never guessed; every bad key exits 6."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from addin.cli import app
from addin.errors import EXIT_KEY, ErroreChiave
from addin.workbook.seals import carica_chiave, leggi_chiave
from hostile.build import save_workbook
from tests.test_lock import COFIN, ROWS

KEY = b"chiave-segreta-del-comune-di-crema-2026"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    monkeypatch.delenv("RENDICONTA_CHIAVE_FILE", raising=False)


def _out(res) -> str:
    return " ".join(res.output.split())     # rich wraps long lines at the terminal width


def _sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_missing_key_file_named_by_the_value_variable_is_refused_not_used_as_key(cfg, tmp_path, monkeypatch):
    wb = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    before = _sha(wb)
    monkeypatch.setenv("RENDICONTA_CHIAVE", "/mnt/comune/chiavi/chiave_comune.txt")   # share not mounted
    res = CliRunner().invoke(app, ["blocca", str(wb), "--data", "01/06/2026"])
    assert res.exit_code == EXIT_KEY, res.output
    assert "contiene un percorso di file" in _out(res) and "RENDICONTA_CHIAVE_FILE" in _out(res)
    assert _sha(wb) == before and sorted(p.name for p in tmp_path.iterdir()) == ["P1.xlsx"]


def test_missing_key_file_variable_and_option(cfg, tmp_path, monkeypatch):
    wb = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    before = _sha(wb)
    monkeypatch.setenv("RENDICONTA_CHIAVE_FILE", str(tmp_path / "non_montata" / "chiave.txt"))
    res = CliRunner().invoke(app, ["blocca", str(wb), "--data", "01/06/2026"])
    assert res.exit_code == EXIT_KEY and "non esiste" in _out(res)
    monkeypatch.delenv("RENDICONTA_CHIAVE_FILE")
    res = CliRunner().invoke(app, ["verifica", str(wb), "--data", "01/06/2026", "--chiave", str(tmp_path / "x.key")])
    assert res.exit_code == EXIT_KEY and "non esiste" in _out(res)
    assert _sha(wb) == before


def test_bom_is_stripped_with_a_note_and_gives_the_same_key(tmp_path):
    plain, bom, utf16 = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    plain.write_bytes(KEY + b"\r\n")
    bom.write_bytes(b"\xef\xbb\xbf" + KEY + b"\n")
    utf16.write_bytes(KEY.decode().encode("utf-16"))     # Notepad "Unicode": BOM FF FE + UTF-16 LE
    assert carica_chiave(plain) == KEY and leggi_chiave(plain).note == []
    k = leggi_chiave(bom)
    assert k.chiave == KEY and "BOM" in k.note[0]
    k = leggi_chiave(utf16)
    assert k.chiave == KEY and "UTF-16" in k.note[0]


def test_bom_note_is_shown_by_the_cli(cfg, tmp_path):
    wb = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    f = tmp_path / "chiave.txt"
    f.write_bytes(b"\xef\xbb\xbf" + KEY)
    res = CliRunner().invoke(app, ["blocca", str(wb), "--data", "01/06/2026", "--chiave", str(f)])
    assert res.exit_code == 0, res.output
    assert "BOM" in _out(res) and "finestra 1/2026" in _out(res)


@pytest.mark.parametrize("content, fragment", [(b"", "è vuota"), (b"  \n", "è vuota"), (b"corta", "troppo corta"),
                                               (b"\xef\xbb\xbf", "è vuota")])
def test_empty_or_short_key_file_exits_6(cfg, tmp_path, content, fragment):
    wb = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    before = _sha(wb)
    f = tmp_path / "chiave.txt"
    f.write_bytes(content)
    res = CliRunner().invoke(app, ["blocca", str(wb), "--data", "01/06/2026", "--chiave", str(f)])
    assert res.exit_code == EXIT_KEY and fragment in _out(res), res.output
    assert _sha(wb) == before


def test_value_variable_and_sources_never_guessed(tmp_path, monkeypatch):
    f = tmp_path / "chiave.txt"
    f.write_bytes(KEY)
    assert carica_chiave(None) is None
    monkeypatch.setenv("RENDICONTA_CHIAVE", "segreto-del-comune-molto-lungo")
    assert carica_chiave(None) == b"segreto-del-comune-molto-lungo"
    monkeypatch.setenv("RENDICONTA_CHIAVE", str(f))      # an existing file's path is still not a key
    with pytest.raises(ErroreChiave, match="percorso di file"):
        carica_chiave(None)
    monkeypatch.setenv("RENDICONTA_CHIAVE", "")
    with pytest.raises(ErroreChiave, match="vuota"):
        carica_chiave(None)
    monkeypatch.delenv("RENDICONTA_CHIAVE")
    monkeypatch.setenv("RENDICONTA_CHIAVE_FILE", str(f))
    assert carica_chiave(None) == KEY
    monkeypatch.setenv("RENDICONTA_CHIAVE", "segreto-del-comune-molto-lungo")
    with pytest.raises(ErroreChiave, match="sia RENDICONTA_CHIAVE_FILE sia RENDICONTA_CHIAVE"):
        carica_chiave(None)
    assert carica_chiave(f) == KEY                       # --chiave wins over the environment
    with pytest.raises(ErroreChiave, match="non è un file"):
        carica_chiave(tmp_path)
