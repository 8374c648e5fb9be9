"""Task-pane scripts through xlwings' remote interpreter (xw.Book(json=...)) on book JSON built from
the real template filled with demo rows; the outcomes must equal those of `rendiconta verifica`."""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

import copy  # noqa: E402
import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from addin import xlbridge  # noqa: E402
from addin.cli import app  # noqa: E402
from addin.demo_data import cartella_compilata, genera_demo  # noqa: E402
from addin.rules.models import Spesa  # noqa: E402
from addin.workbook import schema  # noqa: E402
from xlwings_book import actions, book_json  # noqa: E402

OGGI = dt.date(2026, 10, 15)
CHIAVE = b"chiave-del-comune-per-le-prove-delle-macro"


@pytest.fixture(scope="module")
def demo(cfg, tmp_path_factory):
    """The demo programme workbook (P1 2026), saved, its book JSON, and the CLI report of it."""
    d = genera_demo(cfg, 1, 2026)
    wb = cartella_compilata(cfg, 1, 2026, d.spese, d.cofinanziamento, d.budget)
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "P1_2026.xlsx"
    wb.save(path)
    out = folder / "report.xlsx"
    keyfile = folder / "chiave.txt"          # the Comune's key: the sample seed derives from it
    keyfile.write_bytes(CHIAVE)
    res = CliRunner().invoke(app, ["verifica", str(path), "--data", OGGI.strftime("%d/%m/%Y"), "--out", str(out),
                                   "--chiave", str(keyfile)])
    assert out.exists(), res.output
    return {"wb": load_workbook(path), "json": book_json(load_workbook(path), "P1_2026.xlsx"), "path": path,
            "report": load_workbook(out), "n": len(d.spese),
            "rows": {4 + i: s for i, s in enumerate(d.spese)},   # fill_workbook numbers rows from 4
            "cofin": {4 + i: v for i, v in enumerate(d.cofinanziamento)}}


def _sheet_index(j: dict, name: str) -> int:
    return [s["name"] for s in j["sheets"]].index(name)


def _report_table(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r and r[0] == "Riga")
    head = rows[h]
    return [dict(zip(head, r)) for r in rows[h + 1:] if r and r[0] is not None]


def _written_outputs(book, j) -> dict[int, tuple]:
    """Row -> (Esito, Importo ammesso, Motivi) from the setValues action on Spese."""
    spese = _sheet_index(j, schema.SPESE)
    col = [c.key for c in schema.SPESE_COLS].index("esito")  # 0-based, template column order
    acts = [a for a in actions(book, "setValues") if a["sheet_position"] == spese and a["start_column"] == col]
    assert len(acts) == 1
    a = acts[0]
    return {a["start_row"] + 1 + i: tuple(v) for i, v in enumerate(a["values"])}


def test_valida_writes_the_cli_outcomes_on_spese(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.valida(book, oggi=OGGI, config=cfg)
    written = _written_outputs(book, demo["json"])
    expected = _report_table(demo["report"]["Esito"])
    assert len(expected) == demo["n"] > 300
    kinds = set()
    for e in expected:
        esito, ammesso, motivi = written[e["Riga"]]
        kinds.add(esito)
        assert esito == e["Esito"]
        assert Decimal(str(ammesso)).quantize(Decimal("0.01")) == Decimal(str(e["Importo ammesso"])).quantize(Decimal("0.01"))
        assert (motivi or None) == e["Motivi"]
    assert kinds == {"Ammessa", "Da integrare", "Non ammessa", "Esclusa"}   # the demo exercises every outcome
    # rows below the last expense carry no outcome
    assert all(v == ("", "", "") for r, v in written.items() if r > max(e["Riga"] for e in expected))


def test_valida_writes_values_only_on_the_protected_spese_and_alerts_a_summary(cfg, demo):
    # the template protects Spese without the right to format cells: the output cells are unlocked
    # (values can be written), the rows are coloured by the template's conditional format on Esito
    ws = demo["wb"][schema.SPESE]
    assert ws.protection.sheet and ws.protection.formatCells is not False
    cols = {c.key: i + 1 for i, c in enumerate(schema.SPESE_COLS)}
    assert not any(ws.cell(5, cols[k]).protection.locked for k in ("esito", "importo_ammesso", "motivi"))
    assert any(rule.formula and "AMMESSA" in rule.formula[0]
               for cf in ws.conditional_formatting for rule in cf.rules)
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    r = xlbridge.valida(book, oggi=OGGI, config=cfg)
    spese = _sheet_index(demo["json"], schema.SPESE)
    touching = {a["func"] for a in book.json()["actions"] if a["sheet_position"] == spese}
    assert touching == {"setValues"}
    (alert,) = actions(book, "alert")
    n = r.conteggi()
    text = alert["args"][0]
    assert f"{demo['n']} righe di spesa controllate al 15/10/2026" in text
    assert f"Ammesse: {sum(1 for e in _report_table(demo['report']['Esito']) if e['Esito'] == 'Ammessa')}" in text
    assert sum(n.values()) == demo["n"]
    assert [a["func"] for a in book.json()["actions"]] == ["setValues", "alert"]


def formato(book, foglio: str, riga: int, colonna: int) -> str | None:
    """The number format the formats callback (main.js formattaCelle) gives a cell (1-based)."""
    from openpyxl.utils import range_boundaries

    found = None
    for a in actions(book, "runMacro"):
        if a["args"][0] != xlbridge.CALLBACK_FORMATI:
            continue
        for f in a["args"][1]:
            for fmt, ranges in f["formati"].items():
                for rng in ranges:
                    c0, r0, c1, r1 = range_boundaries(rng)
                    if f["foglio"] == foglio and r0 <= riga <= r1 and c0 <= colonna <= c1:
                        found = fmt
    return found


def test_verifica_emits_at_most_ten_actions_formats_first(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.verifica(book, oggi=OGGI, config=cfg)
    funcs = [a["func"] for a in book.json()["actions"]]
    assert len(funcs) <= 10 and "setNumberFormat" not in funcs
    fmt = funcs.index("runMacro")
    assert funcs.count("runMacro") == 1 and all(f != "setValues" for f in funcs[funcs.index("addSheet"):fmt])


def test_report_text_is_written_as_text(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.verifica(book, oggi=OGGI, config=cfg)
    n0 = len(demo["json"]["sheets"])
    # on the new Verifica sheet the Finestra column ("1/2026" must not become a date) is text
    values = next(a["values"] for a in actions(book, "setValues") if a["sheet_position"] == n0)
    h = next(i for i, r in enumerate(values) if r[0] == "Riga")

    def fmt(header):
        return formato(book, "Verifica", h + 2, values[h].index(header) + 1)
    assert fmt("Finestra") == "@" and fmt("Motivi") == "@"
    assert fmt("Importo ammesso") == "#,##0.00" and fmt("Data decisiva") == "dd/mm/yyyy"


def test_verifica_writes_three_sheets_equal_to_the_cli_report(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.verifica(book, oggi=OGGI, config=cfg, chiave=CHIAVE)
    j = book.json()
    added = [a["args"][1] for a in actions(j, "addSheet")]
    assert added == ["Verifica", "Campione", "Osservazioni"]
    n0 = len(demo["json"]["sheets"])
    by_sheet = {a["sheet_position"]: a["values"] for a in actions(j, "setValues") if a["sheet_position"] >= n0}
    verifica, campione, osservazioni = by_sheet[n0], by_sheet[n0 + 1], by_sheet[n0 + 2]
    # Campione: the same sample (the seed derived from the same Comune key) as the CLI report
    rep = [list(r) for r in demo["report"]["Campione"].iter_rows(values_only=True)]
    assert [[("" if v is None else v) for v in r] for r in rep] == [r[:len(rep[0])] for r in campione]
    # Osservazioni: the same rejected rows
    rep_oss = _report_table(demo["report"]["Osservazioni"])
    rows = [r for r in osservazioni[2:]]
    assert [r[0] for r in rows] == [e["Riga"] for e in rep_oss] and rep_oss
    # Verifica: summary first, then the outcome of every row as in the report's Esito sheet
    assert verifica[0][0] == f"Verifica del rendiconto - Programma 1, anno 2026, al {OGGI:%d/%m/%Y}"
    h = next(i for i, r in enumerate(verifica) if r[0] == "Riga")
    esiti = {r[0]: r[10] for r in verifica[h + 1:] if r[0] not in ("", None) and isinstance(r[0], int)}
    assert esiti == {e["Riga"]: e["Esito"] for e in _report_table(demo["report"]["Esito"])}
    # the outcomes are also written on Spese, and the Verifica sheet is shown (by the formats action)
    assert _written_outputs(book, demo["json"])
    [fmt] = actions(j, "runMacro")
    assert [f["foglio"] for f in fmt["args"][1] if f.get("attiva")] == ["Verifica"]
    assert not actions(j, "activateSheet")


def test_verifica_reuses_existing_sheets(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    book.sheets.add("Campione")
    book.json()["actions"].clear()
    xlbridge.verifica(book, oggi=OGGI, config=cfg)
    assert [a["args"][1] for a in actions(book, "addSheet")] == ["Verifica", "Osservazioni"]
    # the existing sheet is cleared by the formats action (before its formats), not by an action of its own
    [fmt] = actions(book, "runMacro")
    assert [f["foglio"] for f in fmt["args"][1] if f.get("pulisci")] == ["Campione"]
    assert not actions(book, "sheetClear")


def test_not_a_reporting_workbook_gives_an_italian_alert(cfg, demo):
    j = book_json(demo["wb"])
    j["sheets"] = [s for s in j["sheets"] if s["name"] != schema.META]
    book = xw.Book(json=j)
    assert xlbridge.valida(book, oggi=OGGI, config=cfg) is None
    (alert,) = actions(book, "alert")
    assert alert["args"][1] == "Rendiconta: errore" and alert["args"][3] == "critical"
    assert "foglio nascosto" in alert["args"][0] or "_meta" in alert["args"][0]
    assert not actions(book, "setValues")


def test_esito_function_on_one_row(cfg):
    import asyncio

    import xlwings.server

    import macros_py.functions as F

    s = Spesa(riga=4, azione="1.1", partner="Consorzio Arcobaleno", categoria="Beni di consumo e materie prime",
              descrizione="Materiale", fornitore="Cartoleria Rossi", tipo_documento="Fattura",
              numero_documento="F1", data_documento=dt.date(2026, 3, 2), data_pagamento=dt.date(2026, 3, 5),
              modalita_pagamento="Contanti", importo_documento=Decimal("100"), importo=Decimal("100"),
              doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
              data_trasmissione=dt.date(2026, 3, 10))
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template

    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, [s])
    j = book_json(wb)
    row = j["sheets"][_sheet_index(j, schema.SPESE)]["values"][3][:len(schema.SPESE_COLS)]
    data = {"func_name": "esito", "args": [[row]], "caller_address": "Spese!Y4", "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "it-IT", "date_format": "gg/mm/aaaa"}
    out = asyncio.run(xlwings.server.custom_functions_call(data, F))
    (esito, motivi), = out
    # cash is not traceable: admitted up to the configured cash allowance (0 €) -> not admitted
    assert esito == "Non ammessa" and "ontant" in motivi
    ok = dict(zip([c.key for c in schema.SPESE_COLS], row)) | {"modalita_pagamento": "Bonifico"}
    data["args"] = [[[ok[c.key] for c in schema.SPESE_COLS]]]
    assert asyncio.run(xlwings.server.custom_functions_call(data, F)) == [["Ammessa", ""]]
    data["args"] = [[[None] * len(schema.SPESE_COLS)]]
    assert asyncio.run(xlwings.server.custom_functions_call(data, F)) == [["", ""]]
    # a range of three rows: one result row each, every row checked (not only the first)
    data["args"] = [[[ok[c.key] for c in schema.SPESE_COLS], [None] * len(schema.SPESE_COLS), row]]
    out = asyncio.run(xlwings.server.custom_functions_call(data, F))
    assert [r[0] for r in out] == ["Ammessa", "", "Non ammessa"] and "ontant" in out[2][1]
    # only the input columns (from A) are enough; 5 columns or ragged rows are refused
    n_in, n_all = len(schema.input_cols(schema.SPESE_COLS)), len(schema.SPESE_COLS)
    data["args"] = [[row[:n_in]]]
    assert asyncio.run(xlwings.server.custom_functions_call(data, F))[0][0] == "Non ammessa"
    for bad in ([row[:5]], [row, row[:n_in + 1]]):
        data["args"] = [bad]
        with pytest.raises(xw.XlwingsError, match=f"da {n_in} a {n_all} colonne"):
            asyncio.run(xlwings.server.custom_functions_call(data, F))


# --- blocca ---------------------------------------------------------------------------------------

KEY = b"chiave-di-prova-del-comune-0123456789"


def _rows_of(ranges: list[str]) -> set[int]:
    import re

    out: set[int] = set()
    for a in ranges:
        m = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", a)
        out |= set(range(int(m.group(2)), int(m.group(4)) + 1))
    return out


def test_blocca_seals_closed_windows_into_meta_and_the_cli_reader_verifies_them(cfg, demo, tmp_path):
    from addin.workbook.reader import leggi_cartella
    from addin.workbook.seals import verifica_sigilli

    j = copy.deepcopy(demo["json"])
    book = xw.Book(json=j)
    nuovi = xlbridge.blocca(book, oggi=OGGI, config=cfg, chiave=KEY, password="pw")
    # each window with the seal of the co-financing rows dated in it (the template has the column «Data»)
    assert [s.etichetta for s in nuovi] == ["finestra 1/2026", "cofinanziamento finestra 1/2026", "finestra 2/2026",
                                            "cofinanziamento finestra 2/2026"]
    meta = _sheet_index(j, schema.META)
    (write,) = [a for a in actions(book, "setValues") if a["sheet_position"] == meta]
    (fmts,) = [a["args"][1] for a in actions(book, "runMacro") if a["args"][0] == xlbridge.CALLBACK_FORMATI]
    assert fmts == [{"foglio": "_meta", "formati": {"@": [f"A7:B{6 + len(write['values'])}"]}}]
    assert write["start_row"] == 6 and write["start_column"] == 0   # after the 6 rows of the template
    # put the written entries into the real file and check the seals with the CLI's own reader
    wb = load_workbook(demo["path"])
    for i, (k, v) in enumerate(write["values"], start=write["start_row"] + 1):
        wb[schema.META].cell(i, 1).value = k
        wb[schema.META].cell(i, 2).value = v
    out = tmp_path / "sealed.xlsx"
    wb.save(out)
    check = verifica_sigilli(leggi_cartella(out, cfg), cfg, KEY, OGGI)
    assert check.stato == "verificati" and check.integri and len(check.sigilli) == 4   # 2 windows + co-financing
    # the protection callback: sealed rows = expenses of competence (document date; personnel: the month
    # of the pay slip, else the document date; no document date: the payment date) in Jan-Aug 2026
    (macro,) = [a for a in actions(book, "runMacro") if a["args"][0] == "proteggiRighe"]
    spese, cofin = macro["args"][1]

    def competence(s):
        month = s.mese_competenza if s.categoria and "personale" in s.categoria.lower() else None
        return month or s.data_documento or s.data_pagamento

    due = {r for r, s in demo["rows"].items()
           if (d := competence(s)) and dt.date(2026, 1, 1) <= d <= dt.date(2026, 8, 31)}
    assert spese["foglio"] == "Spese" and _rows_of(spese["bloccate"]) == due and due
    n_input = len(schema.input_cols(schema.SPESE_COLS))          # the input columns, from A
    last_input, last = get_column_letter(n_input), get_column_letter(len(schema.SPESE_COLS))
    assert all(a.startswith("A") and f":{last_input}" in a for a in spese["bloccate"])
    assert spese["sbloccate"] == [f"A4:{last}1003"] and spese["password"] == "pw"
    # co-financing: the non-monetary and volunteer rows dated Jan-Aug 2026 (the monetary rows wait for the
    # year's end)
    dated = {r for r, v in demo["cofin"].items() if v.tipo in ("Non monetario", "Volontariato")
             and v.data is not None and dt.date(2026, 1, 1) <= v.data <= dt.date(2026, 8, 31)}
    assert cofin["foglio"] == "Cofinanziamento" and _rows_of(cofin["bloccate"]) == dated and dated
    assert all(a.startswith("A") and a.split(":")[1].startswith("G") for a in cofin["bloccate"])  # A..G: inputs
    assert cofin["sbloccate"] == ["A4:G303"]                                   # the formula column stays locked
    (alert,) = actions(book, "alert")
    assert "finestra 1/2026, finestra 2/2026" in alert["args"][0]


def test_blocca_without_key_explains_what_to_set(cfg, demo, monkeypatch):
    monkeypatch.delenv("RENDICONTA_CHIAVE", raising=False)
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    assert xlbridge.blocca(book, oggi=OGGI, config=cfg) is None
    (alert,) = actions(book, "alert")
    assert "RENDICONTA_CHIAVE" in alert["args"][0] and alert["args"][3] == "critical"
    assert not actions(book, "runMacro") and not actions(book, "setValues")


def test_blocca_before_any_lock_date_does_nothing(cfg, demo):
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    assert xlbridge.blocca(book, oggi=dt.date(2026, 5, 31), config=cfg, chiave=KEY) == []
    # nothing sealed or protected: only the outcomes the task pane cleared before sending (values only)
    assert [a["func"] for a in book.json()["actions"]] == ["setValues", "alert"]
    (write,) = actions(book, "setValues")
    assert write["sheet_position"] == _sheet_index(demo["json"], schema.SPESE)
    assert write["values"][0][:1] != [""] and len(write["values"][0]) == 3   # Esito, Importo ammesso, Motivi


def test_one_definition_of_the_protection_options(cfg, demo, tmp_path):
    """The add-in sends the options of addin/workbook/protection.py; the CLI writes the same ones."""
    from openpyxl import Workbook

    from addin.workbook.protection import OPZIONI_PROTEZIONE, proteggi_foglio

    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.blocca(book, oggi=OGGI, config=cfg, chiave=KEY)
    (macro,) = [a for a in actions(book, "runMacro") if a["args"][0] == "proteggiRighe"]
    assert all(f["opzioni"] == OPZIONI_PROTEZIONE for f in macro["args"][1])
    ws = Workbook().active
    proteggi_foglio(ws)
    # openpyxl: True = protected (not allowed); only resizing columns and filtering stay allowed
    assert ws.protection.sheet and not ws.protection.formatColumns and not ws.protection.autoFilter
    assert ws.protection.sort and ws.protection.insertRows and ws.protection.deleteRows and ws.protection.formatCells
    assert [k for k, v in OPZIONI_PROTEZIONE.items() if v] == ["allowFormatColumns", "allowAutoFilter"]


# --- the register (issue 12) through the add-in --------------------------------------------------------

def _atti(tipo: str | None = None):
    from addin.registro import Registro

    return [a for a in Registro.apri().atti(1, 2026) if tipo is None or a.tipo == tipo]


def test_blocca_records_the_same_seal_acts_as_the_cli_before_writing(cfg, demo, tmp_path):
    """Blocca in the add-in records in the register the SIGILLO acts that `rendiconta blocca` records for
    the same file, date and key (another register, same use case), then writes `_meta` and protects."""
    import shutil

    from addin.casi.blocca import blocca_file
    from addin.registro import Registro
    from addin.registro.atti import SIGILLO
    from addin.workbook.seals import leggi_sigilli

    book = xw.Book(json=copy.deepcopy(demo["json"]))
    nuovi = xlbridge.blocca(book, oggi=OGGI, config=cfg, chiave=KEY, operatore="m.rossi")
    acts = _atti(SIGILLO)
    assert [a.dati["ambito"] for a in acts] == ["finestra1", "cofinanziamento1", "finestra2",
                                                "cofinanziamento2"] == [s.ambito for s in nuovi]
    assert {a.autore for a in acts} == {"m.rossi"} and {a.data for a in acts} == {OGGI}
    copia = tmp_path / "P1_2026.xlsx"
    shutil.copy(demo["path"], copia)
    other = Registro.apri(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    blocca_file(copia, cfg, OGGI, KEY, registro=other)
    assert [a.dati for a in acts] == [a.dati for a in other.atti(1, 2026) if a.tipo == SIGILLO]
    # the `_meta` copies are those of the register's seals
    meta = _sheet_index(demo["json"], schema.META)
    (write,) = [a for a in actions(book, "setValues") if a["sheet_position"] == meta]
    written = dict(map(tuple, write["values"]))
    for a in acts:
        assert written[f"sigillo.{a.dati['ambito']}.hmac"] == a.dati["hmac"]
        copia = leggi_sigilli(written)[a.dati["ambito"]]      # the rows' copy is compressed (seals.py)
        assert [(r.riga, r.hmac, r.testo) for r in copia.righe] == [(r["riga"], r["hmac"], r["testo"])
                                                                    for r in a.dati["righe"]]
        assert not copia.problemi


def test_repeated_blocca_completes_a_failed_protection_without_sealing_again(cfg, demo):
    """The protection failed in Excel (the copies were written, the sheets not protected): the second
    Blocca records no act, writes nothing into `_meta` and sends the same protection again."""
    from addin.registro.atti import SIGILLO
    from xlwings_book import applica_valori

    first = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.blocca(first, oggi=OGGI, config=cfg, chiave=KEY)
    (protect1,) = [a["args"][1] for a in actions(first, "runMacro") if a["args"][0] == xlbridge.CALLBACK_PROTEZIONE]
    after = applica_valori(demo["json"], actions(first))        # the workbook as Excel left it
    second = xw.Book(json=copy.deepcopy(after))
    assert xlbridge.blocca(second, oggi=OGGI, config=cfg, chiave=KEY) == []
    assert len(_atti(SIGILLO)) == 4           # windows 1 and 2 and their co-financing
    # nothing into `_meta`: the only values written are the outcomes on Spese, after the protection
    meta, spese = _sheet_index(demo["json"], schema.META), _sheet_index(demo["json"], schema.SPESE)
    assert {a["sheet_position"] for a in actions(second, "setValues")} == {spese} != {meta}
    assert [a["func"] for a in actions(second)][-2:] == ["setValues", "alert"]
    (protect2,) = [a["args"][1] for a in actions(second, "runMacro") if a["args"][0] == xlbridge.CALLBACK_PROTEZIONE]
    assert protect2 == protect1
    (alert,) = actions(second, "alert")
    assert ("Sigilli nuovi: nessuno; già nel registro del Comune: finestra 1/2026, cofinanziamento finestra 1/2026, "
            "finestra 2/2026, cofinanziamento finestra 2/2026") in alert["args"][0]


def test_blocca_rewrites_copies_missing_or_altered_in_meta_from_the_register(cfg, demo):
    """Nothing was written at all (or the partner blanked or edited `_meta`): the register's seals are
    copied again, none is made again, and the edited copy is replaced, not kept beside the right one."""
    from addin.registro.atti import SIGILLO
    from xlwings_book import applica_valori

    first = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.blocca(first, oggi=OGGI, config=cfg, chiave=KEY)
    meta = _sheet_index(demo["json"], schema.META)
    (w1,) = [a for a in actions(first, "setValues") if a["sheet_position"] == meta]
    # 1. the copies never reached the workbook
    again = xw.Book(json=copy.deepcopy(demo["json"]))
    assert xlbridge.blocca(again, oggi=OGGI, config=cfg, chiave=KEY) == []
    (w2,) = [a for a in actions(again, "setValues") if a["sheet_position"] == meta]
    assert (w2["start_row"], w2["values"]) == (w1["start_row"], w1["values"])
    # 2. a partner edited the seal's HMAC in `_meta`
    after = applica_valori(demo["json"], actions(first))
    rows = after["sheets"][meta]["values"]
    i = next(i for i, r in enumerate(rows) if r[0] == "sigillo.finestra1.hmac")
    good = rows[i][1]
    rows[i][1] = "0" * len(good)
    edited = xw.Book(json=copy.deepcopy(after))
    assert xlbridge.blocca(edited, oggi=OGGI, config=cfg, chiave=KEY) == []
    assert len(_atti(SIGILLO)) == 4
    (w3,) = [a for a in actions(edited, "setValues") if a["sheet_position"] == meta]
    assert w3["start_row"] == 0 and len(w3["values"]) == len(rows)      # the whole sheet, from A1
    entries = [tuple(r) for r in w3["values"] if r[0]]
    assert entries.count(("sigillo.finestra1.hmac", good)) == 1
    assert not [r for r in entries if r[1] == "0" * len(good)]
    # every other entry kept once: the template's, finestra2's copy and finestra1's rows
    rows[i][1] = good
    assert sorted(entries) == sorted(tuple(r) for r in rows if r[0])


def test_verifica_records_its_act_and_reads_the_registers_decisions_and_notice(cfg, demo):
    """A NON_AMMESSA decision and a notice to the ATS in the register: the add-in's outcome for that row
    and the deadline for observations come from them (as in `rendiconta verifica`), and the check is
    recorded as a VERIFICA act of the officer."""
    from addin.casi.avviso import registra_avviso
    from addin.casi.decisioni import RigaDecisa, decidi
    from addin.registro import Registro
    from addin.registro.atti import VERIFICA

    report = _report_table(demo["report"]["Esito"])
    row = next(e for e in report if e["Esito"] == "Ammessa" and e["Importo ammesso"])
    n = row["Riga"]
    s = demo["rows"][n]
    reg = Registro.apri()
    decidi(reg, 1, 2026, RigaDecisa(n, s.fornitore, s.numero_documento), "NON_AMMESSA", "Spesa non pertinente",
           data=dt.date(2026, 10, 1))
    registra_avviso(reg, cfg, 1, 2026, dt.date(2026, 10, 2))
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.verifica(book, oggi=OGGI, config=cfg, operatore="m.rossi")
    esito, ammesso, motivi = _written_outputs(book, demo["json"])[n]
    assert (esito, ammesso) == ("Non ammessa", 0)
    assert "Non ammessa dal Comune il 01/10/2026: Spesa non pertinente." in motivi
    # the deadline: the notice's date plus the configured days, not the reference date plus them
    j = book.json()
    n0 = len(demo["json"]["sheets"])
    values = next(a["values"] for a in actions(j, "setValues") if a["sheet_position"] == n0)
    (term,) = [r[1] for r in values if r and r[0] == "Termine per le osservazioni dell'ATS"]
    expected = dt.date(2026, 10, 2) + dt.timedelta(days=cfg.regole.giorni_osservazioni)
    assert term == schema.excel_serial(expected)
    (act,) = _atti(VERIFICA)
    assert act.autore == "m.rossi" and act.data == OGGI and act.dati["file"] == "P1_2026.xlsx"
    righe = {r["riga"]: r for r in act.dati["righe"]}
    assert righe[n]["esito"] == "NON_AMMESSA" and Decimal(righe[n]["importo_ammesso"]) == 0
    # the total admitted: the CLI's (sum of its report's rows) less the row the Comune refused
    cli_total = sum(Decimal(str(e["Importo ammesso"] or 0)) for e in report)
    assert Decimal(act.dati["totali"]["ammesso"]) == cli_total - Decimal(str(row["Importo ammesso"]))


def test_verifica_shows_the_sample_frozen_in_the_register(cfg, demo):
    """The semester-1 sample drawn by the Comune (CAMPIONE act, seed chosen here): the add-in's Campione
    sheet shows that seed and those persons, not a draw of its own."""
    from addin.casi.campione import estrai_campione
    from addin.registro import Registro

    act = estrai_campione(Registro.apri(), demo["path"], cfg, 1, seme=424242)
    assert act.dati["estratti"]
    book = xw.Book(json=copy.deepcopy(demo["json"]))
    xlbridge.verifica(book, oggi=OGGI, config=cfg)
    n0 = len(demo["json"]["sheets"])
    campione = next(a["values"] for a in actions(book, "setValues") if a["sheet_position"] == n0 + 1)
    cells = [v for row in campione for v in row]
    assert 424242 in cells or "424242" in cells
    text = " ".join(str(v) for v in cells)
    assert all(p in text for p in act.dati["estratti"])


def test_valida_names_the_cofinancing_rows_that_do_not_count(cfg):
    """The Cofinanziamento sheet has no outcome columns: Valida's alert names the undated volunteer row
    (to be completed by the lock of the last window, 31/01/2027) and the non-monetary row of 2025."""
    from addin.rules.models import VoceCofinanziamento

    voci = [VoceCofinanziamento(0, "Auser", "1.1", "Volontariato", "Ore", Decimal("10"), Decimal("20"),
                                dt.date(2026, 3, 1)),                                              # row 4: counts
            VoceCofinanziamento(0, "Auser", "1.1", "Volontariato", "Ore", Decimal("5"), Decimal("20")),  # row 5
            VoceCofinanziamento(0, "Koala", "1.2", "Non monetario", "Locali", Decimal("1"), Decimal("99"),
                                dt.date(2025, 12, 1))]                                             # row 6
    wb = cartella_compilata(cfg, 1, 2026, [], voci)
    book = xw.Book(json=book_json(wb, "P1_2026.xlsx"))
    r = xlbridge.valida(book, oggi=OGGI, config=cfg)
    assert [e.esito.value for e in r.cofin_esiti] == ["AMMESSA", "DA_INTEGRARE", "NON_AMMESSA"]
    (alert,) = actions(book, "alert")
    text = alert["args"][0]
    assert "Cofinanziamento, 2 voci non conteggiate:" in text
    assert "riga 5 (DA_INTEGRARE): Voce di volontariato senza data" in text and "31/01/2027" in text
    assert "riga 6 (NON_AMMESSA): Voce non monetaria datata 01/12/2025" in text
    assert "riga 4" not in text
