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
