"""The SHA-256 a check (verifica) or a reception (ricevi) records is the hash of the very bytes that were
checked: the file is read once, into memory, and those bytes are hashed, checked and parsed. Proved by
hashing the file in the test (hashlib) and by counting, with Python's audit hook on `open`, how many
times the file is opened while the use case runs (one: no second read that could see another file)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import pytest

from hostile.build import save_workbook, spesa_valida

_OPENED: list[str] | None = None      # paths opened while a test listens (None: not listening)


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _OPENED is not None and isinstance(args[0], str | Path):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)              # process-wide and permanent: it records only between _ascolta calls


class _ascolta:
    """Record the files opened (by Python code, zipfile and openpyxl included) inside the block."""

    def __enter__(self) -> list[str]:
        global _OPENED
        _OPENED = []
        return _OPENED

    def __exit__(self, *exc) -> None:
        global _OPENED
        _OPENED = None


@pytest.fixture
def cartella(tmp_path, cfg) -> Path:
    return save_workbook(tmp_path / "P1_2026.xlsx", cfg,
                         [spesa_valida(numero_documento="F1"), spesa_valida(numero_documento="F2")])


def test_verifica_hashes_the_bytes_it_checks_reading_the_file_once(cartella, cfg, tmp_path):
    from addin.casi.verifica import verifica_file

    expected = hashlib.sha256(cartella.read_bytes()).hexdigest()
    with _ascolta() as opened:
        r, report = verifica_file(cartella, cfg, dt.date(2026, 6, 1), out=tmp_path / "r.xlsx")
    assert r.sha256 == expected
    assert opened.count(str(cartella)) == 1, opened
    assert report.is_file()


def test_ricevi_records_hash_and_size_of_the_bytes_it_checks_reading_the_file_once(cartella, cfg, registro):
    from addin.casi.ricevi import ricevi

    content = cartella.read_bytes()
    with _ascolta() as opened:
        atto = ricevi(registro, cartella, cfg, data_ricezione=dt.date(2026, 6, 2), protocollo="2026/1")
    assert (atto.dati["sha256"], atto.dati["dimensione"]) == (hashlib.sha256(content).hexdigest(), len(content))
    assert opened.count(str(cartella)) == 1, opened


def test_triennio_consolidates_the_received_bytes_it_hashed_reading_each_file_once(cartella, cfg, registro):
    """`consolida --triennio` and `cabina --ricevuti`: the hash compared with the reception and the
    workbook consolidated are the same bytes (one open of the file)."""
    from addin.casi.ricevi import ricevi
    from addin.casi.triennio import consolida_triennio_file
    from addin.cli_triennio import file_ricevuti

    ricevi(registro, cartella, cfg, data_ricezione=dt.date(2026, 6, 2), protocollo="2026/1")
    letti: dict[str, bytes] = {}
    with _ascolta() as opened:
        paths = file_ricevuti(registro, cfg, letti)
        r = consolida_triennio_file(paths, cfg, dt.date(2026, 6, 2), None, dati=letti)
    assert paths == [cartella] and letti == {str(cartella): cartella.read_bytes()}
    assert opened.count(str(cartella)) == 1, opened
    assert list(r.anni) == [2026] and not r.errori


def test_the_checks_see_the_bytes_read_not_the_file_on_disk(cartella, cfg, tmp_path):
    """The safety checks and the parser judge the bytes handed to them: a file replaced after the read
    does not change what is checked (here the file on disk is replaced by a CSV before parsing)."""
    from addin.workbook.reader import leggi_byte, leggi_cartella

    dati = leggi_byte(cartella)
    cartella.write_bytes(b"Azione;Importo\n1.1;100,00\n")          # replaced after the read
    c = leggi_cartella(cartella, cfg, dati=dati)
    assert (c.programma, c.anno, len(c.spese)) == (1, 2026, 2)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(cartella, monkeypatch):
    """Only what the limit allows is ever held in memory (the limit lowered to 1,000 bytes here)."""
    from addin.errors import ErroreInput
    from addin.workbook import reader

    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1_000)
    assert cartella.stat().st_size > 1_000
    with pytest.raises(ErroreInput, match="il file è troppo grande"):
        reader.leggi_byte(cartella)
