"""The lines a seal check writes for the report and the verbale (`RisultatoSigilli.dettagli`), word for
word, in each situation an officer meets: intact (file copy or register), no seals (file or register),
no key, another key, rows moved / changed / inserted, a row deleted. The texts are those of
addin/workbook/seals.py written out by hand (they are what the officer files); the figures are the
fixtures' own (test_seals.BASE: rows 4-7 with documents of 15/01, 31/03, 30/04 and 02/05/2026, row 8
without payment; window 1 = January-April, locked 31/05/2026, checked on 01/06/2026)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from decimal import Decimal

from addin.workbook.seals import leggi_sigilli, verifica_sigilli
from tests.test_seals import BASE, KEY, LOCK, D, cartella, seal_into, spesa

INTACT = ["Sigilli verificati con la chiave del Comune: nessuna riga bloccata è stata modificata.",
          # rows 4, 5, 6 and 8 (documents of 15/01, 31/03, 30/04, 10/02): 4 rows; row 7 (02/05) is window 2
          "Sigillo finestra 1/2026 (4 righe, bloccato il 01/06/2026): verificato, nessuna modifica."]
DUE = "Finestre già chiuse alla data di riferimento ma non sigillate: 1/2026 (eseguire «rendiconta blocca»)."


def _sealed():
    return seal_into(cartella(BASE), cfg_default(), LOCK)


def cfg_default():
    from addin.config import default_config

    return default_config()


def test_intact_from_the_file_and_from_the_register():
    cfg = cfg_default()
    c = _sealed()
    r = verifica_sigilli(c, cfg, KEY, LOCK)
    assert (r.stato, r.integri, r.dettagli, r.motivi) == ("verificati", True, INTACT, {})
    r = verifica_sigilli(cartella(BASE), cfg, KEY, LOCK, sigilli=leggi_sigilli(c.meta))
    assert (r.stato, r.integri, r.dettagli, r.motivi) == ("verificati", True, INTACT, {})


def test_no_seals_in_the_file_or_in_the_register():
    cfg = cfg_default()
    r = verifica_sigilli(cartella(BASE), cfg, KEY, LOCK)
    assert (r.stato, r.dettagli) == ("assenti", [
        "Nessun sigillo presente nel file: le finestre chiuse non sono state bloccate.", DUE])
    r = verifica_sigilli(cartella(BASE), cfg, KEY, LOCK, sigilli={})
    assert (r.stato, r.dettagli) == ("assenti", [
        "Nessun sigillo nel registro del Comune: le finestre chiuse non sono state bloccate.", DUE])


def test_without_the_key_and_with_another_key():
    cfg = cfg_default()
    c = _sealed()
    r = verifica_sigilli(c, cfg, None, LOCK)
    assert (r.stato, r.integri, r.dettagli) == ("non_verificabili", False, [
        "Sigilli presenti (finestra 1/2026) ma NON verificati: manca la chiave del Comune (--chiave FILE, "
        "RENDICONTA_CHIAVE_FILE o RENDICONTA_CHIAVE). Non si può dire se le righe bloccate siano state "
        "modificate."])
    other = b"un'altra-chiave-del-tutto-diversa-0123"
    r = verifica_sigilli(c, cfg, other, LOCK)
    # the fingerprints: HMAC-SHA256 of the fixed text "rendiconta/impronta-chiave" under each key, first
    # 16 hex digits (computed here with hmac, not with the program)
    def impronta(k: bytes) -> str:
        return hmac.new(k, b"rendiconta/impronta-chiave", hashlib.sha256).hexdigest()[:16]

    assert (r.stato, r.dettagli) == ("non_verificabili", [
        f"Sigilli finestra 1/2026: l'impronta della chiave registrata nel file ({impronta(KEY)}) non è "
        f"quella della chiave fornita ({impronta(other)}). O i sigilli sono stati creati con un'altra "
        "chiave, o il foglio «_meta» è stato alterato: nessuna garanzia sulle righe bloccate. Verificare con "
        "la chiave registrata dal Comune per questo file."])


def test_rows_swapped_changed_and_inserted():
    cfg = cfg_default()
    c = _sealed()
    # rows 4 and 5 swapped (intact), row 6's amount 12.34 -> 99.00, a 02/02/2026 row 9 added to window 1
    rows = [dataclasses.replace(BASE[1], riga=4), dataclasses.replace(BASE[0], riga=5),
            dataclasses.replace(BASE[2], riga=6, importo=Decimal("99.00")), BASE[3], BASE[4],
            spesa(9, D(2026, 2, 2), "5.00")]
    r = verifica_sigilli(cartella(rows, meta=c.meta), cfg, KEY, LOCK)
    assert r.dettagli == [
        "Sigillo finestra 1/2026 (4 righe, bloccato il 01/06/2026): 2 anomalie.",
        "2 righe bloccate hanno cambiato posizione (ordinamento, righe inserite o cancellate) con il contenuto "
        "invariato: riga 4 → 5, 5 → 4.",
        "1 riga inserita in una finestra già bloccata (INSERIMENTO_RETROATTIVO)."]
    assert {k: [(m.codice, m.messaggio) for m in v] for k, v in r.motivi.items()} == {
        6: [("RIGA_SIGILLATA_MODIFICATA", "Riga bloccata il 01/06/2026 (finestra 1/2026) modificata dopo il "
                                          "sigillo: Importo rendicontato: 12,34 € → 99,00 €.")],
        9: [("INSERIMENTO_RETROATTIVO", "Spesa del 02/02/2026 inserita nella finestra 1/2026 dopo il blocco "
                                        "(sigillo del 01/06/2026): non è nel sigillo.")]}
    assert (r.stato, r.integri, sorted(r.righe_spese_sigillate)) == ("verificati", False, [4, 5, 6, 8])


def test_one_row_moved_two_inserted_and_one_deleted():
    cfg = cfg_default()
    c = _sealed()
    # row 4 (15/01) moves to row 10; rows 11 and 12 (03/03 and 04/03/2026) inserted in window 1
    rows = [BASE[1], BASE[2], BASE[3], BASE[4], dataclasses.replace(BASE[0], riga=10),
            spesa(11, D(2026, 3, 3), "1.00"), spesa(12, D(2026, 3, 4), "2.00")]
    r = verifica_sigilli(cartella(rows, meta=c.meta), cfg, KEY, LOCK)
    assert r.dettagli == [
        "Sigillo finestra 1/2026 (4 righe, bloccato il 01/06/2026): 2 anomalie.",
        "1 riga bloccata ha cambiato posizione (ordinamento, righe inserite o cancellate) con il contenuto "
        "invariato: riga 4 → 10.",
        "2 righe inserite in finestre già bloccate (INSERIMENTO_RETROATTIVO)."]
    # row 6 (30/04/2026, 12.34) deleted
    rows = [BASE[0], BASE[1], BASE[3], BASE[4]]
    r = verifica_sigilli(cartella(rows, meta=c.meta), cfg, KEY, LOCK)
    assert r.dettagli == [
        "Sigillo finestra 1/2026: la riga 6, bloccata il 01/06/2026, è stata cancellata o svuotata (era: "
        "Data pagamento 30/04/2026, Data documento 30/04/2026, Fornitore/Percettore Cartoleria Rossi, "
        "N. documento F6, Importo rendicontato 12,34 €).",
        "Sigillo finestra 1/2026 (4 righe, bloccato il 01/06/2026): 1 anomalia."]
    assert (r.righe_cancellate, r.motivi) == ([6], {})
