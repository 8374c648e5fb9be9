"""The register's commands end to end (Italian output, exit codes), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from addin.cli import app
from addin.errors import EXIT_INPUT, EXIT_REGISTER, EXIT_TAMPERED
from addin.registro import Registro
from addin.registro.atti import AVVISO, CAMPIONE, DECISIONE, OSSERVAZIONI, RICEZIONE, SIGILLO, VERIFICA
from addin.workbook.report import RIGA_INTESTAZIONE
from test_registro_casi import KEY, _wb

runner = CliRunner()


def _ok(args):
    res = runner.invoke(app, args, terminal_width=80)
    assert res.exit_code == 0, res.output
    return res.output


def test_flusso_completo_da_riga_di_comando(cfg, tmp_path, registro_url, monkeypatch):
    monkeypatch.setenv("RENDICONTA_CHIAVE", KEY.decode())
    p = _wb(tmp_path, cfg)
    out = _ok(["registro", "init"])
    assert "Registro pronto" in out and "0002" in out
    out = _ok(["ricevi", str(p), "--data", "02/06/2026", "--protocollo", "2026/1234", "--consegnato-da", "Igea"])
    assert "atto 1 (ricezione) del programma 1, anno 2026" in out and "2026/1234" in out
    # acts 2 and 3: window 1's seal and its co-financing seal (the template has the column «Data»)
    _ok(["blocca", str(p), "--data", "01/06/2026", "--operatore", "Dott.ssa Bianchi"])
    out = _ok(["campione", "estrai", str(p), "--semestre", "1"])
    assert "atto 4 (campione)" in out
    out = _ok(["decidi", str(p), "--riga", "6", "--esito", "NON_AMMESSA", "--motivazione", "Fuori azione",
               "--importo", "70,00", "--data", "05/06/2026"])
    assert "atto 5 (decisione)" in out and "NON_AMMESSA riga 6" in out
    out = _ok(["avviso", "--programma", "1", "--anno", "2026", "--data", "10/06/2026"])
    g = cfg.regole.giorni_osservazioni
    assert f"osservazioni entro il {dt.date(2026, 6, 10) + dt.timedelta(days=g):%d/%m/%Y}" in out
    _ok(["osservazioni", "--programma", "1", "--anno", "2026", "--data", "15/06/2026", "--testo", "Pertinente",
         "--esito", "RESPINTE", "--decisioni", "5"])
    out = _ok(["verifica", str(p), "--data", "20/06/2026", "--out", str(tmp_path / "r.xlsx")])
    assert "1 decisione" in out.replace("\n", " ")
    reg = Registro.apri(registro_url)
    assert [a.tipo for a in reg.atti(1, 2026)] == [RICEZIONE, SIGILLO, SIGILLO, CAMPIONE, DECISIONE, AVVISO,
                                                  OSSERVAZIONI, VERIFICA]
    assert reg.atti(1, 2026, SIGILLO)[0].autore == "Dott.ssa Bianchi"
    assert reg.atti(1, 2026, DECISIONE)[0].dati["importo"] == "70.00"
    out = _ok(["registro", "storia", "--programma", "1", "--anno", "2026"])
    assert all(w in out for w in ("ricezione", "sigillo", "campione", "decisione", "avviso", "osservazioni"))
    assert max(len(line) for line in out.splitlines()) <= 80
    out = _ok(["registro", "stato"])
    assert re.search(r"Impronta del registro.*[0-9a-f]{64}", out.replace("\n", ""))
    out = _ok(["registro", "verifica", "--registro", registro_url])
    assert "Registro integro: 8 atti" in out
    # a change made directly in the database
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE atti SET dati = replace(dati, '70.00', '7.00') WHERE tipo = 'DECISIONE'"))
    res = runner.invoke(app, ["registro", "verifica"])
    assert res.exit_code == EXIT_TAMPERED
    said = " ".join(res.output.split())
    assert "ATTO_ALTERATO" in said and "l'atto 5 (decisione) è stato modificato" in said


def test_decisioni_importate_dal_report(cfg, tmp_path, registro_url):
    p = _wb(tmp_path, cfg)
    report = tmp_path / "P1_2026_verifica.xlsx"
    _ok(["verifica", str(p), "--data", "01/06/2026", "--out", str(report)])
    wb = load_workbook(report)
    ws = wb["Esito"]
    hr = RIGA_INTESTAZIONE["Esito"]
    head = [c.value for c in ws[hr]]
    byrow = {ws.cell(r, 1).value: r for r in range(hr + 1, ws.max_row + 1)}
    ws.cell(byrow[6], head.index("Tipologia errore") + 1).value = "Spesa non pertinente"
    ws.cell(byrow[6], head.index("Commento del controllore") + 1).value = "materiale per altra azione"
    ws.cell(byrow[6], head.index("Importo decurtato") + 1).value = 70
    ws.cell(byrow[5], head.index("Tipologia errore") + 1).value = "Richiesta integrazione"
    wb.save(report)
    res = runner.invoke(app, ["decisioni", "importa", str(report)])
    assert res.exit_code == EXIT_INPUT and "scadenza" in res.output
    out = _ok(["decisioni", "importa", str(report), "--scadenza", "15/07/2026"])
    assert "2 decisioni registrate, 0 già presenti" in out
    out = _ok(["decisioni", "importa", str(report), "--scadenza", "15/07/2026"])
    assert "0 decisioni registrate, 2 già presenti" in out
    decs = Registro.apri(registro_url).atti(1, 2026, DECISIONE)
    assert [(d.dati["riga"], d.dati["esito"], d.dati.get("importo")) for d in decs] == [
        (5, "RICHIESTA_INTEGRAZIONE", None), (6, "NON_AMMESSA", "70.00")]
    r = runner.invoke(app, ["verifica", str(p), "--data", "20/06/2026", "--json"])
    import json

    rows = {x["riga"]: x for x in json.loads(r.stdout)["righe"]}
    assert rows[6]["esito"] == "NON_AMMESSA" and rows[5]["esito"] == "DA_INTEGRARE"
    # admitted: rows 4 and 7 = 100.10 + 30 = 130.10
    assert Decimal(json.loads(r.stdout)["totali"]["ammesso"]) == Decimal("130.10")


def test_decisioni_importate_da_un_report_senza_riga_del_titolo(cfg, tmp_path, registro_url):
    """A report written before the sheets had a title line (header on row 1) is still read."""
    p = _wb(tmp_path, cfg)
    report = tmp_path / "vecchio_verifica.xlsx"
    _ok(["verifica", str(p), "--data", "01/06/2026", "--out", str(report)])
    wb = load_workbook(report)
    ws = wb["Esito"]
    ws.delete_rows(1, RIGA_INTESTAZIONE["Esito"] - 1)          # the earlier layout: header on row 1
    head = [c.value for c in ws[1]]
    assert head[0] == "Riga"
    r6 = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == 6)
    ws.cell(r6, head.index("Tipologia errore") + 1).value = "Spesa non pertinente"
    ws.cell(r6, head.index("Importo decurtato") + 1).value = 70
    wb.save(report)
    assert "1 decisione registrata, 0 già presenti" in " ".join(_ok(["decisioni", "importa", str(report)]).split())
    decs = Registro.apri(registro_url).atti(1, 2026, DECISIONE)
    assert [(d.dati["riga"], d.dati["esito"], d.dati.get("importo")) for d in decs] == [(6, "NON_AMMESSA", "70.00")]


def test_referenti(cfg, registro_url):
    from addin.casi.referenti import programmi_di, puo_operare, referenti

    out = _ok(["referenti", "--programma", "2"])
    assert "nessuno registrato" in out
    _ok(["referenti", "--programma", "2", "--referente", "Maria Rossi", "--referente", "Luca Neri"])
    _ok(["referenti", "--programma", "3", "--referente", "maria rossi"])
    reg = Registro.apri(registro_url)
    assert referenti(reg, 2) == ["Maria Rossi", "Luca Neri"]
    assert programmi_di(reg, "MARIA ROSSI", [1, 2, 3, 4, 5, 6]) == [2, 3]
    assert puo_operare(reg, "Luca Neri", 2) and not puo_operare(reg, "Luca Neri", 3)
    _ok(["referenti", "--programma", "2", "--referente", "Luca Neri", "--motivo", "trasferimento"])
    assert referenti(reg, 2) == ["Luca Neri"]
    assert reg.verifica() == []
    res = runner.invoke(app, ["referenti", "--programma", "9", "--referente", "X"])
    assert res.exit_code == EXIT_INPUT and "programma 9" in res.output


def test_registro_irraggiungibile_messaggio_e_codice(tmp_path):
    res = runner.invoke(app, ["registro", "stato", "--registro", "postgresql+psycopg://u@127.0.0.1:1/x"])
    assert res.exit_code == EXIT_REGISTER and "impossibile aprire il registro" in res.output
    res = runner.invoke(app, ["registro", "stato", "--registro", "nonunurl"])
    assert res.exit_code == EXIT_REGISTER and "non valido" in res.output


def test_le_colonne_precompilate_del_report_non_sono_decisioni(cfg, tmp_path, registro_url):
    from test_registro_casi import ROWS, sp

    rows = ROWS + [sp(dt.date(2026, 2, 5), "40", 9, modalita_pagamento="Contanti")]   # not traceable: prefilled
    p = _wb(tmp_path, cfg, rows)
    report = tmp_path / "r.xlsx"
    _ok(["verifica", str(p), "--data", "01/06/2026", "--out", str(report)])
    ws = load_workbook(report)["Esito"]
    hr = RIGA_INTESTAZIONE["Esito"]
    head = [c.value for c in ws[hr]]
    prefilled = [ws.cell(r, head.index("Tipologia errore") + 1).value for r in range(hr + 1, ws.max_row + 1)]
    assert "PAGAMENTO_NON_TRACCIABILE" in prefilled
    out = _ok(["decisioni", "importa", str(report)])
    assert "0 decisioni registrate, 0 già presenti" in out
    assert Registro.apri(registro_url).atti(1, 2026, DECISIONE) == []


def test_solo_i_referenti_operano_sul_programma_nel_componente_aggiuntivo(cfg, tmp_path, registro_url, monkeypatch):
    import xlwings as xw

    from addin import xlbridge
    from addin.casi.referenti import assegna_referenti
    from test_registro_casi import LOCK
    from tests.xlwings_book import actions, book_json

    monkeypatch.setenv("RENDICONTA_CHIAVE", KEY.decode())
    p = _wb(tmp_path, cfg)
    reg = Registro.apri(registro_url)
    # no officer assigned yet: anyone may act
    assert xlbridge.verifica(xw.Book(json=book_json(load_workbook(p))), oggi=LOCK, config=cfg,
                             operatore="Carlo Verdi") is not None
    assegna_referenti(reg, cfg, 1, ["Maria Rossi"])
    for fn in (xlbridge.verifica, xlbridge.blocca):
        book = xw.Book(json=book_json(load_workbook(p)))
        assert fn(book, oggi=LOCK, config=cfg, operatore="Carlo Verdi") is None
        (alert,) = actions(book, "alert")
        assert "Carlo Verdi non è tra i referenti del programma 1 (Maria Rossi)" in alert["args"][0]
    assert reg.atti(1, 2026, SIGILLO) == []
    book = xw.Book(json=book_json(load_workbook(p)))
    assert [s.etichetta for s in xlbridge.blocca(book, oggi=LOCK, config=cfg, operatore="maria rossi")] == \
        ["finestra 1/2026", "cofinanziamento finestra 1/2026"]
