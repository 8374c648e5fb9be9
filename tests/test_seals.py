"""Seals of closed windows on parsed models (no file I/O): canonical form, HMAC, verification."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from pathlib import Path
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.errors import ErroreChiave
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.workbook import schema
from addin.workbook.reader import CartellaRendiconto
from addin.workbook.seals import (carica_chiave, forma_canonica, leggi_sigilli, nuovi_sigilli,
                                  verifica_sigilli)

KEY = b"chiave-di-prova-del-comune-0123456789"
D = dt.date


def spesa(riga, pag, importo="100.00", **kw):
    base = dict(azione="1.1", partner="Consorzio Arcobaleno", categoria="Beni di consumo e materie prime",
                descrizione=f"Materiale {riga}", fornitore="Cartoleria Rossi", tipo_documento="Fattura",
                numero_documento=f"F{riga}", data_documento=pag, data_pagamento=pag,
                modalita_pagamento="Bonifico", importo_documento=Decimal(importo), importo=Decimal(importo),
                doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True, data_trasmissione=pag)
    base.update(kw)
    return Spesa(riga=riga, **base)


def cartella(spese, cofin=(), meta=None):
    return CartellaRendiconto(path=None, programma=1, anno=2026, versione="1", spese=list(spese),
                              cofinanziamento=list(cofin), budget=[], meta=dict(meta or {"programma": "1"}))


def seal_into(c, cfg, when, key=KEY, compatta=True):
    """Seal what is due at `when` and store it in c.meta as blocca does (`compatta=False`: the copies in
    the first form, one `_meta` row per sealed row, which files sealed before 29/11/2026 hold)."""
    for s in nuovi_sigilli(c, cfg, key, when):
        c.meta.update(dict(s.voci_meta(compatta)))
    return c


BASE = [spesa(4, D(2026, 1, 15)), spesa(5, D(2026, 3, 31), "250.50"), spesa(6, D(2026, 4, 30), "12.34"),
        spesa(7, D(2026, 5, 2), "80.00"), spesa(8, None, "10.00", data_documento=D(2026, 2, 10))]
LOCK = D(2026, 6, 1)


# --- canonical form -------------------------------------------------------------------------------

def test_canonical_form_has_every_partner_field_in_schema_order():
    s = spesa(4, D(2026, 1, 15), ore=Decimal("12.50"), costo_orario=Decimal("20"), persona="Anna")
    obj = json.loads(forma_canonica(s))
    # optional columns left empty are not part of it (rows sealed before they existed keep their text)
    expected = [c.key for c in schema.input_cols(schema.SPESE_COLS)
                if c.key not in ("decisione_comune", "motivazione_comune") and not c.optional]
    assert list(obj) == expected
    assert obj["importo"] == "100" and obj["ore"] == "12.5" and obj["costo_orario"] == "20"
    assert obj["data_pagamento"] == "2026-01-15" and obj["doc_trasmessa"] is True
    assert obj["persona"] == "Anna" and obj["modalita_pagamento"] == "Bonifico"


def test_canonical_amount_is_value_based_not_representation_based():
    a = spesa(4, D(2026, 1, 15), importo="100.50")
    b = dataclasses.replace(a, importo=Decimal("100.5000"), importo_documento=Decimal("100.5"))
    assert forma_canonica(a) == forma_canonica(b)
    c = dataclasses.replace(a, importo=Decimal("100.51"))
    assert forma_canonica(a) != forma_canonica(c)


# --- sealing --------------------------------------------------------------------------------------

def test_seal_covers_rows_of_closed_window_by_deciding_date(cfg):
    c = seal_into(cartella(BASE), cfg, LOCK)
    seals = leggi_sigilli(c.meta)
    assert list(seals) == ["finestra1"]            # window 2 closes on 30/09, co-financing after 31/01/2027
    s = seals["finestra1"]
    # rows 4, 5, 6 (payment 15/01, 31/03, 30/04) and row 8 (no payment: document date 10/02)
    assert [r.riga for r in s.righe] == [4, 5, 6, 8]
    assert s.intestazione["righe"] == "4" and s.intestazione["blocco"] == "2026-05-31"
    assert s.intestazione["data"] == "2026-06-01" and s.intestazione["finestra"] == "1/2026"
    assert len(s.hmac) == 64
    assert all(k.startswith("sigillo.") for k in c.meta if k != "programma")


def test_lock_date_itself_is_still_open(cfg):
    assert nuovi_sigilli(cartella(BASE), cfg, KEY, D(2026, 5, 31)) == []


def test_cofinancing_sealed_once_the_year_is_closed(cfg):
    cof = [VoceCofinanziamento(4, "Igea", "1.1", "Monetario", "Quota", None, Decimal("500"))]
    c = seal_into(cartella(BASE, cof), cfg, D(2027, 2, 1))
    assert set(leggi_sigilli(c.meta)) == {"finestra1", "finestra2", "finestra3", "cofinanziamento"}
    assert [r.riga for r in leggi_sigilli(c.meta)["cofinanziamento"].righe] == [4]
    c2 = seal_into(cartella(BASE, cof), cfg, D(2027, 1, 31))
    assert "cofinanziamento" not in leggi_sigilli(c2.meta)


def test_intact_seal_is_verified(cfg):
    c = seal_into(cartella(BASE), cfg, LOCK)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.stato == "verificati" and r.integri and r.motivi == {}
    assert "nessuna riga bloccata è stata modificata" in r.dettagli[0]


def test_relocking_keeps_existing_seal(cfg):
    c = seal_into(cartella(BASE), cfg, LOCK)
    before = dict(c.meta)
    assert nuovi_sigilli(c, cfg, KEY, LOCK) == []
    assert nuovi_sigilli(c, cfg, KEY, D(2026, 7, 1)) == []
    seal_into(c, cfg, D(2026, 10, 1))   # window 2 closes: window 1's entries stay byte-identical
    assert {k: v for k, v in c.meta.items() if k in before} == before
    assert "sigillo.finestra2.hmac" in c.meta


# --- verification ---------------------------------------------------------------------------------

def test_changed_amount_shows_old_and_new_value(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese[1].importo = Decimal("2500.50")
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert list(r.motivi) == [5]
    (m,) = r.motivi[5]
    assert m.codice == "RIGA_SIGILLATA_MODIFICATA"
    assert "Importo rendicontato: 250,50 € → 2.500,50 €" in m.messaggio or \
        "Importo rendicontato: € 250,50 → € 2.500,50" in m.messaggio, m.messaggio
    assert "Importo documento" not in m.messaggio
    assert not r.integri


def test_retroactive_insertion_and_deletion(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese = [s for s in c.spese if s.riga != 6] + [spesa(9, D(2026, 3, 10), "40.00")]
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert [m.codice for m in r.motivi[9]] == ["INSERIMENTO_RETROATTIVO"]
    assert "10/03/2026" in r.motivi[9][0].messaggio
    assert r.righe_cancellate == [6]
    assert any("riga 6" in d and "cancellata" in d and "12,34" in d for d in r.dettagli)
    assert set(r.motivi) == {9}


def test_open_window_row_added_is_fine(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese.append(spesa(9, D(2026, 6, 10)))
    assert verifica_sigilli(c, cfg, KEY, LOCK).motivi == {}


def test_reordered_rows_are_intact_and_noted_as_moved(cfg):
    """Issue 13 case 5: rows are matched by identity, not position (a sort is not tampering)."""
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    a, b = c.spese[0], c.spese[1]
    a.riga, b.riga = 5, 4
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri and r.motivi == {} and r.righe_cancellate == []
    assert sorted(r.spostate) == [("finestra 1/2026", 4, 5), ("finestra 1/2026", 5, 4)]
    assert any("2 righe bloccate hanno cambiato posizione" in d for d in r.dettagli)
    assert r.righe_spese_sigillate == {4, 5, 6, 8}


def test_row_moved_down_is_intact_and_locked_where_it_is(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese[0].riga = 20
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri and r.spostate == [("finestra 1/2026", 4, 20)]
    assert r.righe_spese_sigillate == {20, 5, 6, 8}


def test_moved_and_edited_row_is_reported_where_it_is_now(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    moved = c.spese[0]
    moved.riga, moved.descrizione = 30, "Materiale diverso"
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert list(r.motivi) == [30] and r.righe_cancellate == []
    assert "(era alla riga 4)" in r.motivi[30][0].messaggio
    assert "Descrizione: Materiale 4 → Materiale diverso" in r.motivi[30][0].messaggio


def test_deleted_row_with_the_next_sliding_up_is_a_deletion_not_an_edit(cfg):
    """LibreOffice row deletion: sealed row 5 gone, rows below move up one place; row 7 (open window)
    now sits at 6, row 8 at 7."""
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese = [s for s in c.spese if s.riga != 5]
    for s in c.spese:
        if s.riga > 5:
            s.riga -= 1
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.righe_cancellate == [5] and r.motivi == {}
    assert any("la riga 5" in d and "cancellata" in d and "250,50" in d for d in r.dettagli)


def test_date_moved_out_of_window_is_still_a_change(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese[0].data_pagamento = D(2026, 6, 15)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert "Data pagamento: 15/01/2026 → 15/06/2026" in r.motivi[4][0].messaggio


def test_comune_decision_after_lock_does_not_break_seal(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    c.spese[0].decisione_comune = "Non ammessa"
    c.spese[0].motivazione_comune = "Spesa non pertinente"
    assert verifica_sigilli(c, cfg, KEY, LOCK).integri


@pytest.mark.parametrize("field", ["hmac", "righe", "data", "riga.5"])
def test_tampering_with_the_seal_itself_is_reported(cfg, field):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK, compatta=False)
    k = f"sigillo.finestra1.{field}"
    if field == "riga.5":
        mac, _, text = c.meta[k].partition(" ")
        obj = json.loads(text)
        obj["importo"] = "999"   # the partner edits the row AND its stored copy, keeping the row MAC
        c.meta[k] = mac + " " + json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        c.spese[1].importo = Decimal("999")
        r = verifica_sigilli(c, cfg, KEY, LOCK)
        assert 5 in r.motivi and any("testo registrato" in d for d in r.dettagli)
        return
    c.meta[k] = "0" * 64 if field == "hmac" else "3" if field == "righe" else "2026-09-01"
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.sigilli_alterati == ["finestra 1/2026"] and not r.integri
    assert set(r.motivi) == {4, 5, 6, 8}
    assert any("ALTERATO" in d for d in r.dettagli)


def test_a_stored_copy_altered_alone_still_recognises_its_intact_row(cfg):
    # the row's HMAC is that of the row as sealed: an intact row is found by it even when the text stored
    # beside the HMAC was edited (rows are otherwise matched by their text: this is the other path)
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK, compatta=False)
    k = "sigillo.finestra1.riga.5"
    mac, _, text = c.meta[k].partition(" ")
    obj = json.loads(text)
    obj["importo"] = "999"
    c.meta[k] = mac + " " + json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert 5 not in r.motivi and 5 in r.righe_spese_sigillate
    assert any("riga 5: il testo registrato" in d for d in r.dettagli)


def test_canonical_form_with_shared_values_is_the_form_of_each_row():
    # the canonical values are remembered across rows (perf): equal numbers written with other digits, and the
    # same number as an amount and as hours, still give each row its own form
    a = spesa(4, D(2026, 1, 15), "250.50", ore=Decimal("1.50"), persona="Anna\r\nVerdi")
    b = spesa(5, D(2026, 1, 15), "250.5", ore=Decimal("1.5"), persona="Anna_x000A_Verdi")
    c = spesa(6, D(2026, 1, 15), "250.504", ore=Decimal("250.504"), persona=None)   # an amount, then hours
    memo: dict = {}
    shared = [forma_canonica(r, memo=memo) for r in (a, b, c)]
    assert shared == [forma_canonica(r) for r in (a, b, c)]
    fields = [json.loads(t) for t in shared]
    assert [f["importo"] for f in fields] == ["250.5", "250.5", "250.5"]   # 250.504 -> 250.50 -> 250.5
    assert [f["ore"] for f in fields] == ["1.5", "1.5", "250.504"]         # hours: 15 significant digits, not cents
    assert [f.get("persona") for f in fields] == ["Anna\nVerdi", "Anna\nVerdi", None]


def test_deleting_a_seal_entry_from_meta_is_reported(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK, compatta=False)
    del c.meta["sigillo.finestra1.riga.6"]
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.sigilli_alterati and 6 in r.motivi


def test_without_key_never_claims_intact(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    r = verifica_sigilli(c, cfg, None, LOCK)
    assert r.stato == "non_verificabili" and not r.integri and r.motivi == {}
    assert "NON verificati" in r.dettagli[0]


def test_wrong_key_is_not_verifiable(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    r = verifica_sigilli(c, cfg, b"un'altra-chiave-lunga-abbastanza", LOCK)
    assert r.stato == "non_verificabili" and not r.integri
    assert any("un'altra chiave" in d for d in r.dettagli)


def test_no_seals_closed_window_is_reported(cfg):
    r = verifica_sigilli(cartella(BASE), cfg, KEY, LOCK)
    assert r.stato == "assenti" and not r.integri
    assert any("1/2026" in d and "blocca" in d for d in r.dettagli)


def test_cofinancing_change_and_insertion(cfg):
    cof = [VoceCofinanziamento(4, "Igea", "1.1", "Monetario", "Quota", None, Decimal("500")),
           VoceCofinanziamento(5, "Igea", "1.1", "Volontariato", "Ore", Decimal("10"), Decimal("20.07"))]
    when = D(2027, 2, 1)
    c = seal_into(cartella(copy.deepcopy(BASE), copy.deepcopy(cof)), cfg, when)
    c.cofinanziamento[1].quantita = Decimal("100")
    c.cofinanziamento.append(VoceCofinanziamento(6, "Igea", "1.1", "Monetario", "Nuova", None, Decimal("1")))
    r = verifica_sigilli(c, cfg, KEY, when)
    assert r.motivi == {}
    assert [m.codice for m in r.motivi_cofinanziamento[5]] == ["RIGA_SIGILLATA_MODIFICATA"]
    assert "Ore o quantità: 10 → 100" in r.motivi_cofinanziamento[5][0].messaggio
    assert [m.codice for m in r.motivi_cofinanziamento[6]] == ["INSERIMENTO_RETROATTIVO"]


# --- key loading ----------------------------------------------------------------------------------

def test_carica_chiave_file_env_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    assert carica_chiave(None) is None
    f = tmp_path / "chiave.txt"
    f.write_text("  abcdefghijklmnopqrstuvwxyz0123456789\n")
    assert carica_chiave(f) == b"abcdefghijklmnopqrstuvwxyz0123456789"
    monkeypatch.setenv("RENDICONTA_CHIAVE", "segreto-del-comune-molto-lungo")
    assert carica_chiave(None) == b"segreto-del-comune-molto-lungo"
    monkeypatch.delenv("RENDICONTA_CHIAVE")
    monkeypatch.setenv("RENDICONTA_CHIAVE_FILE", str(f))
    assert carica_chiave(None) == b"abcdefghijklmnopqrstuvwxyz0123456789"
    with pytest.raises(ErroreChiave, match="troppo corta"):
        f.write_text("corta")
        carica_chiave(f)
    with pytest.raises(ErroreChiave, match="non esiste"):
        carica_chiave(tmp_path / "manca.txt")


# --- properties -----------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=12).map(str.strip).filter(bool)
_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
_date = st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31))
_VALUES = {"text": _text, "money": _money, "number": st.decimals(min_value=0, max_value=1000, places=2),
           "date": _date, "month": _date.map(lambda d: d.replace(day=1)), "bool": st.booleans()}


@st.composite
def _rows(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    out = []
    for i in range(n):
        s = spesa(4 + i, draw(st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 4, 30))),
                  str(draw(_money)))
        s.ore = draw(st.none() | _VALUES["number"])
        s.persona = draw(st.none() | _text)
        out.append(s)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(), data=st.data())
def test_property_any_single_field_change_is_detected(cfg, rows, data):
    c = seal_into(cartella(rows), cfg, LOCK)
    target = data.draw(st.sampled_from(c.spese))
    col = data.draw(st.sampled_from(PARTNER_COLS))
    old = getattr(target, col.key)
    new = data.draw((st.none() | _VALUES[col.kind]).filter(
        lambda v: v != old and not (isinstance(v, Decimal) and isinstance(old, Decimal) and v == old)))
    setattr(target, col.key, new)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert [m.codice for m in r.motivi.get(target.riga, [])] == ["RIGA_SIGILLATA_MODIFICATA"], (col.key, old, new)
    assert col.header in r.motivi[target.riga][0].messaggio
    assert set(r.motivi) == {target.riga}


@settings(max_examples=60, deadline=None)
@given(rows=_rows(), later=st.dates(min_value=D(2026, 6, 1), max_value=D(2027, 12, 31)))
def test_property_relocking_unchanged_keeps_seal(cfg, rows, later):
    c = seal_into(cartella(rows), cfg, LOCK)
    first = {k: v for k, v in c.meta.items() if k.startswith("sigillo.finestra1.")}
    assert nuovi_sigilli(c, cfg, KEY, LOCK) == []
    seal_into(c, cfg, later)
    assert {k: v for k, v in c.meta.items() if k.startswith("sigillo.finestra1.")} == first
    assert verifica_sigilli(c, cfg, KEY, later).integri


def test_empty_window_is_sealed_and_later_insertion_found(cfg):
    c = seal_into(cartella([spesa(4, D(2026, 6, 3))]), cfg, LOCK)
    assert leggi_sigilli(c.meta)["finestra1"].intestazione["righe"] == "0"
    c.spese.append(spesa(5, D(2026, 1, 20)))
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert [m.codice for m in r.motivi[5]] == ["INSERIMENTO_RETROATTIVO"] and 4 not in r.motivi


# independent of the code under test: every input column except the two reserved to the Comune
PARTNER_COLS = [c for c in schema.input_cols(schema.SPESE_COLS)
                if c.header not in ("Decisione Comune", "Motivazione Comune")]


# --- co-financing rows dated in a window (column «Data»): sealed with that window -------------------

def _cofin_datato():
    """Row 4 monetary (the year's seal), row 5 volunteers in window 1 (10/03), row 6 non-monetary in
    window 2 (15/06), row 7 volunteers without date (the year's seal)."""
    return [VoceCofinanziamento(4, "Igea", "1.1", "Monetario", "Quota", None, Decimal("500")),
            VoceCofinanziamento(5, "Auser", "1.1", "Volontariato", "Ore", Decimal("10"), Decimal("20.07"), D(2026, 3, 10)),
            VoceCofinanziamento(6, "Koala", "1.2", "Non monetario", "Locali", Decimal("2"), Decimal("30"), D(2026, 6, 15)),
            VoceCofinanziamento(7, "Auser", "1.1", "Volontariato", "Ore", Decimal("5"), Decimal("20"))]


def _con_data(spese=(), cofin=None):
    c = cartella(copy.deepcopy(list(spese)), cofin if cofin is not None else _cofin_datato())
    c.cofin_con_data = True
    return c


def test_dated_cofinancing_row_is_sealed_with_its_window(cfg):
    c = seal_into(_con_data(BASE), cfg, LOCK)          # window 1 locked on 31/05: sealed on 01/06
    seals = leggi_sigilli(c.meta)
    assert set(seals) == {"finestra1", "cofinanziamento1"}
    s = seals["cofinanziamento1"]
    assert [r.riga for r in s.righe] == [5] and s.etichetta == "cofinanziamento finestra 1/2026"
    assert json.loads(s.righe[0].testo)["data"] == "2026-03-10"
    assert s.intestazione["blocco"] == "2026-05-31" and s.intestazione["data"] == "2026-06-01"
    assert verifica_sigilli(c, cfg, KEY, LOCK).integri
    # row 6 (window 2) waits for window 2's lock on 30/09
    c = seal_into(c, cfg, D(2026, 10, 1))
    assert [r.riga for r in leggi_sigilli(c.meta)["cofinanziamento2"].righe] == [6]
    # the year's seal holds the rest: the monetary row 4 and the undated row 7
    c = seal_into(c, cfg, D(2027, 2, 1))
    seals = leggi_sigilli(c.meta)
    assert [r.riga for r in seals["cofinanziamento"].righe] == [4, 7]
    assert [r.riga for r in seals["cofinanziamento3"].righe] == []
    r = verifica_sigilli(c, cfg, KEY, D(2027, 2, 1))
    assert r.integri and r.righe_cofin_sigillate == {4, 5, 6, 7}


def test_dated_cofinancing_row_changed_moved_or_added_after_its_window_is_sealed(cfg):
    c = seal_into(_con_data(BASE), cfg, LOCK)
    c.cofinanziamento[1].quantita = Decimal("100")                                   # row 5: 10 h -> 100 h
    c.cofinanziamento.append(VoceCofinanziamento(8, "Auser", "1.1", "Volontariato", "Ore in febbraio",
                                                 Decimal("3"), Decimal("20"), D(2026, 2, 1)))   # into window 1
    c.cofinanziamento.append(VoceCofinanziamento(9, "Auser", "1.1", "Volontariato", "Ore in luglio",
                                                 Decimal("3"), Decimal("20"), D(2026, 7, 1)))   # window 2: open
    c.cofinanziamento[2].quantita = Decimal("3")                                     # row 6: window 2, open
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.motivi == {}
    assert {n: [m.codice for m in ms] for n, ms in r.motivi_cofinanziamento.items()} == {
        5: ["RIGA_SIGILLATA_MODIFICATA"], 8: ["INSERIMENTO_RETROATTIVO"]}
    assert "Ore o quantità: 10 → 100" in r.motivi_cofinanziamento[5][0].messaggio
    assert "cofinanziamento finestra 1/2026" in r.motivi_cofinanziamento[5][0].messaggio
    assert "01/02/2026" in r.motivi_cofinanziamento[8][0].messaggio
    assert "finestra 1/2026" in r.motivi_cofinanziamento[8][0].messaggio
    # a sealed row moved out of its window (date changed to July) is a change too
    c = seal_into(_con_data(BASE), cfg, LOCK)
    c.cofinanziamento[1].data = D(2026, 7, 10)
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert "Data: 10/03/2026 → 10/07/2026" in r.motivi_cofinanziamento[5][0].messaggio


def test_sorting_never_voids_a_sealed_cofinancing_row(cfg):
    c = seal_into(_con_data(BASE), cfg, LOCK)
    rows = c.cofinanziamento
    for v, n in zip(rows, (7, 6, 5, 4)):          # the sheet sorted backwards: row 5 is now row 6
        v.riga = n
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.integri and r.righe_cofin_sigillate == {6}
    assert ("cofinanziamento finestra 1/2026", 5, 6) in r.spostate


def test_sealed_cofinancing_rows_are_locked(cfg):
    from addin.workbook.seals import righe_da_bloccare

    c = seal_into(_con_data(BASE), cfg, LOCK)
    check = verifica_sigilli(c, cfg, KEY, LOCK)
    assert righe_da_bloccare(check, []) == ({4, 5, 6, 8}, {5})
    new = nuovi_sigilli(_con_data(BASE), cfg, KEY, LOCK)
    assert righe_da_bloccare(None, new) == ({4, 5, 6, 8}, {5})


def test_workbook_without_the_date_column_seals_as_before(cfg):
    """An older workbook (no column «Data»): no window co-financing seals, the year's seal holds every row."""
    old = [dataclasses.replace(v, data=None) for v in _cofin_datato()]
    c = seal_into(cartella(copy.deepcopy(BASE), old), cfg, LOCK)
    assert set(leggi_sigilli(c.meta)) == {"finestra1"}
    c = seal_into(c, cfg, D(2027, 2, 1))
    seals = leggi_sigilli(c.meta)
    assert set(seals) == {"finestra1", "finestra2", "finestra3", "cofinanziamento"}
    assert [r.riga for r in seals["cofinanziamento"].righe] == [4, 5, 6, 7]
    assert verifica_sigilli(c, cfg, KEY, D(2027, 2, 1)).integri


def _formato2():
    """Seals written by the version before the column «Data» (format "2", 29/11/2026: `_meta` of a workbook
    with expense row 4 of 10/02/2026, co-financing rows 4 monetary 500 and 5 volunteers 10 h × 20.07, all
    sealed at 01/02/2027)."""
    path = Path(__file__).with_name("sigilli_formato2_cofinanziamento.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _cartella_formato2(con_data: bool):
    p = D(2026, 2, 10)
    sp = spesa(4, p, descrizione="Materiale 4", numero_documento="F4")
    cof = [VoceCofinanziamento(4, "Igea", "1.1", "Monetario", "Quota", None, Decimal("500")),
           VoceCofinanziamento(5, "Auser", "1.1", "Volontariato", "Ore", Decimal("10"), Decimal("20.07"))]
    c = cartella([sp], cof, meta={"programma": "1", **_formato2()})
    c.cofin_con_data = con_data
    return c


@pytest.mark.parametrize("con_data", [False, True], ids=["senza_colonna", "con_colonna_vuota"])
def test_existing_format_2_seals_still_verify(cfg, con_data):
    when = D(2027, 2, 1)
    c = _cartella_formato2(con_data)
    seals = leggi_sigilli(c.meta)
    assert {a: s.versione for a, s in seals.items()} == {"finestra1": "2", "finestra2": "2", "finestra3": "2",
                                                        "cofinanziamento": "2"}
    r = verifica_sigilli(c, cfg, KEY, when)                       # the `_meta` copies
    assert r.integri and r.righe_cofin_sigillate == {4, 5}, r.dettagli
    r = verifica_sigilli(c, cfg, KEY, when, sigilli=seals)        # as the register holds them
    assert r.integri and r.righe_cofin_sigillate == {4, 5}
    # the year's seal made without window co-financing seals: none are added later, nothing to seal
    assert nuovi_sigilli(c, cfg, KEY, D(2027, 3, 1)) == []
    # a change is still found
    c.cofinanziamento[1].quantita = Decimal("11")
    r = verifica_sigilli(c, cfg, KEY, when)
    assert [m.codice for m in r.motivi_cofinanziamento[5]] == ["RIGA_SIGILLATA_MODIFICATA"]


def test_window_sealed_before_the_date_column_gets_its_cofinancing_seal_at_the_next_lock(cfg):
    """Window 1 sealed by the earlier version (no co-financing seal); the file now has the column «Data»:
    verification says the dated rows of window 1 are not sealed yet, and the next `blocca` seals them."""
    c = seal_into(cartella(copy.deepcopy(BASE), _cofin_datato()), cfg, LOCK)     # no column: finestra1 only
    assert set(leggi_sigilli(c.meta)) == {"finestra1"}
    c.cofin_con_data = True
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert any("finestre già sigillate 1/2026 non ancora sigillate" in d for d in r.dettagli), r.dettagli
    [new] = nuovi_sigilli(c, cfg, KEY, D(2026, 6, 20))
    assert new.ambito == "cofinanziamento1" and [e.riga for e in new.righe] == [5]
    assert new.intestazione["data"] == "2026-06-20"


def test_resealing_scopes_named_on_the_command_line():
    from addin.casi.blocca import ambito_da_risigillare
    from addin.errors import ErroreInput

    assert [ambito_da_risigillare(v) for v in ("1", "finestra 2", "cofinanziamento", "cofinanziamento1",
                                               "Cofinanziamento finestra 3", "cofin2")] == [
        "finestra1", "finestra2", "cofinanziamento", "cofinanziamento1", "cofinanziamento3", "cofinanziamento2"]
    with pytest.raises(ErroreInput, match="cofinanziamento1"):
        ambito_da_risigillare("tutto")


# --- mutants that survived `make mutate` (docs/sviluppo.md): each test names what it kills ----------------

def test_cofinancing_seal_altered_or_not_checkable_reports_its_own_rows(cfg):
    # window 1/2026 sealed on 01/06/2026: the expense seal covers rows 4, 5, 6, 8 of Spese, the
    # co-financing seal row 5 of Cofinanziamento (the only row dated in January-April)
    c = seal_into(_con_data(BASE), cfg, LOCK)
    # without the key nothing can be checked: the rows are taken where each seal recorded them, expenses
    # and co-financing apart (kills seals.x__righe_alla_posizione 1, 4, 5, 7, 8, 10)
    r = verifica_sigilli(c, cfg, None, LOCK)
    assert (r.righe_spese_sigillate, r.righe_cofin_sigillate) == ({4, 5, 6, 8}, {5})
    # the co-financing seal's own data changed: its rows only, in the co-financing reasons, word for word
    # (kills x__alterato 2, 6, 7, 9, 10, 15, 21, 29, 30)
    c.meta["sigillo.cofinanziamento1.hmac"] = "0" * 64
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.sigilli_alterati == ["cofinanziamento finestra 1/2026"] and r.motivi == {}
    assert {n: [(m.codice, m.messaggio) for m in ms] for n, ms in r.motivi_cofinanziamento.items()} == {
        5: [("RIGA_SIGILLATA_MODIFICATA", "Sigillo cofinanziamento finestra 1/2026 alterato: la riga non può "
                                          "essere garantita.")]}
    assert (r.righe_spese_sigillate, r.righe_cofin_sigillate) == ({4, 5, 6, 8}, {5})
    assert r.dettagli[0] == ("Sigillo cofinanziamento finestra 1/2026 ALTERATO nel foglio «_meta» (i dati del sigillo "
                             "non corrispondono): le righe che copre non possono essere garantite.")
    # the expense seal altered instead: its rows stay expense rows (kills x__alterato 30)
    c = seal_into(_con_data(BASE), cfg, LOCK)
    c.meta["sigillo.finestra1.hmac"] = "0" * 64
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.sigilli_alterati == ["finestra 1/2026"] and sorted(r.motivi) == [4, 5, 6, 8]
    assert (r.righe_spese_sigillate, r.righe_cofin_sigillate) == ({4, 5, 6, 8}, {5})


def test_seal_report_values_shown_in_italian():
    # what a seal report shows of a stored value, a date and a row (kills seals.x__show 4, 13, 17, 24, 33,
    # 36, 49, 51-56, 58-63; x_differenze 7, 8; x__riassunto 3, 4, 34, 39, 40; x__data 3-9)
    from addin.workbook import schema
    from addin.workbook.seals import Sigillo, _data, _riassunto, _show, differenze

    d, m = schema.Col("data_pagamento", "Data pagamento", "date"), schema.Col("importo", "Importo", "money")
    b, n = schema.Col("doc_giustificativo", "Giustificativo", "bool"), schema.Col("ore", "Ore", "number")
    t = schema.Col("fornitore", "Fornitore", "text")
    assert _show(t, "") == "(vuoto)" and _show(t, None) == "(vuoto)"
    assert _show(d, "2026-03-20") == "20/03/2026" and _show(d, "2026-03-20T00:00:00") == "20/03/2026"
    assert _show(d, "20 marzo") == "20 marzo"
    assert _show(m, "1234.5") == "1.234,50 €" and _show(m, "mille") == "mille"
    assert (_show(b, True), _show(b, False), _show(b, "forse")) == ("SI", "NO", "forse")
    assert _show(n, "10.5") == "10,5"
    # a long text is sealed by its digest "sha256:" + 64 hex (71 characters): its first 12 shown
    assert _show(t, "sha256:" + "ab12" * 16) == "(testo di oltre 1000 caratteri, impronta ab12ab12ab12)"
    assert _show(t, "x" * 71) == "x" * 71 and _show(t, "sha256:" + "a" * 65) == "sha256:" + "a" * 65
    # up to 80 characters in full, then 77 and "..."
    assert _show(t, "y" * 80) == "y" * 80 and _show(t, "y" * 81) == "y" * 77 + "..."
    assert differenze("non è JSON", "{}", [t]) == ["dati originali non disponibili"]
    assert _riassunto("non è JSON", [t]) == "dati originali non disponibili"
    assert _riassunto('{"fornitore": ""}', [t]) == "riga vuota"
    assert _riassunto('{"fornitore": "Rossi", "importo": "12.5"}', [t, m]) == "Fornitore Rossi, Importo 12,50 €"
    assert _data(Sigillo("finestra1", {"data": "2026-06-01"}, [], "")) == "01/06/2026"
    assert _data(Sigillo("finestra1", {"data": "1 giugno"}, [], "")) == "1 giugno"
    assert _data(Sigillo("finestra1", {}, [], "")) == "?"


def test_key_sources_notes_and_refusals_word_for_word(tmp_path, monkeypatch):
    # kills the survivors of seals.x_leggi_chiave and x__sembra_percorso (the key loading had no test in the
    # fast selection beyond carica_chiave's happy paths)
    from addin.workbook.seals import _sembra_percorso, leggi_chiave

    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    monkeypatch.delenv("RENDICONTA_CHIAVE_FILE", raising=False)
    key = "abcdefghijklmnop"                                         # 16 characters: the minimum
    f = tmp_path / "chiave.txt"

    def refused(path=None):
        with pytest.raises(ErroreChiave) as e:
            leggi_chiave(path)
        return str(e.value)

    f.write_bytes(b"\xef\xbb\xbf" + key.encode() + b"\r\n")         # UTF-8 BOM, Windows newline
    k = leggi_chiave(f)
    assert (k.chiave, k.fonte) == (key.encode(), f"file «{f}»")
    assert k.note == [f"Il file «{f}» inizia con un BOM UTF-8 (aggiunto da alcuni editor): ignorato, la chiave è "
                      "il testo che segue."]
    f.write_bytes((key + "\n").encode("utf-16"))                   # Notepad's "Unicode": BOM FF FE
    k = leggi_chiave(f)
    assert k.chiave == key.encode()
    assert k.note == [f"Il file «{f}» è in UTF-16 (con BOM): letto come testo; la chiave è il suo testo."]
    f.write_bytes(b"\xff\xfe\x00\xd8")                               # a lone surrogate: not text
    assert refused(f) == f"il file «{f}» non è un file di testo leggibile."
    f.write_text(key[:-1])
    assert refused(f) == (f"la chiave nel file «{f}» è troppo corta: servono almeno 16 caratteri (consigliati 64 "
                          "caratteri casuali).")
    f.write_text("  \n")
    assert refused(f) == f"la chiave nel file «{f}» è vuota."
    f.write_bytes(b"k" * (64 * 1024 + 1))
    assert refused(f) == (f"il file «{f}» è troppo grande per essere una chiave (65537 byte): indicare il file "
                          "della chiave.")
    f.write_bytes(b"k" * (64 * 1024))                                # exactly the largest size: read
    assert leggi_chiave(f).chiave == b"k" * (64 * 1024)
    assert refused(tmp_path) == f"il file «{tmp_path}» non è un file."
    assert refused(tmp_path / "manca.txt") == (f"il file «{tmp_path / 'manca.txt'}» non esiste (percorso sbagliato o "
                                               "cartella di rete non collegata?): nessuna chiave, nulla viene "
                                               "sigillato né verificato.")
    # the file named by RENDICONTA_CHIAVE_FILE (surrounding spaces ignored), empty, or with the value too
    f.write_text(key)
    monkeypatch.setenv("RENDICONTA_CHIAVE_FILE", f"  {f} ")
    k = leggi_chiave()
    assert (k.chiave, k.fonte, k.note) == (key.encode(), f"file «{f}» indicato da RENDICONTA_CHIAVE_FILE", [])
    monkeypatch.setenv("RENDICONTA_CHIAVE_FILE", " ")
    assert refused() == ("la variabile RENDICONTA_CHIAVE_FILE è impostata ma vuota: indicare il percorso del file "
                         "della chiave.")
    monkeypatch.setenv("RENDICONTA_CHIAVE", key)
    assert refused() == ("sono impostate sia RENDICONTA_CHIAVE_FILE sia RENDICONTA_CHIAVE: indicare la chiave in un "
                         "solo modo (il file oppure il valore).")
    assert leggi_chiave(f).fonte == f"file «{f}»"                   # --chiave wins over both variables
    monkeypatch.delenv("RENDICONTA_CHIAVE_FILE")
    # the value of RENDICONTA_CHIAVE: with a BOM, short, or a path
    monkeypatch.setenv("RENDICONTA_CHIAVE", "\ufeff" + key)
    k = leggi_chiave()
    assert (k.chiave, k.fonte, k.note) == (key.encode(), "variabile d'ambiente RENDICONTA_CHIAVE",
                                           ["La variabile d'ambiente RENDICONTA_CHIAVE inizia con un BOM UTF-8: "
                                            "ignorato."])
    monkeypatch.setenv("RENDICONTA_CHIAVE", "corta")
    assert refused() == ("la chiave nella variabile d'ambiente RENDICONTA_CHIAVE è troppo corta: servono almeno 16 "
                         "caratteri (consigliati 64 caratteri casuali).")
    monkeypatch.setenv("RENDICONTA_CHIAVE", " /mnt/comune/chiave-sigilli ")
    assert refused() == ("la variabile d'ambiente RENDICONTA_CHIAVE contiene un percorso di file "
                         "(«/mnt/comune/chiave-sigilli»), non una chiave: per leggere la chiave da un file usare "
                         "RENDICONTA_CHIAVE_FILE o --chiave.")
    # what looks like a path: absolute with two parts or more, relative, Windows drive or share, key files
    for v in ("/mnt/chiave", "~/segreti/chiave", "/a/b/", "./chiave", "../x", "C:\\chiavi\\k", "d:/k",
              "\\\\server\\share", "chiave.TXT", "k.pem", "k.key", "k.bin", "sigillo.chiave"):
        assert _sembra_percorso(v), v
    for v in ("/solo", "chiave-molto-lunga-e-casuale", "a/b", "abc.txt.bak", "txt", "C:chiave"):
        assert not _sembra_percorso(v), v


def test_compressed_copy_problems_word_for_word():
    # kills seals.x__decomprimi_righe 1, 3, 17, 18, 30, 31, 36, 39, 46, 48, 49, 54, 55: each malformed copy
    # is refused with its own reason (what the seal report then says)
    import base64
    import zlib

    from addin.workbook.seals import _decomprimi_righe

    def z(raw: bytes) -> str:
        return "z1:" + base64.b64encode(raw).decode("ascii")

    good = zlib.compress("4 abc {}\n5 def {}".encode("utf-8"), 9)
    assert _decomprimi_righe({"1": z(good)}) == ([("4", "abc {}"), ("5", "def {}")], [])
    assert _decomprimi_righe({"1": z(good), "x": "z1:"}) == ([], ["voce «dati.x» non valida"])
    assert _decomprimi_righe({"\u0661": z(good)}) == ([], ["voce «dati.\u0661» non valida"])   # an Arabic-Indic 1
    assert _decomprimi_righe({"1": z(good), "3": "z1:"}) == (
        [], ["copia compressa delle righe incompleta o ripetuta (parti mancanti o doppie)"])
    assert _decomprimi_righe({"1": "z2:" + z(good)[3:]}) == (
        [], ["copia compressa delle righe in un formato non riconosciuto"])
    assert _decomprimi_righe({"1": z(good)[:-4] + "!!!!"}) == ([], ["copia compressa delle righe illeggibile"])
    # a character outside base64 in the middle: refused, not skipped
    assert _decomprimi_righe({"1": z(good)[:10] + "*" + z(good)[10:]}) == ([], ["copia compressa delle righe illeggibile"])
    assert _decomprimi_righe({"1": z(good[:-6])}) == (
        [], ["copia compressa delle righe illeggibile (troppo grande o troncata)"])


def test_signed_text_of_a_seal_computed_outside_the_program():
    # the text a seal signs is compact JSON in UTF-8, accents as they are (not \u escapes): with the key
    # b"chiave-di-prova-del-comune-0123456789", `printf '%s' '{"fornitore":"Nicolò","righe":[1,2]}' |
    # openssl dgst -sha256 -hmac chiave-di-prova-del-comune-0123456789` gives the value below
    # (kills seals.x__mac 3, 6, 8, 10: a seal written before would no longer verify)
    from addin.workbook.seals import _mac

    assert _mac(b"chiave-di-prova-del-comune-0123456789", {"fornitore": "Nicolò", "righe": [1, 2]}) == \
        "0dc13e8eeedccb87c29185aa87fbf28defbd591bd73bef118a6bd05c7ea8e10e"
