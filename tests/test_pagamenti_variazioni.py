"""Payments made and approved budget variations as acts of the register (issue #16): recorded,
refused, cancelled, imported from a sheet, read back by the three-year consolidation and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import openpyxl
import pytest
from typer.testing import CliRunner

from addin.casi.pagamenti import (annulla_pagamento, importa_pagamenti, pagamenti_da_atti, pagamenti_registrati,
                                  registra_pagamento)
from addin.casi.variazioni import (annulla_variazione, importa_variazioni, registra_variazione, riga,
                                   variazioni_da_atti, variazioni_registrate)
from addin.cli import app
from addin.demo_data import cartella_compilata
from addin.errors import EXIT_INPUT, ErroreInput
from addin.registro.atti import PAGAMENTO, VARIAZIONE_BUDGET
from addin.rules.payments import Pagamento
from addin.rules.variations import RigaVariazione, VariazioneBudget
from tests.test_triennio import _books

TODAY = dt.date(2027, 2, 15)
P1 = Pagamento(1, 2026, 1, dt.date(2026, 6, 28), D("433476.79"), "M-101")
P2 = Pagamento(1, 2026, 2, dt.date(2026, 12, 5), D("216738.39"), "M-202")


def test_payments_recorded_read_back_and_late(cfg, registro):
    a1, w1 = registra_pagamento(registro, cfg, P1, oggi=TODAY, autore="Ufficio ragioneria")
    a2, w2 = registra_pagamento(registro, cfg, P2, oggi=TODAY)
    assert (a1.tipo, a1.posizione, a1.data, a1.autore) == (PAGAMENTO, 1, dt.date(2026, 6, 28), "Ufficio ragioneria")
    assert a1.dati == {"tranche": 1, "importo": "433476.79", "data_pagamento": "2026-06-28", "mandato": "M-101"}
    assert w1 == [] and w2 == ["Pagamento in ritardo: la tranche 2 scadeva il 30/11/2026."]
    assert pagamenti_registrati(registro, cfg) == [P1, P2]
    assert registro.verifica() == []


def test_payments_refused(cfg, registro):
    registra_pagamento(registro, cfg, P1, oggi=TODAY)
    cases = [
        (P1, "il mandato M-101 è già registrato (atto 1 del 28/06/2026, 433.476,79 €)"),
        (Pagamento(1, 2026, 1, dt.date(2026, 6, 28), D("433476.79"), "m-101 "), "il mandato m-101 è già registrato"),
        (Pagamento(1, 2026, 4, dt.date(2026, 6, 28), D("1.00")), "la tranche 4 non è configurata (1, 2, 3)."),
        (Pagamento(7, 2026, 1, dt.date(2026, 6, 28), D("1.00")), "il programma 7 non è configurato"),
        (Pagamento(1, 2029, 1, dt.date(2026, 6, 28), D("1.00")), "l'anno 2029 non è della co-progettazione"),
        (Pagamento(1, 2026, 1, dt.date(2027, 3, 1), D("1.00")), "la data del pagamento 01/03/2027 è futura"),
        (Pagamento(1, 2026, 1, dt.date(2025, 12, 31), D("1.00")), "precede l'anno 2026"),
        (Pagamento(1, 2026, 1, dt.date(2026, 6, 1), D("-5.00")), "importo -5.00 non valido"),
        (Pagamento(1, 2026, 1, dt.date(2026, 6, 1), D("1.005")), "importo 1.005 non valido"),
    ]
    for p, msg in cases:
        with pytest.raises(ErroreInput) as e:
            registra_pagamento(registro, cfg, p, oggi=TODAY)
        assert msg in str(e.value), (p, str(e.value))
    # the same payment without a payment order twice: refused, a second one needs its order
    q = Pagamento(1, 2026, 2, dt.date(2026, 11, 20), D("100.00"))
    registra_pagamento(registro, cfg, q, oggi=TODAY)
    with pytest.raises(ErroreInput, match="lo stesso pagamento è già registrato"):
        registra_pagamento(registro, cfg, q, oggi=TODAY)
    assert len(registro.atti(1, 2026, PAGAMENTO)) == 2


def test_overpaid_tranche_warned(cfg, registro):
    # tranche 1 of P3 2026: 8,604.80 × 0.60 = 5,162.88; 5,000 + 200 = 5,200.00 paid, beyond it
    registra_pagamento(registro, cfg, Pagamento(3, 2026, 1, dt.date(2026, 6, 1), D("5000.00"), "A"), oggi=TODAY)
    _, w = registra_pagamento(registro, cfg, Pagamento(3, 2026, 1, dt.date(2026, 6, 2), D("200.00"), "B"), oggi=TODAY)
    assert w == ["Sulla tranche 1 risultano pagati 5.200,00 €, oltre il previsto di 5.162,88 €."]


def test_payment_cancelled_by_a_new_act(cfg, registro):
    registra_pagamento(registro, cfg, P1, oggi=TODAY)
    wrong, _ = registra_pagamento(registro, cfg, Pagamento(1, 2026, 2, dt.date(2026, 11, 2), D("99.00"), "X"),
                                  oggi=TODAY)
    a = annulla_pagamento(registro, 1, 2026, wrong.posizione, "importo errato", oggi=TODAY)
    assert (a.riferimento, a.dati) == (2, {"annullato": True, "motivo": "importo errato"})
    assert pagamenti_registrati(registro, cfg, [2026]) == [P1]
    with pytest.raises(ErroreInput, match="già annullato"):
        annulla_pagamento(registro, 1, 2026, 2, "di nuovo", oggi=TODAY)
    with pytest.raises(ErroreInput, match="motivo"):
        annulla_pagamento(registro, 1, 2026, 1, " ", oggi=TODAY)
    # the cancelled payment order can be used again
    registra_pagamento(registro, cfg, Pagamento(1, 2026, 2, dt.date(2026, 11, 2), D("98.00"), "X"), oggi=TODAY)
    assert len(registro.atti(1, 2026)) == 4 and registro.verifica() == []
    # read from a chain's acts of every kind, as a use case that read the chain once does
    registra_variazione(registro, cfg, JULY, oggi=TODAY)
    chain = registro.atti(1, 2026)
    assert [p.importo for p in pagamenti_da_atti(chain)] == [D("433476.79"), D("98.00")]
    assert variazioni_da_atti(chain) == [JULY]


def _sheet(tmp_path, name, rows, header_row=2):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    ws.cell(row=1, column=1, value="Elenco dei mandati di pagamento")
    for i, r in enumerate(rows):
        for j, v in enumerate(r, start=1):
            ws.cell(row=header_row + i, column=j, value=v)
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return path


def test_import_payments_from_a_sheet(cfg, registro, tmp_path):
    head = ["Programma", "Anno", "Tranche", "Data", "Importo", "Mandato"]
    good = _sheet(tmp_path, "Pagamenti", [head, [1, 2026, 1, dt.datetime(2026, 6, 28), 433476.79, "M-101"],
                                          [None] * 6, [2, "2026", 1, "25/06/2026", "63.260,53", "M-201"]])
    done = importa_pagamenti(registro, cfg, good, oggi=TODAY)
    assert [a.programma for a, _ in done] == [1, 2]
    assert pagamenti_registrati(registro, cfg, [2026])[1].importo == D("63260.53")
    bad = _sheet(tmp_path, "Foglio1", [head, [3, 2026, 1, "25/06/2026", "100", "Z-1"],
                                       [3, 2026, 1, "31/06/2026", "100", "Z-2"]])
    with pytest.raises(ErroreInput) as e:
        importa_pagamenti(registro, cfg, bad, oggi=TODAY)
    assert str(e.value).startswith("file «Foglio1.xlsx», foglio «Foglio1», riga 4, colonna «Data»: «31/06/2026» "
                                   "non è una data")
    dup = _sheet(tmp_path, "dup", [head, [3, 2026, 1, "25/06/2026", "100", "Z-1"],
                                   [3, 2026, 2, "25/07/2026", "100", "z-1"]])
    with pytest.raises(ErroreInput, match="riga 4: il mandato z-1 compare anche alla riga 3"):
        importa_pagamenti(registro, cfg, dup, oggi=TODAY)
    assert registro.atti(3, 2026) == []        # nothing recorded from the bad sheets


JULY = VariazioneBudget(1, 2026, dt.date(2026, 7, 15), "Verbale 3/2026",
                        (RigaVariazione("1.1", "BENI", comunale=D("-10000.00")),
                         RigaVariazione("1.2", "BENI", comunale=D("10000.00"))))


def test_variations_recorded_cancelled_imported(cfg, registro, tmp_path):
    a = registra_variazione(registro, cfg, JULY, oggi=TODAY)
    assert (a.tipo, a.data) == (VARIAZIONE_BUDGET, dt.date(2026, 7, 15))
    assert variazioni_registrate(registro, cfg) == [JULY]
    with pytest.raises(ErroreInput, match="già registrata"):
        registra_variazione(registro, cfg, JULY, oggi=TODAY)
    with pytest.raises(ErroreInput, match="l'azione «2.1» non è del programma 1"):
        registra_variazione(registro, cfg, VariazioneBudget(1, 2026, dt.date(2026, 7, 1), "V",
                                                            (RigaVariazione("2.1", "BENI", D("1")),)), oggi=TODAY)
    annulla_variazione(registro, 1, 2026, a.posizione, "verbale sbagliato", oggi=TODAY)
    assert variazioni_registrate(registro, cfg) == []
    assert riga(cfg, "1.1 ; Servizi e prestazioni professionali di enti terzi ; -10.000,00 ; 500") == \
        RigaVariazione("1.1", "SERVIZI", D("-10000.00"), D("500"))
    sheet = _sheet(tmp_path, "Variazioni", [
        ["Programma", "Anno", "Data approvazione", "Verbale", "Azione", "Categoria", "Comunale", "Cofinanziamento"],
        [1, 2026, "15/07/2026", "Verbale 3/2026", "1.1", "BENI", -10000, None],
        [1, 2026, "15/07/2026", "Verbale 3/2026", "1.2", "Beni di consumo e materie prime", 10000, None],
        [2, 2026, "20/11/2026", "Verbale 5/2026", "2.1", "SERVIZI", None, 300]])
    done = importa_variazioni(registro, cfg, sheet, oggi=TODAY)
    assert [(x.programma, len(x.dati["righe"])) for x in done] == [(1, 2), (2, 1)]
    assert variazioni_registrate(registro, cfg, [2026])[0] == JULY


def test_cli_payments_variations_and_years(cfg, registro_url, tmp_path):
    run = CliRunner()
    base = ["--registro", registro_url]
    r = run.invoke(app, ["pagamenti", "registra", "--programma", "1", "--anno", "2026", "--tranche", "1",
                         "--data", "28/06/2026", "--importo", "433476,79", "--mandato", "M-101", *base])
    assert r.exit_code == 0, r.output
    assert "Registrato: atto 1 (pagamento) P1/2026, tranche 1, 433.476,79 € il 28/06/2026." in r.output
    r = run.invoke(app, ["pagamenti", "registra", "--programma", "1", "--anno", "2026", "--tranche", "1",
                         "--data", "28/06/2026", "--importo", "1", "--mandato", "M-101", *base])
    assert r.exit_code == EXIT_INPUT and "mandato M-101 è già registrato" in r.output
    r = run.invoke(app, ["variazioni", "registra", "--programma", "1", "--anno", "2026", "--data", "15/07/2026",
                         "--verbale", "Verbale 3/2026", "--riga", "1.1;BENI;-10000", "--riga", "1.2;BENI;10000", *base])
    assert r.exit_code == 0, r.output
    r = run.invoke(app, ["pagamenti", "elenco", "--anno", "2026", "--programma", "1", "--data", "15/07/2026", *base])
    assert r.exit_code == 0 and "Pagata" in r.output and "433.476,79" in r.output
    sheet = _sheet(tmp_path, "Pagamenti", [["Programma", "Anno", "Tranche", "Data", "Importo", "Mandato"],
                                           [4, 2026, 1, "10/07/2026", "117.843,78", "M-401"]])
    r = run.invoke(app, ["pagamenti", "importa", str(sheet), *base])
    assert r.exit_code == 0, r.output
    assert "Registrati 1 pagamenti" in r.output and "la tranche 1 scadeva il 30/06/2026" in r.output
    sheet = _sheet(tmp_path, "Variazioni", [["Programma", "Anno", "Data approvazione", "Verbale", "Azione",
                                             "Categoria", "Comunale"], [2, 2026, "20/11/2026", "V 5", "2.9", "BENI", 5]])
    r = run.invoke(app, ["variazioni", "importa", str(sheet), *base])
    assert r.exit_code == EXIT_INPUT and "riga 3: variazione non valida" in r.output and "«2.9»" in r.output
    # two years' workbooks given to `consolida`: the three-year consolidation with the register's acts
    paths = []
    for b in _books():
        paths.append(tmp_path / b.path)
        cartella_compilata(cfg, b.programma, b.anno, b.spese, [], b.budget).save(paths[-1])
    out = tmp_path / "triennio.xlsx"
    r = run.invoke(app, ["consolida", *map(str, paths), "--out", str(out), "--data", "15/02/2027", "--json", *base])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    p1 = res["programmi"][0]
    assert (p1["codice"], p1["anni"][0]["pagato"], p1["anni"][0]["contributo"]) == ("P1", "433476.79", "3474.67")
    assert [d["tipo"] for d in res["doppi_finanziamenti"]] == ["documento", "persona"]
    assert "P1/2026" in res["proposte_non_approvate"] and out.exists()


def test_cli_triennio_from_receptions_and_cabina(cfg, registro, registro_url, tmp_path):
    import hashlib

    from addin.registro.atti import DECISIONE, RICEZIONE

    paths = []
    for b in _books():
        paths.append(tmp_path / b.path)
        cartella_compilata(cfg, b.programma, b.anno, b.spese, [], b.budget).save(paths[-1])
    for p, anno in zip(paths, (2026, 2027)):
        registro.registra(1, anno, RICEZIONE, {"file": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                                               "data_ricezione": f"{anno}-10-01"}, data=dt.date(anno, 10, 1))
    registro.registra(1, 2026, DECISIONE, {"esito": "NON_AMMESSA", "riga": 5, "documento": ["Cartoleria", "C-1"],
                                           "motivazione": "documento non intestato al partner"},
                      data=dt.date(2026, 5, 20))
    run = CliRunner()
    out = tmp_path / "t.xlsx"
    r = run.invoke(app, ["consolida", "--triennio", "--out", str(out), "--data", "15/02/2027", "--json",
                         "--registro", registro_url])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["anni"] == [2026, 2027]
    # a received file changed after its reception is not consolidated
    cartella_compilata(cfg, 1, 2027, [], [], []).save(paths[1])
    r = run.invoke(app, ["consolida", "--triennio", "--out", str(out), "--data", "15/02/2027", "--json",
                         "--registro", registro_url])
    assert r.exit_code == 5 and "esiste già: usare --sovrascrivi" in r.output
    r = run.invoke(app, ["consolida", "--triennio", "--out", str(out), "--data", "15/02/2027", "--json",
                         "--registro", registro_url, "--sovrascrivi"])
    res = json.loads(r.output)
    assert res["anni"] == [2026]
    assert res["file_non_leggibili"] == [{"file": str(paths[1]), "errore": f"file «{paths[1]}»: il file è cambiato "
                                          "dopo la ricezione registrata: non consolidato."}]
    # the half-year report of 2026 shows the decision of May
    rep = tmp_path / "cabina.xlsx"
    r = run.invoke(app, ["cabina", str(paths[0]), "--tipo", "semestrale", "--anno", "2026", "--out", str(rep),
                         "--data", "31/07/2026", "--registro", registro_url])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(rep)
    rows = [[c.value for c in row] for row in wb["Atti del Comune"].iter_rows(min_row=4)]
    assert rows[0][0] == "P1" and rows[0][2] == "Decisione" and "documento non intestato" in rows[0][3]
    r = run.invoke(app, ["cabina", str(paths[0]), "--tipo", "trimestrale", "--anno", "2026", "--out", str(rep)])
    assert r.exit_code == 2 and "semestrale o annuale" in r.output
