"""The limit of the search for the row that replaced a changed sealed row (seals._pair, docs/blocco.md):
for speed, only the first 50 current rows sharing each identifying value with the sealed row are
compared with it. Beyond that the change is still reported, as the sealed row deleted and a row inserted
after the lock (both anomalies), never as intact. Pinned at exactly 50 (mutation testing, docs/sviluppo.md)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from addin.workbook.seals import verifica_sigilli
from tests.test_seals import KEY, LOCK, D, cartella, seal_into, spesa

MARZO = D(2026, 3, 10)      # window 1 (January-April), sealed on 01/06/2026 (LOCK)


def _righe(esca_per_chiave: int):
    """Row 4 sealed; then `esca_per_chiave` rows sharing its document number, description and dates (but
    not supplier, partner, category, action: four differences, another document), as many sharing only
    its supplier (dated in May: window 2), and last the sealed row with its amount changed."""
    sealed = spesa(4, MARZO, "100.00", numero_documento="F4", descrizione="Materiale 4")
    a = [spesa(5 + i, MARZO, "100.00", numero_documento="F4", descrizione="Materiale 4",
               fornitore=f"Altro fornitore {i}", partner="Igea", categoria="Servizi e prestazioni professionali "
               "di enti terzi", azione="1.2") for i in range(esca_per_chiave)]
    b = [spesa(5 + esca_per_chiave + i, D(2026, 5, 20), f"{200 + i}.00", numero_documento=f"B{i}",
               descrizione=f"Altro {i}") for i in range(esca_per_chiave)]
    n = 5 + 2 * esca_per_chiave
    changed = dataclasses.replace(sealed, riga=n, importo=Decimal("120.00"))
    return sealed, a + b, changed


def _verifica(cfg, esca_per_chiave: int):
    sealed, decoys, changed = _righe(esca_per_chiave)
    c = seal_into(cartella([sealed]), cfg, LOCK)
    now = cartella(decoys + [changed], meta=c.meta)
    return verifica_sigilli(now, cfg, KEY, LOCK), changed.riga


def test_with_49_rows_sharing_each_value_the_changed_row_is_found(cfg):
    r, n = _verifica(cfg, 49)                       # the changed row is the 50th of each index: compared
    assert [m.codice for m in r.motivi[n]] == ["RIGA_SIGILLATA_MODIFICATA"]
    assert "(era alla riga 4)" in r.motivi[n][0].messaggio and r.righe_cancellate == []


def test_with_50_rows_sharing_each_value_the_change_is_reported_as_deletion_and_insertion(cfg):
    r, n = _verifica(cfg, 50)                       # the 51st: beyond the limit
    assert r.righe_cancellate == [4]
    assert [(m.codice, m.messaggio) for m in r.motivi[n]] == [
        ("INSERIMENTO_RETROATTIVO", "Spesa del 10/03/2026 inserita nella finestra 1/2026 dopo il blocco (sigillo "
                                    "del 01/06/2026): non è nel sigillo.")]
