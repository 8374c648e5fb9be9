"""`rendiconta blocca` on real workbooks built from the template (openpyxl + the calamine reader)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.protection import hash_password
from typer.testing import CliRunner

from addin.casi.verifica import esegui_verifica
from addin.cli import app
from addin.errors import EXIT_KEY, ErroreChiave, ErroreInput
from addin.casi.blocca import blocca_file
from addin.rules.models import Esito, Spesa, VoceCofinanziamento
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import impronta_chiave, leggi_sigilli
from addin.workbook.template import build_template

KEY = b"chiave-segreta-del-comune-di-crema-2026"
D = dt.date
LOCK = D(2026, 6, 1)
SEALED, OPEN = [4, 5, 7], [6]   # rows of window 1 (Jan-Apr), of window 2 (May-Aug)


def sp(pag, imp, n, doc=None, cat="BENI"):
    doc = doc or pag
    return Spesa(0, azione="1.1", partner="Consorzio Arcobaleno", categoria=cat, descrizione=f"Materiale {n}",
                 fornitore="Cartoleria Rossi", tipo_documento="Fattura", numero_documento=f"F-{n}",
                 data_documento=doc, data_pagamento=pag, modalita_pagamento="Bonifico" if pag else None,
                 importo_documento=Decimal(imp), importo=Decimal(imp), doc_giustificativo=True,
                 doc_conservata=True, doc_trasmessa=True, data_trasmissione=doc)


ROWS = [sp(D(2026, 2, 1), "100.10", 1),              # row 4: window 1
        sp(D(2026, 4, 30), "50", 2),                 # row 5: window 1 (last day)
        sp(D(2026, 5, 3), "70", 3),                  # row 6: window 2
        sp(None, "30", 4, doc=D(2026, 3, 10))]       # row 7: no payment, document date in window 1
COFIN = [VoceCofinanziamento(0, "Igea", "1.1", "MONETARIO", "Quota monetaria", None, Decimal("500"))]


@pytest.fixture
def wbpath(cfg, tmp_path):
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS, COFIN, config=cfg)
    p = tmp_path / "P1_2026.xlsx"
    wb.save(p)
    return p


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def backups(p: Path) -> list[Path]:
    return sorted(p.parent.glob(f"{p.stem}.bak-*{p.suffix}"))


def cols(ws, cols_):
    return {ws.cell(3, j).value: j for j in range(1, len(cols_) + 1)}


def test_blocca_seals_window_locks_rows_and_keeps_backup(cfg, wbpath):
    before = wbpath.read_bytes()
    r = blocca_file(wbpath, cfg, LOCK, KEY)
    # the template has the column «Data» of Cofinanziamento: window 1's co-financing seal (no dated row) too
    assert r.nuovi == ["finestra 1/2026", "cofinanziamento finestra 1/2026"] and r.esistenti == [] and r.modificato
    assert r.righe_spese == 3 and r.righe_cofinanziamento == 0
    assert backups(wbpath) == [r.backup] and r.backup.read_bytes() == before
    assert not list(wbpath.parent.glob(".*"))        # no temporary file left behind

    wb = load_workbook(wbpath)
    ws = wb[schema.SPESE]
    c = cols(ws, schema.SPESE_COLS)
    assert ws.protection.sheet
    for row in SEALED:
        for h in ("Azione", "Importo rendicontato", "Data pagamento", "Doc. trasmessa", "Decisione Comune"):
            assert ws.cell(row, c[h]).protection.locked, (row, h)
        assert not ws.cell(row, c["Esito"]).protection.locked     # written by Valida/Verifica
    for row in [*OPEN, 8, 500, 1003]:                                # open period and empty rows
        for h in ("Azione", "Importo rendicontato", "Data pagamento"):
            assert not ws.cell(row, c[h]).protection.locked, (row, h)
    wc = wb[schema.COFINANZIAMENTO]
    assert wc.protection.sheet and not wc.cell(4, 1).protection.locked   # the year is not closed yet

    meta = {row[0]: row[1] for row in wb[schema.META].iter_rows(values_only=True) if row[0]}
    assert meta["programma"] == "1" and meta["anno"] == "2026"        # template rows untouched
    assert meta["sigillo.finestra1.righe"] == "3"
    assert meta["sigillo.finestra1.blocco"] == "2026-05-31" and meta["sigillo.finestra1.data"] == "2026-06-01"
    assert meta["sigillo.finestra1.chiave"] == impronta_chiave(KEY)
    # the rows' copies are compressed in `_meta` cells (seals.comprimi_righe), read back as they were sealed
    assert not any(".riga." in k for k in meta) and all(len(v or "") <= 32767 for v in meta.values())
    rows = {r.riga: r for r in leggi_sigilli(meta)["finestra1"].righe}
    assert set(rows) == set(SEALED)
    assert not any(k.startswith("sigillo.finestra2") for k in meta)
    # the row MAC is HMAC-SHA256 over the canonical text, written here by hand from the filled values
    # (form version 2: amounts to the cent, 100.10 -> "100.1" once normalised)
    canon = {"azione": "1.1", "partner": "Consorzio Arcobaleno", "categoria": "Beni di consumo e materie prime",
             "descrizione": "Materiale 1", "fornitore": "Cartoleria Rossi", "tipo_documento": "Fattura",
             "numero_documento": "F-1", "data_documento": "2026-02-01", "data_pagamento": "2026-02-01",
             "modalita_pagamento": "Bonifico", "importo_documento": "100.1", "importo": "100.1", "persona": None,
             "ore": None, "costo_orario": None, "doc_giustificativo": True, "doc_conservata": True,
             "doc_trasmessa": True, "data_trasmissione": "2026-02-01"}
    text = json.dumps(canon, ensure_ascii=False, separators=(",", ":"))
    payload = json.dumps(["riga", "2", "1", "2026", "finestra1", text], ensure_ascii=False, separators=(",", ":"))
    mac = hmac.new(KEY, payload.encode(), hashlib.sha256).hexdigest()
    assert (rows[4].hmac, rows[4].testo) == (mac, text)


def test_second_run_changes_nothing(cfg, wbpath):
    blocca_file(wbpath, cfg, LOCK, KEY)
    digest, n = sha(wbpath), len(backups(wbpath))
    r = blocca_file(wbpath, cfg, LOCK, KEY)
    assert not r.modificato and r.nuovi == [] and r.backup is None
    assert sorted(r.esistenti) == ["cofinanziamento finestra 1/2026", "finestra 1/2026"]
    assert sha(wbpath) == digest and len(backups(wbpath)) == n
    r = blocca_file(wbpath, cfg, D(2026, 9, 30), KEY)       # window 2 locks on 30/09: still open that day
    assert not r.modificato and sha(wbpath) == digest


def test_nothing_closed_leaves_file_untouched(cfg, wbpath):
    digest = sha(wbpath)
    r = blocca_file(wbpath, cfg, D(2026, 5, 31), KEY)
    assert r.nuovi == [] and not r.modificato and sha(wbpath) == digest and backups(wbpath) == []


def _snapshot(p: Path) -> dict:
    wb = load_workbook(p)
    out: dict = {"sheets": wb.sheetnames, "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        s: dict = {"state": ws.sheet_state, "freeze": ws.freeze_panes,
                   "tables": sorted((t.displayName, t.ref, t.tableStyleInfo.name if t.tableStyleInfo else None,
                                     tuple(c.name for c in t.tableColumns)) for t in ws.tables.values()),
                   "dv": sorted((str(d.sqref), d.type, d.formula1, d.allow_blank, d.showErrorMessage, d.error,
                                 d.prompt) for d in ws.data_validations.dataValidation),
                   "cf": sorted((str(rng.sqref), tuple((r.type, tuple(r.formula or ()), r.dxfId) for r in rules))
                                for rng, rules in ws.conditional_formatting._cf_rules.items()),
                   "print": (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.print_title_rows,
                             str(ws.print_area), ws.sheet_properties.pageSetUpPr.fitToPage
                             if ws.sheet_properties.pageSetUpPr else None),
                   "widths": sorted((k, v.width) for k, v in ws.column_dimensions.items()),
                   "merged": sorted(str(m) for m in ws.merged_cells.ranges),
                   "cells": [(c.coordinate, c.value, c.number_format, c.font.b, c.fill.fgColor.rgb)
                             for row in ws.iter_rows() for c in row if c.value is not None or ws.title != schema.META]}
        out[ws.title] = s
    return out


def test_everything_else_survives(cfg, wbpath):
    before = _snapshot(wbpath)
    assert before[schema.SPESE]["tables"] and before[schema.SPESE]["dv"] and before["names"]
    assert any(v for k, v in before.items() if isinstance(v, dict) and v["cf"])
    assert any(isinstance(c[1], str) and c[1].startswith("=") for c in before[schema.COFINANZIAMENTO]["cells"])
    blocca_file(wbpath, cfg, LOCK, KEY)
    after = _snapshot(wbpath)
    for k in before:
        if k != schema.META:
            assert after[k] == before[k], k
    m0, m1 = before[schema.META], after[schema.META]
    assert m1["cells"][:len(m0["cells"])] == m0["cells"] and len(m1["cells"]) > len(m0["cells"])
    # issue 13 case 6: the seals' sheet becomes very hidden (and protected)
    assert (m0["state"], m1["state"]) == ("hidden", "veryHidden")
    skip = ("cells", "state")
    assert {k: v for k, v in m1.items() if k not in skip} == {k: v for k, v in m0.items() if k not in skip}
    assert load_workbook(wbpath)[schema.META].protection.sheet


def test_no_key_refused_file_untouched(cfg, wbpath):
    digest = sha(wbpath)
    with pytest.raises(ErroreChiave, match="chiave del Comune"):
        blocca_file(wbpath, cfg, LOCK, None)
    assert sha(wbpath) == digest and backups(wbpath) == []


def test_wrong_key_refused_after_sealing(cfg, wbpath):
    blocca_file(wbpath, cfg, LOCK, KEY)
    digest = sha(wbpath)
    with pytest.raises(ErroreChiave, match="un'altra chiave"):
        blocca_file(wbpath, cfg, D(2026, 10, 1), b"chiave-sbagliata-ma-lunga-abbastanza")
    assert sha(wbpath) == digest


def test_not_a_workbook_is_an_input_error(cfg, tmp_path):
    p = tmp_path / "finto.xlsx"
    p.write_bytes(b"non sono un file excel")
    with pytest.raises(ErroreInput):
        blocca_file(p, cfg, LOCK, KEY)
    assert p.read_bytes() == b"non sono un file excel"


def _salvato_da_excel_durante_il_blocco(monkeypatch, path: Path) -> None:
    """Excel saves the workbook (row 6's amount typed again) after Blocca read it and before it writes."""
    import addin.casi.blocca as blocca

    real = blocca.apri_cartella

    def apri(p, dati=None):
        _edit(path, 6, "Importo rendicontato", 71)
        return real(p, dati)

    monkeypatch.setattr(blocca, "apri_cartella", apri)


def test_a_save_from_excel_while_blocca_runs_is_never_overwritten(cfg, wbpath, monkeypatch):
    from addin.errors import ErroreOutput

    _salvato_da_excel_durante_il_blocco(monkeypatch, wbpath)
    with pytest.raises(ErroreOutput, match="modificato mentre veniva bloccato .* non è stato toccato"):
        blocca_file(wbpath, cfg, LOCK, KEY)
    wb = load_workbook(wbpath)
    ws = wb[schema.SPESE]
    assert ws.cell(6, cols(ws, schema.SPESE_COLS)["Importo rendicontato"]).value == 71   # Excel's save stands
    assert not any(str(r[0].value or "").startswith("sigillo.") for r in wb[schema.META].iter_rows())
    assert backups(wbpath) == [] and [f.name for f in wbpath.parent.iterdir()] == [wbpath.name]


def test_a_save_while_blocca_runs_records_no_seal_in_the_register(cfg, wbpath, monkeypatch, registro):
    from addin.errors import ErroreOutput
    from addin.registro.atti import SIGILLO

    _salvato_da_excel_durante_il_blocco(monkeypatch, wbpath)
    with pytest.raises(ErroreOutput, match="nel registro non è stato registrato nulla"):
        blocca_file(wbpath, cfg, LOCK, KEY, registro=registro)
    assert registro.atti(1, 2026, SIGILLO) == [] and backups(wbpath) == []
    # pressed again, it seals what the file holds now (row 6 is in window 2: 71 is not sealed)
    monkeypatch.undo()
    res = blocca_file(wbpath, cfg, LOCK, KEY, registro=registro)
    assert sorted(res.nuovi) == ["cofinanziamento finestra 1/2026", "finestra 1/2026"] and len(backups(wbpath)) == 1


def _edit(p: Path, row: int, header: str, value) -> None:
    wb = load_workbook(p)
    ws = wb[schema.SPESE]
    ws.cell(row, cols(ws, schema.SPESE_COLS)[header]).value = value
    wb.save(p)


def test_changed_sealed_row_is_reported_never_resealed(cfg, wbpath):
    blocca_file(wbpath, cfg, LOCK, KEY)
    old = {row[0]: row[1] for row in load_workbook(wbpath)[schema.META].iter_rows(values_only=True)}
    _edit(wbpath, 5, "Importo rendicontato", 5000)
    r = blocca_file(wbpath, cfg, D(2026, 10, 1), KEY)
    assert r.nuovi == ["finestra 2/2026", "cofinanziamento finestra 2/2026"] and r.modificato
    assert any("riga 5" in a and "Importo rendicontato" in a and "5.000,00" in a for a in r.avvisi), r.avvisi
    new = {row[0]: row[1] for row in load_workbook(wbpath)[schema.META].iter_rows(values_only=True)}
    assert {k: new[k] for k in old} == old                       # window 1's seal is not rewritten
    assert new["sigillo.finestra2.righe"] == "1"
    c = leggi_cartella(wbpath, cfg)
    res = esegui_verifica(c, cfg, D(2026, 10, 1), chiave=KEY)
    codes = {e.riga: e.codici for e in res.esiti}
    assert "RIGA_SIGILLATA_MODIFICATA" in codes[5] and "RIGA_SIGILLATA_MODIFICATA" not in codes[6]


def test_year_closed_locks_cofinancing(cfg, wbpath):
    r = blocca_file(wbpath, cfg, D(2027, 2, 1), KEY)
    assert r.nuovi == ["finestra 1/2026", "cofinanziamento finestra 1/2026", "finestra 2/2026",
                       "cofinanziamento finestra 2/2026", "finestra 3/2026", "cofinanziamento finestra 3/2026",
                       "cofinanziamento 2026"]
    assert r.righe_spese == 4 and r.righe_cofinanziamento == 1
    wc = load_workbook(wbpath)[schema.COFINANZIAMENTO]
    assert wc.cell(4, 1).protection.locked and not wc.cell(5, 1).protection.locked


def test_password_from_caller_is_set(cfg, wbpath):
    blocca_file(wbpath, cfg, LOCK, KEY, password="Crema-2026!")
    wb = load_workbook(wbpath)
    assert wb[schema.SPESE].protection.password == hash_password("Crema-2026!")
    assert wb[schema.COFINANZIAMENTO].protection.password == hash_password("Crema-2026!")


def test_end_to_end_edit_amount_and_add_march_row(cfg, wbpath):
    blocca_file(wbpath, cfg, LOCK, KEY)
    _edit(wbpath, 5, "Importo rendicontato", 75.5)                  # sealed amount changed (was 50)
    wb = load_workbook(wbpath)
    ws = wb[schema.SPESE]
    c = cols(ws, schema.SPESE_COLS)
    for h, v in {"Azione": "1.1", "Partner": "Consorzio Arcobaleno", "Categoria": "Beni di consumo e materie prime",
                 "Descrizione": "Aggiunta tardiva", "Fornitore/Percettore": "Ferramenta Bianchi",
                 "Tipo documento": "Fattura", "N. documento": "FB-9", "Data documento": dt.datetime(2026, 3, 12),
                 "Data pagamento": dt.datetime(2026, 3, 12), "Modalità pagamento": "Bonifico",
                 "Importo documento": 40, "Importo rendicontato": 40, "Doc. giustificativo": "SI",
                 "Doc. conservata": "SI", "Doc. trasmessa": "SI", "Data trasmissione": dt.datetime(2026, 3, 20)}.items():
        ws.cell(8, c[h]).value = v
    wb.save(wbpath)
    res = esegui_verifica(leggi_cartella(wbpath, cfg), cfg, LOCK, chiave=KEY)
    by = {e.riga: e for e in res.esiti}
    assert by[5].esito is Esito.NON_AMMESSA and "RIGA_SIGILLATA_MODIFICATA" in by[5].codici
    msg = next(m.messaggio for m in by[5].motivi if m.codice == "RIGA_SIGILLATA_MODIFICATA")
    assert "Importo rendicontato" in msg and "50,00" in msg and "75,50" in msg
    assert by[8].esito is Esito.ESCLUSA and by[8].codici == ["INSERIMENTO_RETROATTIVO"]
    assert by[4].esito is Esito.AMMESSA and by[4].importo_ammesso == Decimal("100.10")
    assert by[6].esito is Esito.AMMESSA and by[6].importo_ammesso == Decimal("70.00")
    assert res.sigilli.stato == "verificati"
    # without the key: nothing claimed
    res2 = esegui_verifica(leggi_cartella(wbpath, cfg), cfg, LOCK, chiave=None)
    assert res2.sigilli.stato == "non_verificabili"
    assert any("NON verificati" in d for d in res2.sigilli.dettagli)
    assert not any("nessuna riga bloccata è stata modificata" in d for d in res2.sigilli.dettagli)


def test_cli_blocca(cfg, wbpath, tmp_path, monkeypatch):
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    monkeypatch.delenv("RENDICONTA_PASSWORD_PROTEZIONE", raising=False)
    runner = CliRunner()
    digest = sha(wbpath)
    res = runner.invoke(app, ["blocca", str(wbpath), "--data", "01/06/2026"])
    assert res.exit_code == EXIT_KEY and sha(wbpath) == digest
    keyfile = tmp_path / "chiave.txt"
    keyfile.write_bytes(KEY + b"\n")
    res = runner.invoke(app, ["blocca", str(wbpath), "--data", "01/06/2026", "--chiave", str(keyfile)])
    assert res.exit_code == 0, res.output
    assert "finestra 1/2026" in res.output and "File aggiornato" in res.output
    monkeypatch.setenv("RENDICONTA_CHIAVE", KEY.decode())
    res = runner.invoke(app, ["blocca", str(wbpath), "--data", "01/06/2026"])
    assert res.exit_code == 0 and "File non modificato" in res.output
    res = runner.invoke(app, ["verifica", str(wbpath), "--data", "01/06/2026", "--out", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    assert "Sigilli: Sigilli verificati" in res.output
    monkeypatch.delenv("RENDICONTA_CHIAVE")
    res = runner.invoke(app, ["verifica", str(wbpath), "--data", "01/06/2026", "--out", str(tmp_path / "r2.xlsx")])
    assert res.exit_code == 0 and "NON verificati" in res.output and "Sigilli verificati" not in res.output


# --- property on real files: a single edited cell of a sealed row is always found -------------------

_CELL_VALUES = {
    "text": st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.-/àèéìòù", min_size=1,
                    max_size=15).filter(lambda s: s.strip()),
    "money": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2).map(float),
    "number": st.decimals(min_value=Decimal("0.5"), max_value=Decimal("500"), places=1).map(float),
    "date": st.dates(min_value=D(2025, 12, 1), max_value=D(2027, 1, 31)).map(
        lambda d: dt.datetime(d.year, d.month, d.day)),
    "month": st.dates(min_value=D(2025, 12, 1), max_value=D(2027, 1, 31)).map(
        lambda d: dt.datetime(d.year, d.month, 1)),
    "bool": st.sampled_from(["SI", "NO"]),
}


@pytest.fixture(scope="module")
def locked_base(tmp_path_factory):
    from addin.config import default_config

    cfg = default_config()
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS, COFIN, config=cfg)
    p = tmp_path_factory.mktemp("base") / "P1.xlsx"
    wb.save(p)
    blocca_file(p, cfg, LOCK, KEY)
    return p


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_any_single_cell_edit_on_file_is_detected(cfg, locked_base, tmp_path, data):
    from addin.workbook.seals import verifica_sigilli

    row = data.draw(st.sampled_from(SEALED))
    col = data.draw(st.sampled_from(PARTNER_COLS))
    before = {s.riga: s for s in leggi_cartella(locked_base, cfg).spese}[row]
    old = getattr(before, col.key)
    new = data.draw((st.none() | _CELL_VALUES[col.kind]).filter(lambda v: _differs(col.kind, old, v)))
    p = tmp_path / f"e{abs(hash((row, col.key, str(new))))}.xlsx"
    p.write_bytes(locked_base.read_bytes())
    _edit(p, row, col.header, new)
    r = verifica_sigilli(leggi_cartella(p, cfg), cfg, KEY, LOCK)
    assert [m.codice for m in r.motivi.get(row, [])] == ["RIGA_SIGILLATA_MODIFICATA"], (row, col.key, old, new)
    assert col.header in r.motivi[row][0].messaggio
    assert set(r.motivi) == {row}


def _differs(kind: str, old, new) -> bool:
    if new is None:
        return old is not None
    if old is None:
        return True
    if kind == "text":
        return new.strip() != old
    if kind in ("money", "number"):
        return Decimal(repr(new)) != old
    if kind in ("date", "month"):
        return new.date() != old
    return (new == "SI") != old


# independent of the code under test: every input column except the two reserved to the Comune
PARTNER_COLS = [c for c in schema.input_cols(schema.SPESE_COLS)
                if c.header not in ("Decisione Comune", "Motivazione Comune")]
