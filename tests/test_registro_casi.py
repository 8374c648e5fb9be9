"""The six attacks of issue 12, each on the register (SQLite, and PostgreSQL when
RENDICONTA_TEST_PG_URL is set): tampering is found, the decision stands, the sample and the deadline do
not move, no seal is lost under concurrent `blocca`. Amounts are computed by hand in the comments."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.casi.atti_registro import leggi_atti
from addin.casi.blocca import blocca_file
from addin.casi.verifica import verifica_file
from addin.errors import ErroreInput
from addin.registro.atti import CAMPIONE, DECISIONE, SIGILLO, VERIFICA
from addin.rules.models import Esito, Spesa, VoceCofinanziamento
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.template import build_template

KEY = b"chiave-segreta-del-comune-di-crema-2026"
D = dt.date
LOCK = D(2026, 6, 1)          # window 1 (Jan-Apr) locked on 31/05/2026


def sp(pag, imp, n, doc=None, cat="BENI", **kw):
    doc = doc or pag
    base = dict(azione="1.1", partner="Consorzio Arcobaleno", categoria=cat, descrizione=f"Materiale {n}",
                fornitore="Cartoleria Rossi", tipo_documento="Fattura", numero_documento=f"F-{n}",
                data_documento=doc, data_pagamento=pag, modalita_pagamento="Bonifico" if pag else None,
                importo_documento=Decimal(imp), importo=Decimal(imp), doc_giustificativo=True,
                doc_conservata=True, doc_trasmessa=True, data_trasmissione=doc)
    base.update(kw)
    return Spesa(0, **base)


ROWS = [sp(D(2026, 2, 1), "100.10", 1),              # row 4: window 1
        sp(D(2026, 4, 30), "50", 2),                 # row 5: window 1 (last day)
        sp(D(2026, 5, 3), "70", 3),                  # row 6: window 2
        sp(D(2026, 3, 10), "30", 4)]                 # row 7: window 1
COFIN = [VoceCofinanziamento(0, "Igea", "1.1", "MONETARIO", "Quota monetaria", None, Decimal("500"))]


def _wb(tmp_path: Path, cfg, rows=ROWS, name="P1_2026.xlsx") -> Path:
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, rows, COFIN, config=cfg)
    p = tmp_path / name
    wb.save(p)
    return p


def _cols(ws) -> dict[str, int]:
    return {ws.cell(3, j).value: j for j in range(1, len(schema.SPESE_COLS) + 1)}


def _edit(p: Path, changes: dict[int, dict[str, object]], meta=None) -> None:
    wb = load_workbook(p)
    ws = wb[schema.SPESE]
    c = _cols(ws)
    for row, values in changes.items():
        for h, v in values.items():
            ws.cell(row, c[h]).value = v
    if meta is not None:
        meta(wb[schema.META])
    wb.save(p)


MARCH_ROW = {"Azione": "1.1", "Partner": "Consorzio Arcobaleno", "Categoria": "Beni di consumo e materie prime",
             "Descrizione": "Aggiunta tardiva", "Fornitore/Percettore": "Ferramenta Bianchi",
             "Tipo documento": "Fattura", "N. documento": "FB-9", "Data documento": dt.datetime(2026, 3, 12),
             "Data pagamento": dt.datetime(2026, 3, 12), "Modalità pagamento": "Bonifico",
             "Importo documento": 4000, "Importo rendicontato": 4000, "Doc. giustificativo": "SI",
             "Doc. conservata": "SI", "Doc. trasmessa": "SI", "Data trasmissione": dt.datetime(2026, 3, 20)}


def _esiti(r) -> dict[int, tuple[Esito, list[str]]]:
    return {e.riga: (e.esito, e.codici) for e in r.esiti}


# --- case 1: the key fingerprint in `_meta` overwritten, a sealed amount raised, a March row added ------

def test_caso1_impronta_della_chiave_riscritta_nel_file(cfg, tmp_path, registro):
    p = _wb(tmp_path, cfg)
    blocca_file(p, cfg, LOCK, KEY, registro=registro)

    def forge(ws):
        for row in ws.iter_rows():
            # every seal's fingerprint (window 1's expenses and its co-financing rows)
            if str(row[0].value or "").startswith("sigillo.") and str(row[0].value).endswith(".chiave"):
                row[1].value = "0000000000000000"
    _edit(p, {4: {"Importo rendicontato": 10000.10, "Importo documento": 10000.10}, 8: MARCH_ROW}, forge)
    # the attack as it worked before the register: file-only check, seals "not verifiable", both rows
    # admitted: 10,000.10 + 50 + 70 + 30 + 4,000 = 14,150.10 (13,900 more than the 250.10 sealed)
    old, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r0.xlsx", chiave=KEY)
    assert old.sigilli.stato == "non_verificabili"
    assert old.totali["ammesso"] == Decimal("14150.10")
    # with the register: its seal and key fingerprint are the reference, the file's are ignored
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r1.xlsx", chiave=KEY, registro=registro)
    assert r.sigilli.stato == "verificati"
    got = _esiti(r)
    assert got[4] == (Esito.NON_AMMESSA, ["RIGA_SIGILLATA_MODIFICATA"])
    assert got[8] == (Esito.ESCLUSA, ["INSERIMENTO_RETROATTIVO"])
    # admitted: rows 5, 6, 7 only = 50 + 70 + 30 = 150.00
    assert r.totali["ammesso"] == Decimal("150.00")
    assert any("non corrispondono al registro" in d for d in r.sigilli.dettagli)
    assert registro.verifica() == []
    assert [a.tipo for a in registro.atti(1, 2026)] == [SIGILLO, SIGILLO, VERIFICA]   # window 1 and its co-financing


# --- case 2: window 1's seal deleted from `_meta`, a row inflated, blocca run again ---------------------

def test_caso2_sigillo_cancellato_dal_file_e_blocca_di_nuovo(cfg, tmp_path, registro):
    p = _wb(tmp_path, cfg)
    first = blocca_file(p, cfg, LOCK, KEY, registro=registro)
    # with window 1's co-financing seal (the template has the column «Data»): acts 1 and 2
    assert first.nuovi == ["finestra 1/2026", "cofinanziamento finestra 1/2026"] and first.atti == [1, 2]

    def wipe(ws):
        for r in range(ws.max_row, 0, -1):
            if str(ws.cell(r, 1).value or "").startswith("sigillo.finestra1."):
                ws.delete_rows(r)
    _edit(p, {5: {"Importo rendicontato": 500, "Importo documento": 500}}, wipe)
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.NON_AMMESSA, ["RIGA_SIGILLATA_MODIFICATA"])
    assert not any("Nessun sigillo" in d for d in r.sigilli.dettagli)
    # blocca does not seal the tampered data: the register's seal stands, the change is reported
    again = blocca_file(p, cfg, LOCK, KEY, registro=registro)
    assert again.nuovi == [] and again.atti == []
    assert sorted(again.esistenti) == ["cofinanziamento finestra 1/2026", "finestra 1/2026"]
    assert any("riga 5" in a for a in again.avvisi)
    assert len(registro.atti(1, 2026, SIGILLO)) == 2
    # the convenience copy in `_meta` is written back from the register
    meta = {row[0].value: row[1].value for row in load_workbook(p)[schema.META].iter_rows() if row[0].value}
    assert meta["sigillo.finestra1.hmac"] == registro.atti(1, 2026, SIGILLO)[0].dati["hmac"]
    assert registro.atti(1, 2026, SIGILLO)[1].dati["ambito"] == "cofinanziamento1"
    # a re-seal only with a motivation, recorded as its own act referencing the old seal
    with pytest.raises(ErroreInput, match="motivazione"):
        blocca_file(p, cfg, LOCK, KEY, registro=registro, risigilla="1")
    res = blocca_file(p, cfg, LOCK, KEY, registro=registro, risigilla="1", motivo="Rettifica accolta (prot. 77)")
    assert res.nuovi == ["finestra 1/2026"]
    seals = registro.atti(1, 2026, SIGILLO)
    assert [(a.riferimento, a.dati.get("motivo")) for a in seals] == [(None, None), (None, None),
                                                                       (1, "Rettifica accolta (prot. 77)")]
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r2.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.AMMESSA, [])
    assert registro.verifica() == []


# --- case 3: a decision on a sealed row cleared by the partner -------------------------------------------

def test_caso3_la_decisione_resta_anche_se_il_file_la_cancella(cfg, tmp_path, registro):
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    blocca_file(p, cfg, LOCK, KEY, registro=registro)
    prog, anno, riga = riga_del_file(p, cfg, 7, registro)
    [entry] = [e for e in registro.atti(1, 2026, SIGILLO)[0].dati["righe"] if e["riga"] == 7]
    assert riga.chiave_riga == entry["hmac"]          # the row's seal HMAC identifies it too
    decidi(registro, prog, anno, riga, "NON_AMMESSA", "Spesa non pertinente all'azione",
           importo=Decimal("30"), data=D(2026, 6, 5))
    # the partner unprotects the sheet and clears the decision column: the file never held the decision
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[7] == (Esito.NON_AMMESSA, ["DECISIONE_COMUNE"])
    # admitted: 100.10 + 50 + 70 = 220.10
    assert r.totali["ammesso"] == Decimal("220.10")
    # a decision typed in the file by the partner counts for nothing (and is reported)
    _edit(p, {6: {"Decisione Comune": "Non ammessa", "Motivazione Comune": "scritta dal partner"}})
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r2.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[6] == (Esito.AMMESSA, [])
    assert any("riga 6" in a and "non risulta nel registro" in a for a in r.avvisi)
    assert "1 decisione" in r.registro.riepilogo()


def test_decisione_per_una_parte_della_riga(cfg, tmp_path, registro):
    """NON_AMMESSA with an amount below the claimed one: the row stays admitted for the rest."""
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    prog, anno, riga = riga_del_file(p, cfg, 4, registro)
    decidi(registro, prog, anno, riga, "NON_AMMESSA", "Quota del materiale usata per altre attività",
           importo=Decimal("40"), data=D(2026, 6, 5))
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", registro=registro)
    e = next(x for x in r.esiti if x.riga == 4)
    # 100.10 claimed - 40.00 not admitted by the Comune = 60.10
    assert (e.esito, e.codici, e.importo_ammesso) == (Esito.AMMESSA, ["DECISIONE_COMUNE_PARZIALE"], Decimal("60.10"))
    assert "40,00 €" in e.motivi[0].messaggio and "altre attività" in e.motivi[0].messaggio
    # admitted: 60.10 + 50 + 70 + 30 = 210.10
    assert r.totali["ammesso"] == Decimal("210.10")
    # the file-only check knows nothing of it
    r0, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r0.xlsx", registro=None)
    assert r0.totali["ammesso"] == Decimal("250.10")


def test_caso3_righe_riordinate_la_decisione_segue_il_documento(cfg, tmp_path, registro):
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    _, _, riga = riga_del_file(p, cfg, 6, registro)
    decidi(registro, 1, 2026, riga, "NON_AMMESSA", "Fuori azione")
    rows = [ROWS[2], ROWS[0], ROWS[1], ROWS[3]]     # F-3 is now on row 4
    p2 = _wb(tmp_path, cfg, rows, "P1_ordinato.xlsx")
    r, _ = verifica_file(p2, cfg, LOCK, out=tmp_path / "r.xlsx", registro=registro)
    got = _esiti(r)
    assert got[4] == (Esito.NON_AMMESSA, ["DECISIONE_COMUNE"]) and got[6][0] is Esito.AMMESSA


# --- case 4: persons added to June do not change the frozen sample ---------------------------------------

def _person(name: str, month: int, n: int) -> Spesa:
    return sp(D(2026, month, 10), "200", n, cat="PERSONALE_INTERNO", fornitore=name, persona=name,
              ore=Decimal("10"), costo_orario=Decimal("20"), tipo_documento="Cedolino",
              importo_documento=Decimal("3000"))


def test_caso4_il_campione_estratto_non_cambia(cfg, tmp_path, registro):
    from addin.casi.campione import estrai_campione

    names = ["Anna Neri", "Bruno Verdi", "Carla Blu", "Dario Gialli", "Elena Rosa", "Franco Viola",
             "Gina Grigi", "Ugo Bruni", "Luca Ori", "Marta Argento", "Nino Rame", "Olga Stagno"]
    base = [_person(nm, 1 + i % 5, i) for i, nm in enumerate(names)]
    p = _wb(tmp_path, cfg, base)
    act = estrai_campione(registro, p, cfg, 1)
    seed = act.dati["seme"]
    assert act.dati["popolazione"] == sorted(names)
    # sample size: "fino al 10%" = floor(10% × 12 = 1.2) = 1, at least the configured minimum (1)
    expected_size = 1
    assert act.dati["dimensione"] == len(act.dati["estratti"]) == expected_size
    first, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", registro=registro)
    # three persons added to June: the population changes, the frozen sample does not
    p2 = _wb(tmp_path, cfg, base + [_person(nm, 6, 90 + i) for i, nm in enumerate(["Piero", "Quinto", "Rita"])],
             "P1_giugno.xlsx")
    later, _ = verifica_file(p2, cfg, LOCK, out=tmp_path / "r2.xlsx", registro=registro)
    assert later.campioni[0].estratti == first.campioni[0].estratti == act.dati["estratti"]
    assert later.campioni[0].seme == seed and later.campioni[0].persone == 12
    # the sampled persons' rows are found in the new file
    assert all(later.campioni[0].righe[nm] for nm in act.dati["estratti"])
    # a second draw needs a motivation and references the first
    with pytest.raises(ErroreInput, match="motivazione"):
        estrai_campione(registro, p2, cfg, 1)
    again = estrai_campione(registro, p2, cfg, 1, motivo="Nuove persone rendicontate a giugno")
    assert again.riferimento == act.posizione and len(again.dati["popolazione"]) == 15
    # each draw takes a fresh seed from the cryptographic generator (63 bits): never the same twice
    assert again.dati["seme"] != seed
    assert [a.posizione for a in registro.atti(1, 2026, CAMPIONE)] == [act.posizione, again.posizione]


# --- the deadline for observations is fixed by the notice ------------------------------------------------

def test_caso4_la_scadenza_delle_osservazioni_non_si_sposta(cfg, tmp_path, registro):
    from addin.casi.avviso import registra_avviso, registra_osservazioni
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    r, _ = verifica_file(p, cfg, D(2026, 6, 1), out=tmp_path / "r.xlsx", registro=registro)
    assert r.scadenza_provvisoria
    _, _, riga = riga_del_file(p, cfg, 6, registro)
    dec = decidi(registro, 1, 2026, riga, "NON_AMMESSA", "Fuori azione")
    registra_avviso(registro, cfg, 1, 2026, D(2026, 6, 10))
    g = cfg.regole.giorni_osservazioni
    for day in (D(2026, 6, 12), D(2026, 7, 30)):
        r, _ = verifica_file(p, cfg, day, out=tmp_path / "r.xlsx", registro=registro)
        assert r.scadenza_osservazioni == D(2026, 6, 10) + dt.timedelta(days=g)
        assert not r.scadenza_provvisoria
    assert f"avviso del 10/06/2026: osservazioni entro il {D(2026, 6, 10) + dt.timedelta(days=g):%d/%m/%Y}" \
        in r.registro.riepilogo()
    assert _esiti(r)[6][0] is Esito.NON_AMMESSA
    # the ATS's observations accepted: the decision is revoked
    registra_osservazioni(registro, 1, 2026, D(2026, 6, 15), "Spesa pertinente: vedi progetto", "ACCOLTE",
                          [dec.posizione])
    r, _ = verifica_file(p, cfg, D(2026, 6, 20), out=tmp_path / "r.xlsx", registro=registro)
    assert _esiti(r)[6] == (Esito.AMMESSA, [])


def test_richiesta_di_integrazione_su_riga_sigillata(cfg, tmp_path, registro):
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    blocca_file(p, cfg, LOCK, KEY, registro=registro)
    _, _, riga = riga_del_file(p, cfg, 5, registro)
    decidi(registro, 1, 2026, riga, "RICHIESTA_INTEGRAZIONE", "Manca il DURC", documenti="DURC del fornitore",
           scadenza=D(2026, 7, 15))
    r, _ = verifica_file(p, cfg, D(2026, 6, 20), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.DA_INTEGRARE, ["RICHIESTA_INTEGRAZIONE"])
    # the partner completes the document fields of the sealed row: no tamper alarm
    _edit(p, {5: {"Data trasmissione": dt.datetime(2026, 5, 20)}})
    r, _ = verifica_file(p, cfg, D(2026, 6, 20), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.DA_INTEGRARE, ["RICHIESTA_INTEGRAZIONE"])
    assert "1 richiesta di integrazione aperta fino al 15/07/2026" in r.registro.riepilogo()
    r, _ = verifica_file(p, cfg, D(2026, 7, 16), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.ESCLUSA, ["RICHIESTA_INTEGRAZIONE"])
    decidi(registro, 1, 2026, riga, "ACCOLTA", "DURC ricevuto il 10/07/2026")
    r, _ = verifica_file(p, cfg, D(2026, 7, 16), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.AMMESSA, [])
    # a financial field changed on the same row is still tampering
    _edit(p, {5: {"Importo rendicontato": 55, "Importo documento": 55}})
    r, _ = verifica_file(p, cfg, D(2026, 7, 16), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert _esiti(r)[5] == (Esito.NON_AMMESSA, ["RIGA_SIGILLATA_MODIFICATA"])


def test_richiesta_di_integrazione_su_riga_sigillata_poi_spostata(cfg, tmp_path, registro):
    """The partner sorts the rows and completes the document fields of the row asked about: the exemption
    follows the row's document, not its position (rows 4 and 5 swapped, row 5's F-2 now at row 4)."""
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    blocca_file(p, cfg, LOCK, KEY, registro=registro)
    _, _, riga = riga_del_file(p, cfg, 5, registro)
    decidi(registro, 1, 2026, riga, "RICHIESTA_INTEGRAZIONE", "Manca il DURC", documenti="DURC del fornitore",
           scadenza=D(2026, 7, 15))
    wb = load_workbook(p)
    ws = wb[schema.SPESE]
    width = len(schema.SPESE_COLS)
    r4 = [ws.cell(4, j).value for j in range(1, width + 1)]
    r5 = [ws.cell(5, j).value for j in range(1, width + 1)]
    for j in range(1, width + 1):
        ws.cell(4, j).value, ws.cell(5, j).value = r5[j - 1], r4[j - 1]
    wb.save(p)
    _edit(p, {4: {"Data trasmissione": dt.datetime(2026, 5, 20)}})
    r, _ = verifica_file(p, cfg, D(2026, 6, 20), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    got = _esiti(r)
    assert got[4] == (Esito.DA_INTEGRARE, ["RICHIESTA_INTEGRAZIONE"])   # F-2, moved and completed
    assert got[5] == (Esito.AMMESSA, [])                                # F-1, moved, intact
    # a financial field changed on the moved row is still tampering
    _edit(p, {4: {"Importo rendicontato": 55, "Importo documento": 55}})
    r, _ = verifica_file(p, cfg, D(2026, 6, 20), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert "RIGA_SIGILLATA_MODIFICATA" in _esiti(r)[4][1]


# --- case 5: two blocca at once -------------------------------------------------------------------------

def test_caso5_due_blocca_insieme_nessun_sigillo_perso(cfg, tmp_path, registro):
    p = _wb(tmp_path, cfg)
    results, errors = {}, []
    start = threading.Barrier(2)

    def run(day: dt.date):
        start.wait()
        try:
            results[day] = blocca_file(p, cfg, day, KEY, registro=registro, operatore=f"ufficio {day:%d/%m}")
        except Exception as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    ts = [threading.Thread(target=run, args=(d,)) for d in (D(2026, 10, 1), D(2026, 6, 1))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    seals = registro.atti(1, 2026, SIGILLO)
    # 01/10 closes windows 1 (locked 31/05) and 2 (locked 30/09): each sealed exactly once, by either run
    assert sorted(a.dati["ambito"] for a in seals) == ["cofinanziamento1", "cofinanziamento2", "finestra1",
                                                       "finestra2"]
    assert sorted(x for r in results.values() for x in r.nuovi) == [
        "cofinanziamento finestra 1/2026", "cofinanziamento finestra 2/2026", "finestra 1/2026", "finestra 2/2026"]
    # the file holds both copies and verifies against the register
    r, _ = verifica_file(p, cfg, D(2026, 10, 1), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert r.sigilli.stato == "verificati" and not any(m for m in r.sigilli.cofinanziamento.values())
    assert all(not codes for _, codes in _esiti(r).values())
    meta = {row[0].value for row in load_workbook(p)[schema.META].iter_rows() if row[0].value}
    assert {"sigillo.finestra1.hmac", "sigillo.finestra2.hmac"} <= meta
    assert registro.verifica() == []


# --- case 6: the add-in with authentication off: seals blanked, Blocca pressed again ---------------------

def test_caso6_componente_aggiuntivo_sigilli_cancellati_e_blocca(cfg, tmp_path, registro, monkeypatch):
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    from addin import xlbridge
    from tests.xlwings_book import actions, book_json, foglio_verifica

    monkeypatch.setenv("RENDICONTA_CHIAVE", KEY.decode())
    p = _wb(tmp_path, cfg)
    wb = load_workbook(p)
    j = book_json(wb, "P1_2026.xlsx")
    first = xlbridge.blocca(xw.Book(json=copy.deepcopy(j)), oggi=LOCK, config=cfg, operatore="Ufficio servizi")
    assert [s.etichetta for s in first] == ["finestra 1/2026", "cofinanziamento finestra 1/2026"]
    seal, _ = registro.atti(1, 2026, SIGILLO)
    assert seal.autore == "Ufficio servizi"
    # someone reaching the server blanks `_meta`'s seals (they were never written there: same thing),
    # raises a sealed amount and presses Blocca again
    c = _cols(wb[schema.SPESE])
    wb[schema.SPESE].cell(4, c["Importo rendicontato"]).value = 9999
    wb[schema.SPESE].cell(4, c["Importo documento"]).value = 9999
    book = xw.Book(json=book_json(wb, "P1_2026.xlsx"))
    again = xlbridge.blocca(book, oggi=LOCK, config=cfg)
    assert again == []
    (alert,) = actions(book, "alert")
    assert "già nel registro del Comune: finestra 1/2026" in alert["args"][0] and "riga 4" in alert["args"][0]
    assert len(registro.atti(1, 2026, SIGILLO)) == 2
    # the sealed rows stay locked by the register's seal, and Verifica finds the change
    (macro,) = [m for m in actions(book, "runMacro") if m["args"][0] == xlbridge.CALLBACK_PROTEZIONE]
    assert macro["args"][1][0]["bloccate"]
    book = xw.Book(json=book_json(wb, "P1_2026.xlsx"))
    r = xlbridge.verifica(book, oggi=LOCK, config=cfg)
    assert _esiti(r)[4] == (Esito.NON_AMMESSA, ["RIGA_SIGILLATA_MODIFICATA"])
    assert [a.tipo for a in registro.atti(1, 2026)] == [SIGILLO, SIGILLO, VERIFICA]
    assert registro.verifica() == []
    assert leggi_atti(1, 2026, registro.atti(1, 2026)).sigilli["finestra1"].hmac == seal.dati["hmac"]
    assert DECISIONE not in {a.tipo for a in registro.atti(1, 2026)}


def test_consolida_legge_il_registro(cfg, tmp_path, registro):
    from addin.casi.consolida import consolida_file
    from addin.casi.decisioni import decidi, riga_del_file

    p = _wb(tmp_path, cfg)
    blocca_file(p, cfg, LOCK, KEY, registro=registro)
    _, _, riga = riga_del_file(p, cfg, 6, registro)
    decidi(registro, 1, 2026, riga, "NON_AMMESSA", "Fuori azione")
    _edit(p, {4: {"Importo rendicontato": 900, "Importo documento": 900}})     # a sealed row changed
    r = consolida_file([p], cfg, LOCK, tmp_path / "cons.xlsx", chiave=KEY, registro=registro)
    # P1 admitted: row 4 changed after the seal (0), row 6 decided (0): 50 + 30 = 80.00
    assert r.programmi[0].ammesso == Decimal("80.00")
    plain = consolida_file([p], cfg, LOCK, tmp_path / "cons2.xlsx", chiave=KEY)
    # file-only: the seal's copy in `_meta` still catches row 4, the register's decision is unknown: 70 + 80
    assert plain.programmi[0].ammesso == Decimal("150.00")


def test_caso5_due_processi_blocca_insieme(cfg, tmp_path, registro, registro_url):
    """As the issue tried it: two `rendiconta blocca` processes started together."""
    import os
    import subprocess
    import sys

    p = _wb(tmp_path, cfg)
    env = {**os.environ, "RENDICONTA_REGISTRO": registro_url, "RENDICONTA_CHIAVE": KEY.decode()}
    procs = [subprocess.Popen([sys.executable, "-m", "addin.cli", "blocca", str(p), "--data", day],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for day in ("01/10/2026", "01/06/2026")]
    outs = [pr.communicate(timeout=240) for pr in procs]
    assert [pr.returncode for pr in procs] == [0, 0], outs
    assert sorted(a.dati["ambito"] for a in registro.atti(1, 2026, SIGILLO)) == [
        "cofinanziamento1", "cofinanziamento2", "finestra1", "finestra2"]
    r, _ = verifica_file(p, cfg, D(2026, 10, 1), out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert r.sigilli.stato == "verificati" and all(not codes for _, codes in _esiti(r).values())
    meta = {row[0].value for row in load_workbook(p)[schema.META].iter_rows() if row[0].value}
    assert {"sigillo.finestra1.hmac", "sigillo.finestra2.hmac"} <= meta


def test_decisioni_dal_foglio_verifica_del_componente_aggiuntivo(cfg, tmp_path, registro):
    import xlwings as xw

    from addin import xlbridge
    from tests.xlwings_book import actions, book_json, foglio_verifica

    p = _wb(tmp_path, cfg)
    wb = load_workbook(p)
    book = xw.Book(json=book_json(wb, "P1_2026.xlsx"))
    xlbridge.verifica(book, oggi=LOCK, config=cfg)
    # what the Verifica script wrote, as the officer then sees it in Excel
    ws, cols, riga = foglio_verifica(wb, actions(book))
    row6 = riga(6)
    ws.cell(row6, cols["Tipologia errore"]).value = "Spesa non pertinente"
    ws.cell(row6, cols["Importo decurtato"]).value = 70
    book = xw.Book(json=book_json(wb, "P1_2026.xlsx"))
    res = xlbridge.registra_decisioni(book, config=cfg, operatore="Ufficio servizi")
    assert len(res.registrate) == 1 and res.invariate == 0
    [dec] = registro.atti(1, 2026, DECISIONE)
    assert (dec.dati["riga"], dec.dati["esito"], dec.dati["importo"], dec.autore) == \
        (6, "NON_AMMESSA", "70.00", "Ufficio servizi")


def test_la_ricezione_registrata_arriva_al_verbale(cfg, tmp_path, registro):
    import hashlib

    from addin.casi.ricevi import ricevi

    p = _wb(tmp_path, cfg)
    ricevi(registro, p, cfg, data_ricezione=D(2026, 6, 2), protocollo="2026/1234", consegnato_da="Igea")
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", registro=registro)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    assert (r.ricezione.protocollo, r.ricezione.data, r.ricezione.sha256, r.ricezione.mittente) == \
        ("2026/1234", D(2026, 6, 2), digest, "Igea")
    assert r.sha256 == digest
    [v] = registro.atti(1, 2026, VERIFICA)
    assert v.dati["sha256_file"] == digest
    assert v.dati["sha256_report"] == hashlib.sha256((tmp_path / "r.xlsx").read_bytes()).hexdigest()


# --- co-financing rows dated in a window: sealed and locked with it, CLI and add-in alike ---------------

COFIN_DATATE = [VoceCofinanziamento(0, "Auser", "1.1", "Volontariato", "Accompagnamento", Decimal("10"),
                                    Decimal("20.07"), D(2026, 3, 10)),          # row 4: window 1
                VoceCofinanziamento(0, "Koala", "1.2", "Non monetario", "Uso locali", Decimal("2"),
                                    Decimal("30.00"), D(2026, 6, 15)),          # row 5: window 2
                VoceCofinanziamento(0, "Igea", "1.1", "Monetario", "Quota", None, Decimal("500"))]   # row 6


def _wb_cofin(tmp_path: Path, cfg) -> Path:
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS, COFIN_DATATE, config=cfg)
    p = tmp_path / "P1_2026.xlsx"
    wb.save(p)
    return p


def test_blocca_seals_and_locks_the_cofinancing_rows_of_the_window(cfg, tmp_path, registro):
    p = _wb_cofin(tmp_path, cfg)
    r = blocca_file(p, cfg, LOCK, KEY, registro=registro)
    assert r.nuovi == ["finestra 1/2026", "cofinanziamento finestra 1/2026"] and r.righe_cofinanziamento == 1
    acts = {a.dati["ambito"]: a for a in registro.atti(1, 2026, SIGILLO)}
    assert [x["riga"] for x in acts["cofinanziamento1"].dati["righe"]] == [4]
    wc = load_workbook(p)[schema.COFINANZIAMENTO]
    assert wc.protection.sheet
    assert wc.cell(4, 1).protection.locked and wc.cell(4, 7).protection.locked      # Partner .. Valore unitario
    assert not wc.cell(5, 1).protection.locked and not wc.cell(6, 1).protection.locked   # window 2, monetary
    # the sealed hours raised from 10 to 100 (the partner unprotects the sheet): the row no longer counts
    # (volunteers 0 instead of 10 h × 20.07 = 200.70); the row of window 2 (2 × 30.00 = 60.00) still does
    wb = load_workbook(p)
    wb[schema.COFINANZIAMENTO].cell(4, 6).value = 100
    wb.save(p)
    v, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert (v.cofin_totali.volontariato, v.cofin_totali.non_monetario) == (Decimal("0.00"), Decimal("60.00"))
    assert [m.codice for m in v.sigilli.cofinanziamento[4]] == ["RIGA_SIGILLATA_MODIFICATA"]


def test_componente_aggiuntivo_blocca_le_voci_datate(cfg, tmp_path, registro, monkeypatch):
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    from addin import xlbridge
    from tests.xlwings_book import actions, book_json

    monkeypatch.setenv("RENDICONTA_CHIAVE", KEY.decode())
    book = xw.Book(json=book_json(load_workbook(_wb_cofin(tmp_path, cfg)), "P1_2026.xlsx"))
    new = xlbridge.blocca(book, oggi=LOCK, config=cfg, operatore="Ufficio servizi")
    assert [s.etichetta for s in new] == ["finestra 1/2026", "cofinanziamento finestra 1/2026"]
    (macro,) = [m for m in actions(book, "runMacro") if m["args"][0] == xlbridge.CALLBACK_PROTEZIONE]
    spese, cofin = macro["args"][1]
    assert cofin["foglio"] == schema.COFINANZIAMENTO
    assert cofin["bloccate"] == ["A4:G4"]          # row 4 only, Partner (A) .. Valore unitario (G)
    (alert,) = actions(book, "alert")
    assert "1 di Cofinanziamento" in alert["args"][0]


def test_colonna_data_del_cofinanziamento_cancellata_dopo_il_sigillo(cfg, tmp_path, registro):
    """The partner deletes the column «Data» of Cofinanziamento after window 1 was sealed with its
    volunteer row: the report says so (the rows can no longer be placed in windows)."""
    wb = build_template(cfg, 1, 2026)
    cofin = COFIN + [VoceCofinanziamento(0, "Igea", "1.1", "VOLONTARIATO", "Animazione", Decimal("10"),
                                         Decimal("15"), data=D(2026, 3, 1))]
    fill_workbook(wb, ROWS, cofin, config=cfg)
    p = tmp_path / "P1_2026.xlsx"
    wb.save(p)
    r, _ = verifica_file(p, cfg, D(2026, 5, 1), out=tmp_path / "r0.xlsx", registro=registro)
    assert not any("colonna «Data»" in a for a in r.avvisi)          # the current template: nothing to say
    blocca_file(p, cfg, LOCK, KEY, registro=registro)
    assert "cofinanziamento1" in {a.dati["ambito"] for a in registro.atti(1, 2026, SIGILLO)}
    wb = load_workbook(p)
    ws = wb[schema.COFINANZIAMENTO]
    col = next(c.column for c in ws[3] if c.value == "Data")
    ws.delete_cols(col)
    wb.save(p)
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r1.xlsx", chiave=KEY, registro=registro)
    assert any("non ha più la colonna «Data»" in a and "per finestra (cofinanziamento finestra 1/2026):" in a
               for a in r.avvisi), r.avvisi
    # the file-only check of the same workbook: the milder notice (no register to compare with)
    r, _ = verifica_file(p, cfg, LOCK, out=tmp_path / "r2.xlsx", chiave=KEY)
    assert any("non ha la colonna «Data»" in a for a in r.avvisi), r.avvisi


def test_data_decisiva_cambiata_dopo_il_sigillo_e_un_errore_di_configurazione(cfg, tmp_path, registro):
    """Window 1 sealed with the deciding date «pagamento»; the configuration then says «competenza»: a row
    with its document in March and its payment in May would move into sealed window 1 and look inserted
    after the seal. Verifica and Blocca refuse with an Italian configuration error (exit 4) instead."""
    from addin.errors import EXIT_CONFIG, ErroreConfigurazione

    per_pagamento = cfg.model_copy(update={"regole": cfg.regole.model_copy(update={"data_decisiva": "pagamento"})})
    rows = ROWS + [sp(D(2026, 5, 10), "20", 5, doc=D(2026, 3, 20))]    # row 8: paid in window 2, dated in 1
    p = _wb(tmp_path, per_pagamento, rows)
    blocca_file(p, per_pagamento, LOCK, KEY, registro=registro)
    assert {a.dati["data_decisiva"] for a in registro.atti(1, 2026, SIGILLO)} == {"pagamento"}
    r, _ = verifica_file(p, per_pagamento, LOCK, out=tmp_path / "r.xlsx", chiave=KEY, registro=registro)
    assert r.sigilli.stato == "verificati"
    atteso = ("la configurazione indica come data decisiva «competenza» ([regole] data_decisiva), ma il sigillo "
              "finestra 1/2026 del programma 1 nel registro del Comune è stato fatto con "
              "«pagamento»: con un altro criterio le righe cambierebbero finestra. Ripristinare "
              'data_decisiva = "pagamento" nella configurazione.')
    with pytest.raises(ErroreConfigurazione) as exc:
        verifica_file(p, cfg, LOCK, out=tmp_path / "r2.xlsx", chiave=KEY, registro=registro)
    assert str(exc.value) == atteso and exc.value.exit_code == EXIT_CONFIG == 4
    before = p.read_bytes()
    with pytest.raises(ErroreConfigurazione):
        blocca_file(p, cfg, D(2026, 10, 1), KEY, registro=registro)
    assert p.read_bytes() == before and len(registro.atti(1, 2026, SIGILLO)) == 2
