"""Issue 13 cases 2 and 9: formulas typed in input cells, error cells, cells that were read wrong."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from addin.casi.blocca import blocca_file
from addin.casi.verifica import esegui_verifica
from addin.errors import ErroreInput
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import verifica_sigilli
from addin.workbook.template import build_template
from hostile.libreoffice_ops import modifica_con_libreoffice
from tests.libreoffice import richiede_libreoffice, ricalcola
from tests.test_lock import COFIN, KEY, ROWS

D = dt.date
LOCK = D(2026, 6, 1)     # window 1 closed (rows 4, 5, 7), window 2 open (row 6)


def _col(ws, header: str) -> int:
    return next(c.column for c in ws[3] if c.value == header)


def _workbook(cfg, edit) -> "object":
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS, COFIN, config=cfg)
    ws = wb[schema.SPESE]
    edit(ws, _col(ws, "Importo documento"), _col(ws, "Importo rendicontato"))
    return wb


def _codes(cartella, riga):
    return [m.codice for s in cartella.spese if s.riga == riga for m in s.errori]


def _messages(cartella, riga):
    return " ".join(m.messaggio for s in cartella.spese if s.riga == riga for m in s.errori)


@pytest.mark.libreoffice
@richiede_libreoffice
def test_formulas_in_amounts_keep_their_values_through_blocca_and_a_libreoffice_save(cfg, tmp_path):
    def edit(ws, k, imp):
        ws.cell(4, imp).value = "=1000*0.4"                            # closed window: sealed
        ws.cell(4, k).value = "=L4*1"                                  # a reference: not kept as a formula
        ws.cell(6, k).value = ws.cell(6, imp).value = '="12,50"'       # open window: text from a formula
        ws.cell(7, imp).value = "=1/0"                                 # closed window: an error
    src = tmp_path / "src"
    src.mkdir()
    _workbook(cfg, edit).save(src / "P1.xlsx")
    p = ricalcola(src / "P1.xlsx", tmp_path)          # saved by LibreOffice: formulas with their values
    c = leggi_cartella(p, cfg)
    imp = {s.riga: s.importo for s in c.spese}
    assert imp[4] == Decimal("400") and imp[6] == Decimal("12.50") and imp[7] is None
    assert _codes(c, 7) == ["DATO_NON_VALIDO"]
    assert "cella L7" in _messages(c, 7) and "l'errore #DIV/0!" in _messages(c, 7)

    r = blocca_file(p, cfg, LOCK, KEY)                # the post-write check does not fail
    assert r.modificato and r.righe_spese == 3
    assert [a for a in r.avvisi if "formula" in a] == [
        "Foglio «Spese», cella K4: la formula «=L4*1» è stata sostituita dal suo valore (400)."]
    ws = load_workbook(p, data_only=True)[schema.SPESE]
    assert (ws["K4"].value, ws["L4"].value, ws["L6"].value) == (400, 400, "12,50")   # the values are kept
    ws = load_workbook(p)[schema.SPESE]
    assert (ws["K4"].value, ws["L4"].value, ws["L6"].value) == (400, "=1000*0.4", '="12,50"')  # harmless ones too
    c2 = leggi_cartella(p, cfg)
    assert {s.riga: s.importo for s in c2.spese} == imp
    assert verifica_sigilli(c2, cfg, KEY, LOCK).integri
    res = esegui_verifica(c2, cfg, LOCK, chiave=KEY)
    by_row = {e.riga: e for e in res.esiti}
    assert "IMPORTO_MANCANTE" not in by_row[4].codici and "IMPORTO_MANCANTE" not in by_row[6].codici
    assert "DATO_NON_VALIDO" in by_row[7].codici

    saved = modifica_con_libreoffice(p, tmp_path / "lo", ["salva"])["salva"]   # a plain re-save
    c3 = leggi_cartella(saved, cfg)
    assert verifica_sigilli(c3, cfg, KEY, LOCK).integri
    q = tmp_path / "again" / "P1.xlsx"
    q.parent.mkdir()
    shutil.copy2(saved, q)
    assert blocca_file(q, cfg, LOCK, KEY).righe_spese == 3
    before = p.read_bytes()
    assert not blocca_file(p, cfg, LOCK, KEY).modificato and p.read_bytes() == before   # idempotent


def test_uncomputed_formula_is_named_not_read_as_empty(cfg, tmp_path):
    """A file saved by a program that does not calculate (openpyxl here): the formula has no value."""
    def edit(ws, k, imp):
        ws.cell(6, imp).value = "=1000*0.4"
    p = tmp_path / "P1.xlsx"
    _workbook(cfg, edit).save(p)
    c = leggi_cartella(p, cfg)
    assert _codes(c, 6) == ["DATO_NON_VALIDO"]
    assert "cella L6" in _messages(c, 6) and "formula senza valore calcolato («=1000*0.4»)" in _messages(c, 6)
    r = blocca_file(p, cfg, LOCK, KEY)          # seals what it can read, does not fail
    assert r.modificato
    assert _codes(leggi_cartella(p, cfg), 6) == ["DATO_NON_VALIDO"]


def test_cells_are_not_read_silently_wrong(cfg, tmp_path):
    def edit(ws, k, imp):
        ws.cell(4, imp).value = "1.234.5"       # not 12.345
        ws.cell(5, imp).value = True            # a logical value, not «SI»
    p = tmp_path / "P1.xlsx"
    _workbook(cfg, edit).save(p)
    c = leggi_cartella(p, cfg)
    assert _codes(c, 4) == ["IMPORTO_NON_VALIDO"] and "«1.234.5» non è un importo valido" in _messages(c, 4)
    assert _codes(c, 5) == ["IMPORTO_NON_VALIDO"] and "«VERO»" in _messages(c, 5)
    assert [s.importo for s in c.spese if s.riga in (4, 5)] == [None, None]


def test_a_second_column_with_the_same_header_is_refused(cfg, tmp_path):
    def edit(ws, k, imp):
        ws.cell(3, 26).value = "Importo rendicontato"       # column Z, after the table
        ws.cell(4, 26).value = 5
    p = tmp_path / "P1.xlsx"
    _workbook(cfg, edit).save(p)
    with pytest.raises(ErroreInput) as exc:
        leggi_cartella(p, cfg)
    e = exc.value
    assert (e.foglio, e.riga, e.colonna) == ("Spese", 3, "Importo rendicontato")
    assert "compare due volte" in e.messaggio and "colonne L e Z" in e.messaggio
