"""The fast paths of the seal check (perf, bench/addin_server.py) give exactly the texts, HMACs and copies
of the plain definitions: the canonical text is json.dumps of the object {column: canonical value}, the
row HMAC is _mac of the list ["riga", version, programme, year, scope, text], a `_meta` copy read against
the register's seal is the same seal as one parsed on its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from addin.rules.models import Spesa, VoceCofinanziamento
from addin.workbook import seals
from addin.workbook.seals import (COLONNE_COFIN, COLONNE_SPESE, RigaSigillata, _canon_value, _MacRighe, _row_mac,
                                  comprimi_righe, forma_canonica, forme_canoniche, leggi_sigilli)

KEY = b"chiave-di-prova-del-comune-0123456789"
D = dt.date


def json_di_riferimento(riga, versione: str = seals.VERSIONE) -> str:
    """The definition of the canonical text (docs/blocco.md), written with json.dumps as the first seals
    were: what the assembled text must equal character for character."""
    cols = COLONNE_COFIN if isinstance(riga, VoceCofinanziamento) else COLONNE_SPESE
    obj = {}
    for c in cols:
        v = getattr(riga, c.key, None)
        if v is None and c.optional:
            continue
        obj[c.key] = _canon_value(v, c.kind, versione)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# texts that json escapes (quotes, backslash, control characters), that the canonical form changes (OOXML
# escapes, CR LF, over LIMITE_TESTO characters) and that it keeps (accents, emoji, U+2028, DEL)
TESTI = ['Nicolò "il Rosso"', "a\\b", "tab\there", "riga\r\nnuova", "Anna_x000A_Verdi", "\x00\x1f\x7f",
         "\u2028 😀 €", "x" * (seals.LIMITE_TESTO + 1), "", " spazi ", "_x00e8_"]


def spese_strane() -> list[Spesa]:
    out = []
    for i, t in enumerate(TESTI):
        out.append(Spesa(riga=4 + i, azione="1.1", partner=t, categoria="PERSONALE", descrizione=t, fornitore=t,
                         numero_documento=f"F{i}", data_documento=D(2026, 1, 1 + i), data_pagamento=None,
                         importo_documento=Decimal("10.005"), importo=Decimal(f"{i}.50"),
                         iva_detraibile=None if i % 2 else Decimal("0"), altri_contributi=Decimal("-0"),
                         persona=None, codice_fiscale=None if i % 3 else "RSSMRA80A01H501U",
                         ore=Decimal("1.50") if i % 2 else Decimal("1.5"), costo_orario=Decimal("20"),
                         mese_competenza=None if i % 2 else D(2026, 1, 1), doc_giustificativo=bool(i % 2),
                         doc_conservata=None, doc_trasmessa=True, data_trasmissione=None))
    return out


def test_canonical_text_of_one_row_written_by_hand():
    # every field in schema order, amounts to the cent without trailing zeros (10.005 -> 10.01), hours to
    # 15 digits (1.50 -> 1.5), an empty optional column left out, an empty required one null
    s = Spesa(riga=4, azione="1.1", partner='Nicolò "il Rosso"', categoria="PERSONALE", descrizione="a\\b",
              fornitore="F", tipo_documento=None, numero_documento="7", data_documento=D(2026, 1, 2),
              data_pagamento=None, modalita_pagamento=None, importo_documento=Decimal("10.005"),
              importo=Decimal("10.00"), persona="Anna\r\nVerdi", ore=Decimal("1.50"), costo_orario=Decimal("20"),
              doc_giustificativo=True, doc_conservata=False, doc_trasmessa=None, data_trasmissione=None)
    atteso = ('{"azione":"1.1","partner":"Nicolò \\"il Rosso\\"","categoria":"PERSONALE","descrizione":"a\\\\b",'
              '"fornitore":"F","tipo_documento":null,"numero_documento":"7","data_documento":"2026-01-02",'
              '"data_pagamento":null,"modalita_pagamento":null,"importo_documento":"10.01","importo":"10",'
              '"persona":"Anna\\nVerdi","ore":"1.5","costo_orario":"20","doc_giustificativo":true,'
              '"doc_conservata":false,"doc_trasmessa":null,"data_trasmissione":null}')
    assert forma_canonica(s) == atteso
    assert forme_canoniche([s]) == [atteso]


def test_sheet_at_once_gives_the_text_of_each_row_in_both_versions():
    rows = spese_strane()
    for versione in ("1", "2"):
        attesi = [json_di_riferimento(r, versione) for r in rows]
        assert forme_canoniche(rows, versione) == attesi
        assert [forma_canonica(r, versione) for r in rows] == attesi
        memo: dict = {}
        assert [forma_canonica(r, versione, memo) for r in rows] == attesi


def test_sheet_at_once_tells_equal_values_of_different_types_apart():
    # 1 == 1.0 == True == Decimal(1): one column holding them (a hand-made model) keeps each one's form
    rows = [Spesa(riga=4, ore=Decimal(1)), Spesa(riga=5, ore=1.0), Spesa(riga=6, ore=True), Spesa(riga=7, ore=1),
            Spesa(riga=8, ore="1")]
    ore = [json.loads(t)["ore"] for t in forme_canoniche(rows)]
    assert ore == ["1", "1", True, "1", "1"]
    assert forme_canoniche(rows) == [json_di_riferimento(r) for r in rows]


def test_sheet_at_once_with_co_financing_rows_and_a_mixed_or_empty_list():
    voci = [VoceCofinanziamento(riga=4, partner="P", tipo="Volontariato", descrizione="a\"b", quantita=Decimal("2.50"),
                                valore_unitario=Decimal("15.005"), data=D(2026, 3, 1)),
            VoceCofinanziamento(riga=5, partner="P", tipo="Monetario", quantita=None, valore_unitario=None)]
    assert forme_canoniche(voci) == [json_di_riferimento(v) for v in voci]
    mixed = [*voci, *spese_strane()[:2]]
    assert forme_canoniche(mixed) == [json_di_riferimento(r) for r in mixed]
    assert forme_canoniche([]) == []


_DECIMALI = st.one_of(st.none(), st.decimals(min_value=-10 ** 11, max_value=10 ** 11, places=4))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), _DECIMALI, st.one_of(st.none(), st.dates()),
                          st.one_of(st.none(), st.booleans())), min_size=1, max_size=8))
def test_sheet_at_once_equals_the_definition_on_any_values(valori):
    # amounts as the reader accepts them (below 1e12, finite)
    rows = [Spesa(riga=4 + i, descrizione=t, persona=t, importo=d, ore=d, iva_detraibile=d, data_documento=g,
                  mese_competenza=g, doc_trasmessa=b) for i, (t, d, g, b) in enumerate(valori)]
    assert forme_canoniche(rows) == [json_di_riferimento(r) for r in rows]


def test_row_hmac_with_the_fixed_beginning_hashed_once_is_the_row_hmac():
    texts = [json_di_riferimento(r) for r in spese_strane()] + ['"]', "", "\\u00e8", "è\n"]
    for prog, anno, ambito, versione in ((1, 2026, "finestra1", "2"), ("12", "2027", "cofinanziamento", "1"),
                                         (3, 2026, 'a"b', "2")):
        row_mac = _MacRighe(KEY, prog, anno, ambito, versione)
        for t in texts:
            assert row_mac(t) == _row_mac(KEY, prog, anno, ambito, t, versione)
    # and by hand: HMAC-SHA256 of the compact JSON list, the text's quotes escaped
    payload = '["riga","2","1","2026","finestra1","{\\"a\\":1}"]'.encode()
    assert _MacRighe(KEY, 1, 2026, "finestra1")('{"a":1}') == hmac.new(KEY, payload, hashlib.sha256).hexdigest()


def _sigillo(righe):
    head = {k: "x" for k in seals._HEADER_FIELDS}
    head["versione"] = "2"
    return seals.Sigillo("finestra1", head, list(righe), "h" * 64)


def _meta(s: seals.Sigillo) -> dict[str, str]:
    return dict(s.voci_meta())


def test_copy_read_against_the_register_is_the_copy_read_alone():
    base = [RigaSigillata(4, "a" * 64, '{"x":"1"}'), RigaSigillata(5, "b" * 64, '{"x":"2 3"}'),
            RigaSigillata(9, "c" * 64, "")]
    ref = _sigillo(base)
    same = leggi_sigilli(_meta(ref), {"finestra1": ref})
    assert same == leggi_sigilli(_meta(ref)) and same["finestra1"].righe == base
    assert same["finestra1"].forma == "compatta" and not same["finestra1"].problemi
    # a copy that differs from the register's seal in one row's text, HMAC or number, or lacks a row, is
    # parsed as it is (and then differs); one written in another order reads back sorted, as always
    for other in ([*base[:2], RigaSigillata(9, "c" * 64, "{}")], [*base[:2], RigaSigillata(9, "d" * 64, "")],
                  [*base[:2], RigaSigillata(10, "c" * 64, "")], base[:2]):
        meta = _meta(_sigillo(other))
        assert leggi_sigilli(meta, {"finestra1": ref}) == leggi_sigilli(meta)
        assert leggi_sigilli(meta, {"finestra1": ref})["finestra1"].righe != base
    meta = _meta(_sigillo([base[1], base[0], base[2]]))
    assert leggi_sigilli(meta, {"finestra1": ref}) == leggi_sigilli(meta) == same


def test_register_rows_that_a_copy_cannot_hold_as_they_are_are_never_taken_for_the_copy():
    # a text with a line break, an HMAC with a space or surrounding blanks, a row number that is not an int,
    # rows out of order: the copy written from them reads back differently, so it is compared as read
    odd = [[RigaSigillata(4, "a" * 64, "x\ny")], [RigaSigillata(4, "a b", "{}")], [RigaSigillata(4, " a", "{}")],
           [RigaSigillata(True, "a", "{}")], [RigaSigillata(5, "a", "{}"), RigaSigillata(4, "b", "{}")],
           [RigaSigillata(2 ** 53 + 1, "a", "{}")]]
    for righe in odd:
        ref = _sigillo(righe)
        meta = _meta(ref)
        assert leggi_sigilli(meta, {"finestra1": ref}) == leggi_sigilli(meta)
    # the first form (one `_meta` row a sealed row) is read as always
    ref = _sigillo([RigaSigillata(4, "a" * 64, "{}")])
    meta = dict(ref.voci_meta(compatta=False))
    assert leggi_sigilli(meta, {"finestra1": ref}) == leggi_sigilli(meta)
    assert leggi_sigilli(meta, {"finestra1": ref})["finestra1"].forma == "righe"


def test_broken_copy_read_against_the_register_keeps_its_problem():
    ref = _sigillo([RigaSigillata(4, "a" * 64, "{}")])
    meta = _meta(ref)
    meta["sigillo.finestra1.dati.1"] = meta["sigillo.finestra1.dati.1"][:-4] + "!!!!"
    got = leggi_sigilli(meta, {"finestra1": ref})
    assert got == leggi_sigilli(meta)
    assert got["finestra1"].problemi == ["copia compressa delle righe illeggibile"] and got["finestra1"].righe == []
    assert comprimi_righe([]) == []


# --- issue #17: the survivors of the mutmut run at 7844d1b in the fast paths ------------------------------

def test_stand_in_row_missing_fields_reads_them_as_empty_in_both_paths():
    # an object that is not a model (only `descrizione`): every other column is empty, so the mandatory ones
    # are "key":null and the optional ones are left out; the text "a\r\nb" is kept in version 1 and becomes
    # "a\nb" in version 2 (CR LF -> LF), json escaping the line breaks as \r and \n
    from types import SimpleNamespace
    riga = SimpleNamespace(descrizione="a\r\nb")

    def atteso(desc: str) -> str:
        return "{" + ",".join(f'"{c.key}":' + (desc if c.key == "descrizione" else "null")
                              for c in COLONNE_SPESE if not c.optional) + "}"
    assert forma_canonica(riga) == atteso('"a\\nb"')
    assert forma_canonica(riga, "1") == atteso('"a\\r\\nb"')
    assert forme_canoniche([riga]) == [atteso('"a\\nb"')]
    assert forme_canoniche([riga, riga], "1") == [atteso('"a\\r\\nb"')] * 2


def test_sheet_at_once_a_column_of_two_types_keeps_kind_version_and_empty_optional():
    # iva_detraibile (money, optional) holding a Decimal, an int and None: version 2 rounds 1.005 half-up to
    # cents = 1.01, version 1 keeps 1.005; the int 2 is "2"; the empty cell leaves the column out
    rows = [Spesa(riga=4, iva_detraibile=Decimal("1.005")), Spesa(riga=5, iva_detraibile=2),
            Spesa(riga=6, iva_detraibile=None)]
    for versione, primo in (("2", "1.01"), ("1", "1.005")):
        got = [json.loads(t) for t in forme_canoniche(rows, versione)]
        assert got[0]["iva_detraibile"] == primo and got[1]["iva_detraibile"] == "2"
        assert "iva_detraibile" not in got[2]
    # exactly two types equal as keys (1 == True): each keeps its own form, "1" and true
    ore = [json.loads(t)["ore"] for t in forme_canoniche([Spesa(riga=4, ore=1), Spesa(riga=5, ore=True)])]
    assert ore == ["1", True]


def test_row_hmac_of_a_scope_with_an_accent_hashes_utf8_not_escapes():
    # by hand: the payload keeps "à" as its UTF-8 bytes (ensure_ascii=False), not as \u00e0
    payload = '["riga","2","1","2026","àmbito","{}"]'.encode("utf-8")
    assert _MacRighe(KEY, 1, 2026, "àmbito")("{}") == hmac.new(KEY, payload, hashlib.sha256).hexdigest()


def test_copy_equal_to_the_register_gets_the_register_rows_themselves():
    # the fast path: rows in order (also above row 106 and with a repeated number) are the register's objects
    for righe in ([RigaSigillata(4, "a" * 64, '{"x":"1"}'), RigaSigillata(5, "b" * 64, ""),
                   RigaSigillata(200, "c" * 64, "{}")],
                  [RigaSigillata(4, "a" * 64, "{}"), RigaSigillata(4, "b" * 64, "{}")]):
        ref = _sigillo(righe)
        got = leggi_sigilli(_meta(ref), {"finestra1": ref})["finestra1"].righe
        assert got == righe and all(a is b for a, b in zip(got, righe))


def test_register_rows_with_a_non_text_hmac_or_text_are_never_taken_for_the_copy():
    # a register row whose HMAC or text is not a str (None): the copy holds "None", read back as text
    for righe in ([RigaSigillata(4, None, "{}")], [RigaSigillata(4, "a", None)]):
        ref = _sigillo(righe)
        meta = _meta(ref)
        assert leggi_sigilli(meta, {"finestra1": ref}) == leggi_sigilli(meta)


def test_copy_with_rows_of_the_first_form_too_is_read_as_it_is():
    # a `_meta` holding both a row of the first form (riga.4) and the compressed copy: both read, the first
    # form's row first for the same number (stable sort), never the register's rows in its place
    ref = _sigillo([RigaSigillata(4, "a" * 64, "{}"), RigaSigillata(5, "b" * 64, "{}")])
    meta = {**_meta(ref), "sigillo.finestra1.riga.4": "z" * 64 + " {}"}
    got = leggi_sigilli(meta, {"finestra1": ref})
    assert got == leggi_sigilli(meta)
    assert [(r.riga, r.hmac[0]) for r in got["finestra1"].righe] == [(4, "z"), (4, "a"), (5, "b")]


def test_broken_copy_against_register_rows_that_a_copy_cannot_hold_keeps_no_rows():
    ref = _sigillo([RigaSigillata(4, "a" * 64, "x\ny")])
    meta = _meta(ref)
    meta["sigillo.finestra1.dati.1"] = meta["sigillo.finestra1.dati.1"][:-4] + "!!!!"
    got = leggi_sigilli(meta, {"finestra1": ref})["finestra1"]
    assert got.righe == [] and got.problemi == ["copia compressa delle righe illeggibile"]
