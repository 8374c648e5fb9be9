"""The compressed `_meta` copy of a seal (seals.comprimi_righe): the same seal read back, the first form
still read, and an adversary who edits the copy never gets a row past the file-only check, while with
the register the copy changes nothing."""

from __future__ import annotations

import base64
import copy
import json
import zlib
from decimal import Decimal

import pytest

from addin.workbook.seals import (FORMATO_COPIA, LUNGHEZZA_PEZZO, MAX_BYTE_COPIA, leggi_sigilli, nuovi_sigilli,
                                  verifica_sigilli)
from tests.test_seals import BASE, KEY, LOCK, cartella, seal_into, spesa


def _decodifica(meta: dict, ambito: str = "finestra1") -> list[str]:
    """The lines «row HMAC text» of a compressed copy, decoded by hand (base64, then zlib)."""
    chunks = sorted((int(k.rsplit(".", 1)[1]), v) for k, v in meta.items() if k.startswith(f"sigillo.{ambito}.dati."))
    data = "".join(v[len("z1:"):] for _, v in chunks)
    return zlib.decompress(base64.b64decode(data)).decode().split("\n")


def _ricodifica(meta: dict, lines: list[str], ambito: str = "finestra1") -> None:
    """What an adversary can do: write the copy again with other lines (one chunk)."""
    for k in [k for k in meta if k.startswith(f"sigillo.{ambito}.dati.")]:
        del meta[k]
    meta[f"sigillo.{ambito}.dati.1"] = "z1:" + base64.b64encode(zlib.compress("\n".join(lines).encode())).decode()


def test_the_compressed_copy_is_the_same_seal(cfg):
    c = cartella(copy.deepcopy(BASE))
    [seal] = nuovi_sigilli(c, cfg, KEY, LOCK)
    meta = dict(seal.voci_meta())
    assert not any(".riga." in k for k in meta)
    assert all(v.startswith(FORMATO_COPIA) for k, v in meta.items() if ".dati." in k)
    back = leggi_sigilli(meta)["finestra1"]
    assert (back.intestazione, back.hmac, back.righe, back.problemi) == (seal.intestazione, seal.hmac, seal.righe, [])
    assert back.forma == "compatta"
    # decoded by hand: one line per sealed row, «number HMAC canonical text», in row order
    assert _decodifica(meta) == [f"{r.riga} {r.hmac} {r.testo}" for r in seal.righe]
    assert [int(x.split(" ")[0]) for x in _decodifica(meta)] == [4, 5, 6, 8]   # rows dated in window 1


def test_the_first_form_still_verifies(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK, compatta=False)
    assert {s.forma for s in leggi_sigilli(c.meta).values()} == {"righe"}
    assert verifica_sigilli(c, cfg, KEY, LOCK).integri


def test_many_rows_are_split_into_cells_excel_can_hold(cfg):
    # 3,000 rows with different texts in window 1: more than one chunk; each at most 30,000 characters
    rows = [spesa(4 + i, LOCK.replace(month=1, day=1 + i % 28), f"{10 + i}.{i % 100:02d}",
                  descrizione=f"Acquisto {i} " + "x" * (i % 50), numero_documento=f"F-{i}") for i in range(3000)]
    c = seal_into(cartella(rows), cfg, LOCK)
    chunks = {k: v for k, v in c.meta.items() if ".dati." in k}
    assert len(chunks) > 1 and all(len(v) <= LUNGHEZZA_PEZZO <= 32_767 for v in chunks.values())
    reordered = dict(reversed(list(c.meta.items())))               # the order of the `_meta` rows does not matter
    assert verifica_sigilli(cartella(rows, meta=reordered), cfg, KEY, LOCK).integri


def test_a_row_edited_together_with_its_compressed_copy_is_found(cfg):
    c = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    lines = _decodifica(c.meta)
    num, mac, text = lines[1].split(" ", 2)
    obj = json.loads(text)
    obj["importo"] = "999"                     # the partner edits row 5 and its copy, keeping the row MAC
    lines[1] = f"{num} {mac} {json.dumps(obj, ensure_ascii=False, separators=(',', ':'))}"
    _ricodifica(c.meta, lines)
    c.spese[1].importo = Decimal("999")
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert 5 in r.motivi and any("testo registrato" in d for d in r.dettagli) and not r.integri


@pytest.mark.parametrize("guasto", ["riga tolta", "riga aggiunta", "pezzo mancante", "pezzo doppio", "marcatore",
                                    "base64", "zlib", "troncato", "bomba"])
def test_a_damaged_compressed_copy_makes_the_seal_altered(cfg, guasto):
    rows = [spesa(4 + i, LOCK.replace(month=2, day=1 + i), "10.00", numero_documento=f"F-{i}") for i in range(20)]
    c = seal_into(cartella(copy.deepcopy(rows)), cfg, LOCK)
    lines = _decodifica(c.meta)
    key = "sigillo.finestra1.dati.1"
    if guasto == "riga tolta":
        _ricodifica(c.meta, lines[:-1])
    elif guasto == "riga aggiunta":
        _ricodifica(c.meta, lines + [lines[0].replace("4 ", "99 ", 1)])
    elif guasto == "pezzo mancante":
        data = c.meta.pop(key)
        c.meta["sigillo.finestra1.dati.1"], c.meta["sigillo.finestra1.dati.3"] = data[:40], "z1:" + data[40:]
    elif guasto == "pezzo doppio":
        c.meta["sigillo.finestra1.dati.01"] = c.meta[key]
    elif guasto == "marcatore":
        c.meta[key] = "z9:" + c.meta[key][3:]
    elif guasto == "base64":
        c.meta[key] = c.meta[key][:-4] + "!!!!"
    elif guasto == "zlib":
        c.meta[key] = "z1:" + base64.b64encode(b"not a zlib stream").decode()
    elif guasto == "troncato":
        raw = base64.b64decode(c.meta[key][3:])
        c.meta[key] = "z1:" + base64.b64encode(raw[: len(raw) // 2]).decode()
    else:   # a small chunk that would expand past MAX_BYTE_COPIA: refused without exhausting memory
        c.meta[key] = "z1:" + base64.b64encode(zlib.compress(b"0" * (MAX_BYTE_COPIA + 1024), 9)).decode()
    assert len(c.meta[key]) < 1_000_000
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert r.sigilli_alterati == ["finestra 1/2026"] and not r.integri
    assert set(r.motivi) == {s.riga for s in rows}                 # every row of the window: not guaranteed
    assert any("ALTERATO" in d for d in r.dettagli)


def test_with_the_register_a_tampered_copy_changes_nothing(cfg):
    """The register's seals are the reference: whatever the copy in `_meta` holds, the outcome is the same."""
    intact = seal_into(cartella(copy.deepcopy(BASE)), cfg, LOCK)
    registro = {a: s for a, s in leggi_sigilli(intact.meta).items()}
    tampered = copy.deepcopy(intact)
    _ricodifica(tampered.meta, _decodifica(tampered.meta)[:-1])
    tampered.meta["sigillo.finestra1.dati.2"] = "z1:AAAA"
    for c in (intact, tampered):
        c.spese[0].importo = Decimal("1.00")                         # the same edit in both
    a = verifica_sigilli(intact, cfg, KEY, LOCK, sigilli=registro)
    b = verifica_sigilli(tampered, cfg, KEY, LOCK, sigilli=registro)
    assert (a.stato, a.motivi, a.dettagli, a.sigilli_alterati) == (b.stato, b.motivi, b.dettagli, b.sigilli_alterati)
    assert 4 in b.motivi and not b.sigilli_alterati
