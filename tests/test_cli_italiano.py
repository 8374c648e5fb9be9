"""What click/typer print on their own (usage errors, help) reaches the user in Italian."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("rendiconta")
ENGLISH = ["Usage:", "Invalid value", "Missing argument", "Try '", "No such", "Got unexpected",
           "Did you mean", "Show this message", "Input should be", "Error:", "Error ", "Options", "Arguments"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120", "TERM": "dumb"}
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("args, expected", [
    (["verifica", "x.xlsx", "--data", "31/13/2026"], "Valore non valido per --data"),
    (["verifica"], "Manca l'argomento"),
    (["verificaa"], "Forse intendevi 'verifica'"),
    (["verifica", "a.xlsx", "b.xlsx"], "Argomenti in più non previsti"),
    (["budget", "--anno", "abc"], "deve essere un numero intero"),
    (["verifica", "--xyz"], "Opzione inesistente: --xyz"),
])
def test_usage_errors_are_italian(args, expected):
    r = run(*args)
    assert r.returncode == 2
    out = r.stdout + r.stderr
    assert expected in out and "Uso: rendiconta" in out and "Per l'aiuto" in out
    assert not [w for w in ENGLISH if w in out], out


def test_help_is_italian():
    r = run("verifica", "--help")
    assert r.returncode == 0
    assert "Uso: rendiconta verifica" in r.stdout and "Mostra questo aiuto ed esce." in r.stdout
    assert "Opzioni" in r.stdout and "Argomenti" in r.stdout
    assert not [w for w in ENGLISH if w in r.stdout], r.stdout


def test_file_names_are_shown_literally_never_as_markup(tmp_path):
    # square brackets in a file name are shown as typed (rich would read "[bozza]" as a style)
    f = tmp_path / "rendiconto [bozza] [bold].xlsx"
    f.write_text("a;b;c\n", encoding="utf-8")
    r = run("verifica", str(f))
    out = " ".join((r.stdout + r.stderr).split())
    assert r.returncode == 3, out
    assert "«rendiconto [bozza] [bold].xlsx»" in out and "Traceback" not in out


def test_markup_in_an_error_message_does_not_crash(tmp_path, monkeypatch):
    # text from a workbook can contain a closing tag such as "[/red]": printed as is, exit code kept
    from typer.testing import CliRunner

    import addin.casi.verifica
    from addin.cli import app
    from addin.errors import ErroreInput

    def boom(*a, **kw):
        raise ErroreInput("valore «[/red]» non valido", foglio="Spese", riga=4, colonna="Partner")

    monkeypatch.setattr(addin.casi.verifica, "verifica_file", boom)
    f = tmp_path / "x.xlsx"
    f.write_bytes(b"")
    res = CliRunner().invoke(app, ["verifica", str(f)])
    assert res.exit_code == 3, res.output
    assert "valore «[/red]» non valido" in " ".join(res.output.split())
