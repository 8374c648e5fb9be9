"""The `rendiconta` command: help, budget/demo tables at 80 columns, rules catalogue, errors."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from addin.cli import app

runner = CliRunner()


def run(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_help_lists_commands():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    for cmd in ("budget", "regole", "demo"):
        assert cmd in r.output


def test_budget_table_at_80_columns():
    r = run("budget")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    p4 = next(line for line in lines if line.startswith("P4 "))
    assert "8,73%" in p4 and "NO (indicativo)" in p4
    ats = next(line for line in lines if line.startswith("ATS ") and "%" in line)
    assert "13,64%" in ats and "sì (vincolante)" in ats and "2.209.555,79" in ats
    assert sum(1 for line in lines if "NO (" in line) == 1
    # tranche plan with due dates
    p1 = [line for line in lines if line.startswith("P1 ")][-1]
    assert "433.476,79" in p1 and "216.738,39" in p1 and "72.246,13" in p1
    text = r.stdout
    for due in ("30/06/2026", "30/11/2026", "30/04/2027"):
        assert due in text
    # P4: 196,406.30 / 9 = 21,822.92 needed (10% of the total cost once added), 21,822.92 - 18,793.08 missing
    flat = " ".join(text.split())
    assert "servono 21.822,92 €, mancano 3.029,84 €" in flat


def test_demo_flags_p4_and_ats():
    r = run("demo")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("P4 ") and "8,73%" in line and "NO (indicativo)" in line for line in lines)
    assert any(line.startswith("ATS ") and "13,64%" in line and "(vincolante)" in line for line in lines)


def test_budget_other_year_and_wide_terminal():
    r = run("budget", "--anno", "2028", columns=160)
    assert r.returncode == 0, r.stderr
    assert "30/04/2029" in r.stdout
    assert "Crema città dei bambini e della famiglia" in r.stdout  # full names when there is room


def test_budget_year_outside_period():
    r = run("budget", "--anno", "2030")
    assert r.returncode == 2
    assert "2030" in r.stderr and "2026-2028" in r.stderr


def test_broken_config_exit_code(tmp_path):
    bad = tmp_path / "rotta.toml"
    bad.write_text("nome = \n", encoding="utf-8")
    r = run("budget", "--config", str(bad))
    assert r.returncode == 4
    assert "Errore di configurazione" in r.stderr and "riga 1" in r.stderr


def test_regole_lists_every_code():
    from addin.rules.catalogue import CATALOGO

    r = run("regole", columns=200)
    assert r.returncode == 0, r.stderr
    for code in CATALOGO:
        assert code in r.stdout
