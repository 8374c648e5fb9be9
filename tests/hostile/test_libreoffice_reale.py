"""Issue 13, cases 3, 4, 5 and 10 through real LibreOffice: a sealed workbook opened and saved, a row
deleted, the rows sorted, an empty row inserted. Each ends with the right outcome: no false tamper alarm,
a deleted sealed row reported as deleted, the file readable, `blocca` idempotent."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from addin.casi.blocca import blocca_file
from addin.casi.verifica import esegui_verifica
from addin.rules.models import Esito
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import verifica_sigilli
from addin.workbook.template import build_template
from hostile.libreoffice_ops import modifica_con_libreoffice
from tests.libreoffice import richiede_libreoffice
from tests.test_lock import COFIN, KEY, ROWS, sp

pytestmark = [pytest.mark.libreoffice, richiede_libreoffice]

D = dt.date
LOCK = D(2026, 6, 1)
PW = "Crema-2026!"
# rows 4, 5, 7 (from test_lock) and 8, 9 below are in window 1; row 6 in window 2
EXTRA = [sp(D(2026, 3, 1), "1", 5), sp(D(2026, 3, 2), "10", 6)]
SEALED = {4, 5, 7, 8, 9}


def _col(ws, header: str) -> int:
    return next(c.column for c in ws[3] if c.value == header)


@pytest.fixture(scope="module")
def lavorati(tmp_path_factory, cfg):
    d = tmp_path_factory.mktemp("lo_reale")
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS + EXTRA, COFIN, config=cfg)
    ws = wb[schema.SPESE]
    imp, imp_doc, desc = (_col(ws, h) for h in ("Importo rendicontato", "Importo documento", "Descrizione"))
    ws.cell(8, imp).value = ws.cell(8, imp_doc).value = 1 / 3      # 0.3333333333333333: 16 digits
    ws.cell(8, desc).value = "Riga uno\r\nRiga due"                  # CR LF comes back as LF
    ws.cell(9, desc).value = "Codice _x0041_ finale"                 # an OOXML escape in the text
    src = d / "P1.xlsx"
    wb.save(src)
    r = blocca_file(src, cfg, LOCK, KEY, password=PW)
    assert r.modificato and r.righe_spese == len(SEALED)
    out = modifica_con_libreoffice(src, d / "lo", ["salva", "cancella:5", "ordina:11", "inserisci:5"], PW)
    return src, out


def _sheet_xml(path, sheet: str) -> bytes:
    from hostile.corpus import _sheet_entry

    with zipfile.ZipFile(path) as z:
        return z.read(_sheet_entry(path, sheet))


def test_open_and_save_raises_no_false_alarm(cfg, lavorati):
    _, out = lavorati
    p = out["salva"]
    c = leggi_cartella(p, cfg)
    by_row = {s.riga: s for s in c.spese}
    # the file really carries what LibreOffice changes: 15 digits, LF
    assert by_row[8].importo == Decimal("0.333333333333333") and by_row[8].descrizione == "Riga uno\nRiga due"
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri, r.dettagli
    res = esegui_verifica(c, cfg, LOCK, chiave=KEY)
    assert not any(m.codice == "RIGA_SIGILLATA_MODIFICATA" for e in res.esiti for m in e.motivi)


def test_blocca_is_idempotent_after_a_libreoffice_save(cfg, lavorati, tmp_path):
    """Case 10: LibreOffice writes the protection hash in lower case; the same password is no change."""
    _, out = lavorati
    p = tmp_path / "P1.xlsx"
    shutil.copy2(out["salva"], p)
    m = re.search(rb'<sheetProtection[^>]*\bpassword="([0-9A-Fa-f]{4})"', _sheet_xml(p, schema.SPESE))
    assert m and m.group(1) == m.group(1).lower() and m.group(1) != m.group(1).upper()   # the case is real
    before = p.read_bytes()
    r = blocca_file(p, cfg, LOCK, KEY, password=PW)
    assert not r.modificato and r.backup is None and p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["P1.xlsx"]


def test_deleting_a_row_keeps_the_file_readable_and_reports_the_deletion(cfg, lavorati, tmp_path):
    """Case 3: LibreOffice declares A1:<last column>1048576 and writes an empty row 1048576 after a deletion."""
    from openpyxl.utils import get_column_letter

    _, out = lavorati
    p = out["cancella:5"]
    xml = _sheet_xml(p, schema.SPESE)
    last = get_column_letter(len(schema.SPESE_COLS)).encode()    # the last column of the Spese table
    assert b'<dimension ref="A1:' + last + b'1048576"/>' in xml and b'<row r="1048576"' in xml
    c = leggi_cartella(p, cfg)
    assert [s.riga for s in c.spese] == [4, 5, 6, 7, 8]       # row 5 gone, the rest moved up
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.righe_cancellate == [5] and r.motivi == {}
    assert any("la riga 5" in d and "cancellata" in d and "50,00" in d for d in r.dettagli)
    assert r.righe_spese_sigillate == {4, 6, 7, 8}
    # blocca reads it too (and refuses nothing): the deletion is reported, the rows stay locked where they are
    q = tmp_path / "P1.xlsx"
    shutil.copy2(p, q)
    res = blocca_file(q, cfg, LOCK, KEY, password=PW)
    assert any("cancellata" in a for a in res.avvisi)
    ws = load_workbook(q)[schema.SPESE]
    imp = _col(ws, "Importo rendicontato")
    assert [ws.cell(n, imp).protection.locked for n in (4, 5, 6, 7, 8)] == [True, False, True, True, True]


@pytest.mark.parametrize("op", ["ordina:11", "inserisci:5"])
def test_sorting_or_inserting_rows_voids_nothing(cfg, lavorati, op, tmp_path):
    """Case 5: rows are matched by identity; the sealed rows are locked again where they are now."""
    _, out = lavorati
    c = leggi_cartella(out[op], cfg)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri, r.dettagli
    assert r.spostate and any("cambiato posizione" in d for d in r.dettagli)
    now = {s.riga for s in c.spese if s.numero_documento in {"F-1", "F-2", "F-4", "F-5", "F-6"}}
    assert r.righe_spese_sigillate == now and len(now) == 5
    res = esegui_verifica(c, cfg, LOCK, chiave=KEY)
    assert all(e.esito != Esito.NON_AMMESSA for e in res.esiti), [(e.riga, e.codici) for e in res.esiti]
