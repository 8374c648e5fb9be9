"""Issue 13 case 6: seal metadata is authenticated, not trusted from the file; long texts have no limit."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from addin.casi.blocca import blocca_file
from addin.errors import ErroreChiave, ErroreInput
from addin.workbook import schema
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import LIMITE_TESTO, forma_canonica, leggi_sigilli, verifica_sigilli
from hostile.build import save_workbook
from tests.test_lock import COFIN, KEY, ROWS, sp
from tests.test_seals import BASE, cartella, seal_into
from tests.test_seals import KEY as KEY_MEM     # the key seal_into uses

D = dt.date
LOCK = D(2026, 6, 1)
LATER = D(2026, 10, 1)     # windows 1 and 2 closed


def _edit_meta(path, key: str, value) -> None:
    wb = load_workbook(path)
    ws = wb[schema.META]
    for row in ws.iter_rows():
        if row[0].value == key:
            row[1].value = value
    wb.save(path)


def test_changed_fingerprint_is_never_taken_for_another_key(cfg, tmp_path):
    p = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    blocca_file(p, cfg, LOCK, KEY)
    # the partner edits the fingerprint of every seal (window 1 and its co-financing: the template has the
    # column «Data»): no seal is left to tell which key is right
    for scope in ("finestra1", "cofinanziamento1"):
        _edit_meta(p, f"sigillo.{scope}.chiave", "0123456789abcdef")
    c = leggi_cartella(p, cfg)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert not r.integri and r.stato == "non_verificabili"
    text = " ".join(r.dettagli)
    assert "un'altra chiave" in text and "alterato" in text and "0123456789abcdef" in text
    with pytest.raises(ErroreChiave, match="alterato"):
        blocca_file(p, cfg, LOCK, KEY)


def test_fingerprint_of_one_seal_differing_from_the_others_is_an_alteration(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LATER)
    c.meta["sigillo.finestra1.chiave"] = "0123456789abcdef"
    r = verifica_sigilli(c, cfg, KEY_MEM, LATER)
    assert r.sigilli_alterati == ["finestra 1/2026"] and not r.integri
    assert {4, 5, 6, 8} <= set(r.motivi)


def test_a_removed_seal_is_found_by_the_later_one(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    seal_into(c, cfg, LATER)                                # window 2 sealed after window 1
    assert "finestra1:" in leggi_sigilli(c.meta)["finestra2"].intestazione["precedenti"]
    c.meta = {k: v for k, v in c.meta.items() if not k.startswith("sigillo.finestra1.")}
    c.spese[0].importo = Decimal("999")                   # ... to hide this change
    r = verifica_sigilli(c, cfg, KEY_MEM, LATER)
    assert not r.integri and r.sigilli_alterati == ["finestra 1/2026"]
    assert any("rimosso" in d for d in r.dettagli)
    assert 4 in r.motivi


def test_a_32767_character_description_is_sealed_through_its_hash(cfg, tmp_path):
    long_text = ("Materiale didattico per il laboratorio " * 900)[:32767]
    rows = [sp(D(2026, 2, 1), "100", 1)]
    rows[0].descrizione = long_text
    p = save_workbook(tmp_path / "P1.xlsx", cfg, rows, COFIN)
    assert blocca_file(p, cfg, LOCK, KEY).modificato
    c = leggi_cartella(p, cfg)
    assert c.spese[0].descrizione == long_text
    [row] = leggi_sigilli(c.meta)["finestra1"].righe
    stored = f"{row.hmac} {row.testo}"
    assert len(stored) < 2000                             # far from the 32,767-character cell limit
    assert all(len(v) < 2000 for k, v in c.meta.items() if k.startswith("sigillo.finestra1.dati."))
    assert "sha256:" + hashlib.sha256(long_text.encode()).hexdigest() in stored
    assert verifica_sigilli(c, cfg, KEY, LOCK).integri
    c.spese[0].descrizione = long_text[:-1] + "X"          # one character changed at the very end
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert "Descrizione: (testo di oltre 1000 caratteri" in r.motivi[4][0].messaggio


def test_texts_up_to_the_limit_are_stored_as_they_are():
    s = sp(D(2026, 2, 1), "100", 1)
    s.descrizione = "a" * LIMITE_TESTO
    assert '"descrizione":"' + "a" * LIMITE_TESTO + '"' in forma_canonica(s)
    s.descrizione = "a" * (LIMITE_TESTO + 1)
    assert '"descrizione":"sha256:' in forma_canonica(s)


def test_altered_seal_stops_blocca_with_a_clear_message(cfg, tmp_path):
    p = save_workbook(tmp_path / "P1.xlsx", cfg, ROWS, COFIN)
    blocca_file(p, cfg, LOCK, KEY)
    _edit_meta(p, "sigillo.finestra1.righe", "2")
    with pytest.raises(ErroreInput, match="risultano alterati"):
        blocca_file(p, cfg, LOCK, KEY)


def test_a_seal_swapped_for_one_of_another_copy_is_found_by_the_later_one(cfg):
    """The first window's seal taken from another copy of the workbook (same key, programme and year,
    so its own HMAC verifies) and put in place of the real one, to cover rows typed differently."""
    real = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    other_rows = copy.deepcopy(BASE)
    other_rows[0].importo = Decimal("999")
    other = seal_into(cartella(other_rows), cfg, LOCK)
    seal_into(real, cfg, LATER)                                       # window 2 records window 1's HMAC
    real.meta = {k: v for k, v in real.meta.items() if not k.startswith("sigillo.finestra1.")}
    real.meta.update({k: v for k, v in other.meta.items() if k.startswith("sigillo.finestra1.")})
    real.spese[0].importo = Decimal("999")
    r = verifica_sigilli(real, cfg, KEY_MEM, LATER)
    assert r.sigilli_alterati == ["finestra 1/2026"] and 4 in r.motivi and not r.integri
    assert any("sostituito" in d for d in r.dettagli)
