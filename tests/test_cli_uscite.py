"""Command-line hygiene through the installed console script: output permissions from the umask,
`--out` refusals (missing folder, wrong extension, inputs, keys, devices, folders, existing files
without --sovrascrivi), Italian OS errors, one exit-code table (serve included), --version, Italian
help and 80-column output."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from hostile.build import build_workbook
from tests.test_verbale import ROWS

EXE = shutil.which("rendiconta", path=str(Path(sys.executable).parent)) or "rendiconta"


def run(*args: str, umask: int | None = None, cwd: Path | None = None, columns: int = 80) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "dumb", "NO_COLOR": "1"}
    env.pop("RENDICONTA_CHIAVE", None)

    def pre() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, cwd=cwd, preexec_fn=pre,
                          timeout=300)


def flat(res: subprocess.CompletedProcess) -> str:
    return " ".join((res.stdout + res.stderr).split())


@pytest.fixture(scope="module")
def programme(tmp_path_factory, cfg) -> Path:
    p = tmp_path_factory.mktemp("uscite") / "P1_2026.xlsx"
    build_workbook(cfg, ROWS).save(p)
    return p


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_get_the_umask_permissions(tmp_path, programme, mask, mode):
    res = run("modello", "--programma", "2", "--out", str(tmp_path / "m.xlsx"), umask=mask)
    assert res.returncode == 0, flat(res)
    assert stat.S_IMODE((tmp_path / "m.xlsx").stat().st_mode) == mode
    res = run("verifica", str(programme), "--data", "31/05/2026", "--out", str(tmp_path / "r.xlsx"), umask=mask)
    assert res.returncode == 0, flat(res)
    assert stat.S_IMODE((tmp_path / "r.xlsx").stat().st_mode) == mode


def test_missing_folder_is_an_error_and_is_not_created(tmp_path):
    target = tmp_path / "non_esiste" / "sotto" / "x.xlsx"
    res = run("modello", "--programma", "1", "--out", str(target))
    assert res.returncode == 5, flat(res)
    assert "non esiste" in flat(res) and not (tmp_path / "non_esiste").exists()
    res = run("modelli", "--out-dir", str(tmp_path / "manca"))
    assert res.returncode == 5 and not (tmp_path / "manca").exists(), flat(res)


@pytest.mark.parametrize("cmd", [["modello", "--programma", "1"], ["verifica", "{prog}", "--data", "31/05/2026"]])
@pytest.mark.parametrize("name", ["x.ods", "r.csv", "senza_estensione"])
def test_output_extension_must_match(tmp_path, programme, cmd, name):
    args = [a.replace("{prog}", str(programme)) for a in cmd]
    res = run(*args, "--out", str(tmp_path / name))
    assert res.returncode == 5, flat(res)
    assert ".xlsx" in flat(res)
    assert list(tmp_path.iterdir()) == []


def test_out_never_overwrites_inputs_keys_devices_or_folders(tmp_path, programme):
    prog = tmp_path / "P1.xlsx"
    shutil.copy(programme, prog)
    other = tmp_path / "P2.xlsx"
    shutil.copy(programme, other)
    key = tmp_path / "chiave.key"
    key.write_text("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
    before = {p: digest(p) for p in (prog, other, key)}
    cases = [
        (["verifica", str(prog), "--out", str(prog)], "file di input"),
        (["verifica", str(prog), "--out", str(prog), "--sovrascrivi"], "file di input"),
        (["verifica", str(prog), "--out-pdf", str(tmp_path / "chiave.pdf"), "--out", str(key)], "estensione"),
        (["consolida", str(prog), str(other), "--out", str(other), "--sovrascrivi"], "file di input"),
        (["verifica", str(prog), "--out", str(other)], "--sovrascrivi"),     # another programme's workbook
        (["verifica", str(prog), "--out", str(tmp_path)], "estensione"),
        (["modello", "--programma", "1", "--out", "/dev/null"], "estensione"),
    ]
    (tmp_path / "cartella.xlsx").mkdir()
    cases.append((["modello", "--programma", "1", "--out", str(tmp_path / "cartella.xlsx"), "--sovrascrivi"],
                  "non è un file ordinario"))
    small = tmp_path / "chiave.xlsx"                       # a key file that happens to be named .xlsx
    small.write_text("segreto-del-comune\n")
    before[small] = digest(small)
    cases.append((["modello", "--programma", "1", "--out", str(small), "--sovrascrivi"], "chiave"))
    link = tmp_path / "link.xlsx"
    link.symlink_to(other)
    cases.append((["modello", "--programma", "1", "--out", str(link), "--sovrascrivi"], "non è un file ordinario"))
    for args, words in cases:
        res = run(*args)
        assert res.returncode == 5, (args, flat(res))
        assert words in flat(res), (args, flat(res))
    assert {p: digest(p) for p in before} == before
    assert not (tmp_path / "chiave.pdf").exists()


def test_sovrascrivi_replaces_an_existing_output(tmp_path, programme):
    out = tmp_path / "rep.xlsx"
    out.write_bytes(b"PK\x03\x04" + b"0" * 5000)       # an old report
    res = run("verifica", str(programme), "--data", "31/05/2026", "--out", str(out))
    assert res.returncode == 5 and "--sovrascrivi" in flat(res)
    res = run("verifica", str(programme), "--data", "31/05/2026", "--out", str(out), "--sovrascrivi")
    assert res.returncode == 0, flat(res)
    assert out.stat().st_size > 5004


def test_os_errors_are_italian(tmp_path):
    res = run("modello", "--programma", "1", "--out", "/sys/x.xlsx")   # not writable, even for root
    assert res.returncode == 5
    text = flat(res)
    assert "permesso negato" in text or "inesistente" in text
    for english in ("Permission denied", "No such file", "Errno", "Traceback", "Errore interno"):
        assert english not in text


def test_exit_codes_follow_one_table(tmp_path):
    for args in (["budget", "--anno", "2029"], ["modello", "--programma", "1", "--anno", "2029", "--out",
                                                   str(tmp_path / "x.xlsx")],
                 ["modelli", "--anno", "2029", "--out-dir", str(tmp_path)], ["modello", "--programma", "9",
                                                                              "--out", str(tmp_path / "y.xlsx")],
                 ["verifica", "x.xlsx", "--data", "31/02/2026"], ["comando-inesistente"]):
        res = run(*args)
        assert res.returncode == 2, (args, flat(res))
    res = run("verifica", str(tmp_path / "manca.xlsx"))
    assert res.returncode == 3, flat(res)
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_busy_port_exits_9_in_italian():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        res = run("serve", "--http", "--port", str(port))
    assert res.returncode == 9, flat(res)
    assert "già in uso" in flat(res) and "address already in use" not in flat(res).lower()


def test_version():
    res = run("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"rendiconta {version('rendiconta')}"


def test_help_is_italian_and_fits_80_columns():
    commands = ["budget", "regole", "verifica", "modello", "modelli", "blocca", "consolida", "serve", "demo"]
    for args in ([], *[[c] for c in commands]):
        res = run(*args, "--help")
        assert res.returncode == 0, (args, flat(res))
        for english in ("[OPTIONS]", "COMMAND", "[ARGS]", "<bool>", "<list[Path]>", "<int>", "<path>", "<str>",
                        "Usage:", "Options", "Show this message"):
            assert english not in res.stdout, (args, english)
        assert max(len(line) for line in res.stdout.splitlines()) <= 80, args


def test_regole_at_80_columns_shows_every_code_in_full():
    from addin.rules.catalogue import CATALOGO

    res = run("regole")
    assert res.returncode == 0
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    for code in CATALOGO:
        assert code in res.stdout, code
    assert "…" not in res.stdout


def test_modelli_regenerates_empty_templates_but_never_a_filled_workbook(tmp_path, programme):
    res = run("modelli", "--out-dir", str(tmp_path))
    assert res.returncode == 0, flat(res)
    res = run("modelli", "--out-dir", str(tmp_path))                 # the same empty templates: rewritten
    assert res.returncode == 0, flat(res)
    filled = tmp_path / "rendiconto_P1_2026.xlsx"
    shutil.copy(programme, filled)                                    # a partner's filled workbook
    before = digest(filled)
    res = run("modelli", "--out-dir", str(tmp_path))
    assert res.returncode == 5 and "--sovrascrivi" in flat(res), flat(res)
    assert digest(filled) == before
    res = run("modelli", "--out-dir", str(tmp_path), "--sovrascrivi")
    assert res.returncode == 0 and digest(filled) != before


def test_verifica_output_at_80_columns(tmp_path, programme):
    # the workbook's own decision column (DECISIONE_COMUNE below) counts only in the file-only check
    res = run("verifica", str(programme), "--data", "31/05/2026", "--out", str(tmp_path / "r.xlsx"),
              "--senza-registro")
    assert res.returncode == 0, flat(res)
    lines = [ln for ln in res.stdout.splitlines() if str(tmp_path) not in ln]
    assert lines and max(len(ln) for ln in lines) <= 80
    assert "…" not in res.stdout
    for code in ("PAGAMENTO_MANCANTE", "PAGAMENTO_NON_TRACCIABILE", "DECISIONE_COMUNE", "CATEGORIA_NON_AMMISSIBILE",
                 "IMPORTO_OLTRE_DOCUMENTO"):
        assert code in res.stdout, code
