"""Broken and hostile input files: a clear Italian message, a non-zero exit code, the input untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from addin.cli import app
from addin.errors import EXIT_INPUT, ErroreInput
from addin.workbook.reader import leggi_cartella
from hostile.build import save_workbook
from hostile.build import spesa_valida as _spesa
from hostile.corpus import casi

runner = CliRunner()


@pytest.fixture(scope="module")
def base(tmp_path_factory, cfg) -> Path:
    d = tmp_path_factory.mktemp("base")
    return save_workbook(d / "base.xlsx", cfg, [_spesa(), _spesa(numero_documento="F2")])


def _digest(p: Path) -> str | None:
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


CASI = casi()


def test_corpus_has_at_least_30_cases():
    assert len(CASI) >= 30
    assert len({c[0] for c in CASI}) == len(CASI)


@pytest.mark.parametrize("name,build,fragment", CASI, ids=[c[0] for c in CASI])
def test_hostile_file_via_cli(name, build, fragment, base, tmp_path):
    path = build(tmp_path, base)
    before = _digest(path)
    listing = sorted(p.name for p in tmp_path.iterdir())
    res = runner.invoke(app, ["verifica", str(path), "--data", "01/06/2026"])
    out = " ".join(res.output.split())
    assert res.exit_code == EXIT_INPUT, out
    assert fragment in out, out
    assert "Traceback" not in out
    assert _digest(path) == before                                    # input byte-identical
    assert sorted(p.name for p in tmp_path.iterdir()) == listing      # no report, no temp file left


def test_missing_file_via_cli(tmp_path):
    res = runner.invoke(app, ["verifica", str(tmp_path / "non_esiste.xlsx")])
    assert res.exit_code == EXIT_INPUT
    assert "il file non esiste" in " ".join(res.output.split())


def test_errors_name_file_sheet_and_column(base, tmp_path, cfg):
    for name, build, _ in CASI:
        if name == "colonna_importo_mancante":
            path = build(tmp_path, base)
    with pytest.raises(ErroreInput) as exc:
        leggi_cartella(path, cfg)
    e = exc.value
    assert (e.foglio, e.riga, e.colonna) == ("Spese", 3, "Importo rendicontato")
    assert e.file == "senza_importo.xlsx"


def test_xlsm_with_macros_is_read_not_executed(base, tmp_path, cfg):
    """A workbook carrying a VBA project: the data are read, a warning says macros were not run."""
    import zipfile

    p = tmp_path / "con_macro.xlsm"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Sub Auto_Open() Shell \"calc\" End Sub")
    before = _digest(p)
    c = leggi_cartella(p, cfg)
    assert [s.numero_documento for s in c.spese] == ["F1", "F2"]
    assert any("macro" in a and "non sono state eseguite" in a for a in c.avvisi)
    out = tmp_path / "rep.xlsx"
    res = runner.invoke(app, ["verifica", str(p), "--data", "01/06/2026", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "non sono state eseguite" in " ".join(res.output.split())
    assert _digest(p) == before and out.is_file()
