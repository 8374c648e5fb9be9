"""Unreadable input files through the installed console script (`rendiconta verifica FILE`, a real
process): every failure of the reader, python-calamine's included, is an Italian message with exit
code 3 (README: input file unreadable), no traceback, no English text of the parsers, the input
untouched and no report written."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from addin.errors import EXIT_INPUT
from hostile.build import save_workbook, spesa_valida

RENDICONTA = Path(sys.executable).with_name("rendiconta")

# what the parsers say (python-calamine, zipfile, XML, the OS) and must never reach the user
_ENGLISH = re.compile(r"[A-Za-z]+Error\b|Traceback|Exception|Cannot|not found|No such|denied|Permission|invalid|"
                      r"corrupt|BadZip|Worksheet|[Ff]ile format|syntax")


def _errore_in_italiano(args: list[str], italian: str) -> None:
    """The console script run on `args` (no key in the environment, wide console) ends with exit code 3
    and an Italian «Errore: …» containing `italian`, with nothing of the parsers' English."""
    env = {k: v for k, v in os.environ.items() if k not in ("RENDICONTA_CHIAVE", "RENDICONTA_CHIAVE_FILE")}
    env["COLUMNS"] = "200"
    res = subprocess.run([str(RENDICONTA), *args], capture_output=True, text=True, timeout=120, env=env)
    said = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == EXIT_INPUT, said
    assert said.startswith("Errore: ") and italian in said, said
    assert not _ENGLISH.search(said), said


@pytest.fixture(scope="module")
def base(tmp_path_factory, cfg) -> Path:
    return save_workbook(tmp_path_factory.mktemp("base") / "base.xlsx", cfg,
                         [spesa_valida(numero_documento="F1"), spesa_valida(numero_documento="F2")])


def _spese_part(base: Path) -> str:
    """The zip entry of the Spese sheet (from the workbook's relationships)."""
    from addin.workbook.reader import parti_fogli

    with zipfile.ZipFile(base) as zf:
        return next(e for e, n in parti_fogli(zf).items() if n == "Spese")


def _rezip(base: Path, dest: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dest


def _write(dest: Path, data: bytes) -> Path:
    dest.write_bytes(data)
    return dest


def _crc_broken(base: Path, dest: Path) -> Path:
    """One byte of the compressed Spese sheet changed: the zip directory is intact, the part is not."""
    part = _spese_part(base)
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as zf:
        info = zf.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)   # local header: 30 bytes
    data[start + info.compress_size // 2] ^= 0x55
    dest.write_bytes(bytes(data))
    return dest


def _protected(base: Path, dest: Path) -> Path:
    """A really password-protected workbook (ECMA-376 agile encryption, as Excel writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with base.open("rb") as fh:
        OOXMLFile(fh).encrypt("Segreta-2026", out)
    dest.write_bytes(out.getvalue())
    return dest


def _xls(base: Path, dest: Path) -> Path:
    """A real Excel 97-2003 workbook (LibreOffice's export), renamed .xlsx."""
    from tests.libreoffice import SOFFICE, converti

    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) non installato")
    xls = converti(base, dest.parent / "xls", "xls:MS Excel 97")
    assert xls.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # an OLE compound file
    xls.rename(dest)
    xls.parent.rmdir()
    return dest


# name -> (build the file in a folder from the base workbook, Italian text the message must contain)
CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "troncato": (lambda b, d: _write(d / "troncato.xlsx", b.read_bytes()[: b.stat().st_size * 2 // 3]),
                 "il file è danneggiato"),
    "xls_rinominato": (lambda b, d: _xls(b, d / "vecchio.xlsx"), "vecchio formato Excel 97-2003 (.xls)"),
    "protetto_da_password": (lambda b, d: _protected(b, d / "protetto.xlsx"), "protetto da password"),
    "zero_byte": (lambda b, d: _write(d / "vuoto.xlsx", b""), "il file è vuoto (0 byte)"),
    "csv_rinominato": (lambda b, d: _write(d / "dati.xlsx", "Azione;Importo\n1.1;100,00\n".encode()),
                       "sembra un file di testo (CSV?) rinominato"),
    "cartella": (lambda b, d: (d / "cartella.xlsx").mkdir() or d / "cartella.xlsx", "non è un file"),
    "inesistente": (lambda b, d: d / "manca.xlsx", "il file non esiste"),
    # python-calamine's own failures (the zip and its directory are sound)
    "foglio_mancante": (lambda b, d: _rezip(b, d / "senza_parte.xlsx", lambda n, x: None if n == _spese_part(b) else x),
                        "foglio «Spese»: il foglio non è leggibile: una parte interna del file"),
    "foglio_xml_troncato": (lambda b, d: _rezip(b, d / "xml.xlsx",
                                                lambda n, x: x[: len(x) // 2] if n == _spese_part(b) else x),
                            "foglio «Spese»: il foglio non è leggibile: il contenuto XML interno non è valido"),
    "foglio_utf8_non_valido": (lambda b, d: _rezip(b, d / "utf8.xlsx", lambda n, x: x.replace(
        b"<sheetData>", b"<sheetData>\xff\xfe", 1) if n == _spese_part(b) else x), "il contenuto XML interno"),
    "relazioni_mancanti": (lambda b, d: _rezip(b, d / "rels.xlsx",
                                               lambda n, x: None if n == "xl/_rels/workbook.xml.rels" else x),
                           "il file non si apre come cartella di lavoro .xlsx"),
    "parte_compressa_alterata": (lambda b, d: _crc_broken(b, d / "crc.xlsx"), "una sua parte compressa"),
}


def _digest(p: Path) -> str | None:
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


@pytest.mark.parametrize("case", list(CASES))
def test_unreadable_file_italian_message_and_exit_code(case, base, tmp_path):
    build, italian = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    path = build(base, folder)
    before, listing = _digest(path), sorted(p.name for p in folder.iterdir())
    out = tmp_path / "out"
    out.mkdir()
    _errore_in_italiano(["verifica", str(path), "--data", "01/06/2026", "--senza-registro",
                         "--out", str(out / "report.xlsx")], italian)
    assert _digest(path) == before and sorted(p.name for p in folder.iterdir()) == listing   # input untouched
    assert list(out.iterdir()) == []                                                          # no report


# files python-calamine reads but openpyxl (which `blocca` uses to write the seals) cannot open
BLOCCA_CASES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "senza_content_types": (lambda b, d: _rezip(b, d / "senza_tipi.xlsx",
                                                lambda n, x: None if n == "[Content_Types].xml" else x),
                            "impossibile aprire il file per il blocco: una parte interna del file"),
    "tabella_xml_troncata": (lambda b, d: _rezip(b, d / "tabella.xlsx", lambda n, x: x[:40] if n.startswith(
        "xl/tables/") else x), "impossibile aprire il file per il blocco: il contenuto XML interno non è valido"),
}


@pytest.mark.parametrize("case", list(BLOCCA_CASES))
def test_blocca_unreadable_by_openpyxl_italian_message(case, base, tmp_path):
    build, italian = BLOCCA_CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    path = build(base, folder)
    key = tmp_path / "chiave.txt"
    key.write_text("una-chiave-del-comune-lunga-abbastanza-per-i-sigilli", encoding="utf-8")
    before, listing = _digest(path), sorted(p.name for p in folder.iterdir())
    _errore_in_italiano(["blocca", str(path), "--data", "01/06/2026", "--chiave", str(key), "--senza-registro"],
                        italian)
    assert _digest(path) == before and sorted(p.name for p in folder.iterdir()) == listing
