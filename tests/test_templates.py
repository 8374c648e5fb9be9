"""Programme workbook templates: structure, Excel-native help, determinism, and proof in LibreOffice
that the native formulas of Riepilogo/Tranche equal what the Python rules compute, to the cent."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from addin.errors import ErroreInput
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.rules.money import money
from addin.rules.summary import riepilogo
from addin.workbook import schema as S
from addin.workbook.filler import fill_workbook
from addin.workbook.template import (FIRST_ROW, HEADER_ROW, RIGHE_COFIN, RIGHE_SPESE, build_template, nome_file,
                                     save_template, workbook_bytes)
from tests.libreoffice import (SOFFICE, esegui_uno, esporta_pdf, pagine_png, richiede_libreoffice, richiede_poppler,
                               ricalcola, estrai_testo_pdf)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook_templates"
D = Decimal
LAST_SPESE = openpyxl.utils.get_column_letter(len(S.SPESE_COLS))   # the last column of the Spese table

# functions LibreOffice 7.4 cannot compute (see ../shared/testing.md)
FORBIDDEN = ("XLOOKUP", "XMATCH", "LET(", "UNIQUE", "SEQUENCE", "FILTER(", "LAMBDA")
FUNC = re.compile(r"([A-Z_][A-Z0-9._]*)\(")
ALLOWED = {"SUM", "SUMIFS", "COUNTIFS", "_XLFN.MINIFS", "ROUND", "IF", "AND", "MAX", "MIN", "N"}


@pytest.fixture(scope="module")
def wb1(cfg):
    return build_template(cfg, 1, 2026)


def _table(ws, name):
    return next(t for t in ws.tables.values() if t.displayName == name)


# --- structure ---------------------------------------------------------------------------------------

def test_sheets_tables_and_meta(wb1):
    assert wb1.sheetnames == [S.ISTRUZIONI, S.BUDGET, S.SPESE, S.COFINANZIAMENTO, S.RIEPILOGO, S.TRANCHE,
                              S.META, S.LISTE]
    assert wb1[S.META].sheet_state == "hidden" and wb1[S.LISTE].sheet_state == "hidden"
    assert all(wb1[n].sheet_state == "visible" for n in wb1.sheetnames[:6])
    # contract 1: header on row 3, data from row 4, pre-sized tables
    assert _table(wb1[S.SPESE], S.TAB_SPESE).ref == f"A3:{LAST_SPESE}1003"
    assert _table(wb1[S.COFINANZIAMENTO], S.TAB_COFIN).ref == "A3:H303"   # Data (column E) added after Descrizione
    assert _table(wb1[S.BUDGET], S.TAB_BUDGET).ref == "A3:K28"  # P1: 5 actions x 5 categories
    for sheet, cols in ((S.SPESE, S.SPESE_COLS), (S.COFINANZIAMENTO, S.COFIN_COLS), (S.BUDGET, S.BUDGET_COLS)):
        assert [c.value for c in wb1[sheet][HEADER_ROW]][:len(cols)] == [c.header for c in cols]
    budget = wb1[S.BUDGET]
    assert (budget["A4"].value, budget["B4"].value) == ("1.1", "Personale interno")
    assert (budget["A28"].value, budget["B28"].value) == ("1.5", "Spese generali")
    meta = {r[0]: r[1] for r in wb1[S.META].iter_rows(values_only=True)}
    assert meta == {"chiave": "valore", S.META_PROGRAMMA: "1", S.META_ANNO: "2026", S.META_VERSIONE: S.SCHEMA_VERSION,
                    S.META_TIPO: "programma", S.META_GENERATORE: "rendiconta"}


def _named_values(wb, name):
    dn = wb.defined_names[name]
    (sheet, ref), = list(dn.destinations)
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]


def test_dropdown_lists_are_named_ranges_of_this_programme(wb1, cfg):
    assert _named_values(wb1, S.L_AZIONI) == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert _named_values(build_template(cfg, 6, 2026), S.L_AZIONI) == ["6.1", "6.2", "6.3", "6.4"]
    assert len(_named_values(wb1, S.L_PARTNER)) == 20 and "Consorzio Arcobaleno" in _named_values(wb1, S.L_PARTNER)
    assert _named_values(wb1, S.L_CATEGORIE)[0] == "Personale interno"
    assert _named_values(wb1, S.L_TIPI_COFIN) == ["Monetario", "Non monetario", "Volontariato"]
    assert _named_values(wb1, S.L_SI_NO) == ["SI", "NO"]
    assert "Contanti" in _named_values(wb1, S.L_MODALITA)
    assert _named_values(wb1, S.L_DECISIONE) == S.DECISIONI


def _validations(ws):
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0].rstrip("0123456789")] = (dv, rng)
    return out


def test_validations_input_messages_and_formats(wb1):
    ws = wb1[S.SPESE]
    v = _validations(ws)
    letters = {c.key: openpyxl.utils.get_column_letter(i + 1) for i, c in enumerate(S.SPESE_COLS)}
    for key, lst in (("azione", S.L_AZIONI), ("partner", S.L_PARTNER), ("categoria", S.L_CATEGORIE),
                     ("modalita_pagamento", S.L_MODALITA), ("doc_trasmessa", S.L_SI_NO),
                     ("decisione_comune", S.L_DECISIONE)):
        dv, rng = v[letters[key]]
        assert (dv.type, dv.formula1) == ("list", lst)
        assert rng == f"{letters[key]}4:{letters[key]}1003"
        assert dv.showErrorMessage and dv.errorStyle == "stop"
    # input messages come from the schema
    for col in S.SPESE_COLS:
        if col.help and col.kind != "output":
            dv, _ = v[letters[col.key]]
            assert dv.prompt == col.help and dv.showInputMessage, col.key
    assert v[letters["data_pagamento"]][0].type == "date"
    assert v[letters["importo"]][0].type == "decimal"
    assert ws[f"{letters['data_documento']}4"].number_format == "dd/mm/yyyy"
    assert "€" in ws[f"{letters['importo']}500"].number_format
    assert ws[f"{letters['azione']}4"].number_format == "@"   # 1.2 must stay text, not a number or a date
    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions[letters["descrizione"]].width == S.col_by_key(S.SPESE_COLS, "descrizione").width
    # conditional formatting on rows whose Esito is filled and not AMMESSA
    (cf_range, rules), = [(str(k.sqref), v) for k, v in ws.conditional_formatting._cf_rules.items()]
    assert cf_range == f"A4:{LAST_SPESE}1003"
    e = letters["esito"]
    assert rules[0].formula == [f'AND(${e}4<>"",${e}4<>"AMMESSA")']
    cof = _validations(wb1[S.COFINANZIAMENTO])
    assert (cof["C"][0].formula1, cof["A"][0].formula1, cof["B"][0].formula1) == (S.L_TIPI_COFIN, S.L_PARTNER,
                                                                                   S.L_AZIONI)


def test_protection_without_password_and_locked_formulas(wb1):
    for name in (S.ISTRUZIONI, S.BUDGET, S.SPESE, S.COFINANZIAMENTO, S.RIEPILOGO, S.TRANCHE, S.LISTE):
        p = wb1[name].protection
        assert p.sheet and not p.password, name
    spese, cof, bud = wb1[S.SPESE], wb1[S.COFINANZIAMENTO], wb1[S.BUDGET]
    assert not spese["A4"].protection.locked and not spese[f"{LAST_SPESE}1003"].protection.locked
    assert spese["A3"].protection.locked   # headers
    assert not cof["G303"].protection.locked
    assert cof["H4"].protection.locked and cof["H4"].value.startswith("=")
    assert bud["A4"].protection.locked and bud["B4"].protection.locked   # prefilled action x category
    assert not bud["C4"].protection.locked and bud["F4"].protection.locked
    for name in (S.RIEPILOGO, S.TRANCHE):
        for row in wb1[name].iter_rows():
            for c in row:
                assert c.protection.locked, (name, c.coordinate)


def test_print_setup(wb1):
    for name in (S.ISTRUZIONI, S.BUDGET, S.SPESE, S.COFINANZIAMENTO, S.RIEPILOGO, S.TRANCHE):
        ws = wb1[name]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, name
        assert ws.page_setup.fitToHeight == 0, name


def test_only_functions_libreoffice_computes(cfg):
    seen = set()
    for p in cfg.programmi:
        wb = build_template(cfg, p.codice, 2026)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        f = re.sub(r'"[^"]*"', '""', c.value).upper()
                        assert not any(x in f for x in FORBIDDEN), (ws.title, c.coordinate, c.value)
                        seen |= set(FUNC.findall(f))
    assert seen <= ALLOWED, seen - ALLOWED
    assert {"SUMIFS", "ROUND"} <= seen
    assert "_XLFN.MINIFS" not in seen      # the volunteer cap is a fixed value, never the rows' lowest rate


def test_volunteer_cap_is_a_fixed_value_from_the_configuration(cfg):
    """No planned grade: the table rate, marked provisional in Istruzioni; with the Progetto definitivo's
    value for the programme, that value (the rows never change it)."""
    from addin.config import DEFAULT_CONFIG, parse_config

    def cap_and_text(config, prog):
        wb = build_template(config, prog, 2026)
        rows = _values(wb[S.RIEPILOGO])
        text = "\n".join(str(c.value) for row in wb[S.ISTRUZIONI].iter_rows() for c in row if c.value is not None)
        return _by_label(rows, "Tariffa oraria massima del volontariato", 1), text

    value, text = cap_and_text(cfg, 2)
    assert value == 20.07 and "valore provvisorio" in text and "20,07" in text
    marker = "[[programmi]]\ncodice = 2\n"
    planned = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        marker, marker + 'costo_orario_minimo_previsto = "18.35"\n', 1))
    value, text = cap_and_text(planned, 2)
    assert value == 18.35 and "18,35" in text and "Progetto definitivo" in text and "valore provvisorio" not in text


def test_istruzioni_lists_documents_windows_and_tranches(wb1, cfg):
    text = "\n".join(str(c.value) for row in wb1[S.ISTRUZIONI].iter_rows() for c in row if c.value is not None)
    for cat in cfg.categorie:
        assert cat.nome in text
        for doc in cat.documenti_prova + cat.documenti_conservati + cat.documenti_trasmessi:
            assert doc in text
    values = [c.value for row in wb1[S.ISTRUZIONI].iter_rows() for c in row]
    # window calendar of 2026 with the lock dates, and the tranche due dates
    for d in (dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 9, 30), dt.date(2027, 1, 31),
              dt.date(2026, 6, 30), dt.date(2026, 11, 30), dt.date(2027, 4, 30)):
        assert d in values, d
    assert 433476.79 in values   # 60% of 722,461.31
    assert "20,07 €" in text and "volontari" in text


# --- determinism and committed files ----------------------------------------------------------------

def test_regeneration_is_byte_identical(cfg):
    assert workbook_bytes(build_template(cfg, 2, 2026)) == workbook_bytes(build_template(cfg, 2, 2026))


def contenuto(path: Path) -> dict:
    """Everything a user or a formula sees: cell values/formulas/formats/protection, validations,
    names, tables, conditional formats, merges, sheet state and protection."""
    wb = openpyxl.load_workbook(path)
    out: dict = {"names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()), "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = [(c.coordinate, c.value, c.number_format, c.protection.locked)
                 for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked]
        out[ws.title] = {
            "cells": cells,
            "state": ws.sheet_state,
            "protected": ws.protection.sheet,
            "tables": sorted((t.displayName, t.ref) for t in ws.tables.values()),
            "validations": sorted((str(v.sqref), v.type, v.formula1, v.prompt) for v in ws.data_validations.dataValidation),
            "cf": sorted((str(k.sqref), tuple(r.formula[0] for r in v)) for k, v in ws.conditional_formatting._cf_rules.items()),
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "widths": sorted((k, v.width) for k, v in ws.column_dimensions.items()),
        }
    return out


@pytest.mark.parametrize("programma", [1, 2, 3, 4, 5, 6])
def test_committed_templates_are_up_to_date(cfg, tmp_path, programma):
    committed = COMMITTED / nome_file(programma, 2026)
    assert committed.exists(), f"manca {committed}: esegui `make templates`"
    fresh = save_template(cfg, programma, 2026, tmp_path / committed.name)
    assert contenuto(fresh) == contenuto(committed), f"{committed.name} non aggiornato: esegui `make templates`"


def test_committed_consolidation_template_is_up_to_date(cfg, tmp_path):
    from addin.templates import genera_modelli

    res = genera_modelli(cfg, 2026, tmp_path)
    fresh = tmp_path / "consolidato_2026.xlsx"
    assert fresh in res.file, res.note
    assert contenuto(fresh) == contenuto(COMMITTED / fresh.name), "consolidato_2026.xlsx non aggiornato: `make templates`"


def test_cli_modello_and_errors(tmp_path):
    out = tmp_path / "p4.xlsx"
    r = subprocess.run([sys.executable, "-m", "addin.cli", "modello", "--programma", "4", "--anno", "2027",
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    assert wb[S.META]["B3"].value == "2027" and _named_values(wb, S.L_AZIONI) == ["4.1", "4.2", "4.3"]
    r = subprocess.run([sys.executable, "-m", "addin.cli", "modello", "--programma", "7", "--out",
                        str(tmp_path / "x.xlsx")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "programma 7 non è configurato" in r.stderr   # an invalid option (README)
    assert not (tmp_path / "x.xlsx").exists()


# --- filler --------------------------------------------------------------------------------------------

def test_filler_types_cells_as_excel_does(cfg):
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, [Spesa(riga=77, azione="1.2", partner="Igea", categoria="BENI", importo=D("10.50"),
                             data_pagamento=dt.date(2026, 3, 5), doc_trasmessa=True, doc_conservata=False, ore=D(3))],
                  [VoceCofinanziamento(riga=9, partner="Koala", azione="1.1", tipo="NON_MONETARIO",
                                       valore_unitario=D("99.90"))],
                  [VoceBudget("1.3", "SERVIZI", comunale_iniziale=D("1000.00"), cofin_luglio=D("-20.05"))])
    ws = wb[S.SPESE]
    row = {c.key: ws.cell(FIRST_ROW, i + 1).value for i, c in enumerate(S.SPESE_COLS)}
    assert row["azione"] == "1.2" and row["categoria"] == "Beni di consumo e materie prime"
    assert row["importo"] == 10.5 and row["data_pagamento"] == dt.datetime(2026, 3, 5) and row["ore"] == 3
    assert (row["doc_trasmessa"], row["doc_conservata"], row["doc_giustificativo"]) == ("SI", "NO", None)
    assert ws.cell(FIRST_ROW + 1, 1).value is None
    cof = wb[S.COFINANZIAMENTO]
    assert [c.value for c in cof[FIRST_ROW]][:7] == ["Koala", "1.1", "Non monetario", None, None, None, 99.9]
    assert cof[f"H{FIRST_ROW}"].value.startswith("=")   # the formula column is kept
    bud = wb[S.BUDGET]
    r = next(r for r in range(4, 29) if (bud[f"A{r}"].value, bud[f"B{r}"].value) ==
             ("1.3", "Servizi e prestazioni professionali di enti terzi"))
    assert (bud[f"C{r}"].value, bud[f"H{r}"].value, bud[f"F{r}"].value[:1]) == (1000, -20.05, "=")
    with pytest.raises(ErroreInput, match="righe da scrivere"):
        fill_workbook(wb, [Spesa(riga=0)] * (RIGHE_SPESE + 1))
    # text that looks like a formula stays text
    wb2 = build_template(cfg, 1, 2026)
    fill_workbook(wb2, [Spesa(riga=1, descrizione='=HYPERLINK("http://x","y")', fornitore="=1+1")])
    d = wb2[S.SPESE].cell(FIRST_ROW, S.SPESE_COLS.index(S.col_by_key(S.SPESE_COLS, "descrizione")) + 1)
    f = wb2[S.SPESE].cell(FIRST_ROW, S.SPESE_COLS.index(S.col_by_key(S.SPESE_COLS, "fornitore")) + 1)
    assert (d.data_type, f.data_type, f.value) == ("s", "s", "=1+1")
    with pytest.raises(ErroreInput, match="nessuna riga di budget"):
        fill_workbook(wb, [], budget=[VoceBudget("2.1", "BENI")])


# --- the proof: LibreOffice recalculation equals the rules ------------------------------------------------

def _spese(prog: int, with_internal: bool) -> list[Spesa]:
    a = [f"{prog}.{i}" for i in (1, 2, 3, 4, 5)] if prog == 1 else [f"{prog}.1", f"{prog}.2"] * 3
    internal = "PERSONALE_INTERNO" if with_internal else "PERSONALE_ESTERNO"
    d = dt.date(2026, 3, 10)
    rows = [
        Spesa(0, a[0], "Igea", internal, "Educatrice", "Rossi Anna", "Cedolino", "3/2026", d, d, "Bonifico",
              D("2562.00"), D("2562.00"), "Rossi Anna", D(120), D("21.35"), True, True, True, d),
        Spesa(0, a[0], "Scacco Matto", internal, "Ausiliaria", "Bianchi Lia", "Cedolino", "3/2026", d, d, "Bonifico",
              D("1428.00"), D("1428.00"), "Bianchi Lia", D(80), D("17.85"), True, True, True, d),
        Spesa(0, a[1], "Mestieri", "PERSONALE_ESTERNO", "Formatore", "Verdi Ugo", "Notula", "12", d, d, "Bonifico",
              D("600.00"), D("600.00"), "Verdi Ugo", D(40), D("15.00"), True, True, False),
        Spesa(0, a[1], "Koala", "BENI", "Materiale didattico", "Cartoleria Srl", "Fattura", "A-17",
              dt.date(2026, 5, 2), dt.date(2026, 6, 3), "Carta di credito o debito", D("1500.00"), D("1234.56")),
        Spesa(0, a[2], "Consorzio Arcobaleno", "SERVIZI", "Trasporto", "Bus Spa", "Fattura", "88", d, None, None,
              D("4500.10"), D("4500.10")),
        Spesa(0, a[3], "Cospes", "SPESE_GENERALI", "Utenze (riparto)", "Enel", "Fattura", "F9", d, d, "RID/SDD",
              D("700.70"), D("350.35")),
        Spesa(0, a[4], "Meraki", "Beni di consumo e materie prime", "Merende", "Coop", "Scontrino", "5", d, d,
              "Contanti", D("99.99"), D("99.99")),
        Spesa(0, "9.1", "Auser", "SERVIZI", "Azione di un altro programma", "X", "Fattura", "1", d, d, "Bonifico",
              D("500.00"), D("500.00")),
        Spesa(0, a[1], "Charta", None, "Categoria mancante", "Y", "Fattura", "2", d, d, "Bonifico",
              D("75.25"), D("75.25")),
        Spesa(0, a[2], "Sentiero", "SERVIZI", "Senza importo"),
    ]
    return rows


def _cofin(prog: int) -> list[VoceCofinanziamento]:
    a1, a2 = f"{prog}.1", f"{prog}.2"
    return [
        VoceCofinanziamento(0, "Igea", a1, "MONETARIO", "Fondi propri", None, D("1500.00")),
        VoceCofinanziamento(0, "Koala", a2, "NON_MONETARIO", "Sala attrezzata", D(12), D("45.50")),
        VoceCofinanziamento(0, "Sentiero", a1, "VOLONTARIATO", "Animatori volontari", D(30), D("25.00")),  # above cap
        VoceCofinanziamento(0, "Auser", a2, "Volontariato", "Accompagnamento", D("10.5"), D("12.00")),   # below cap
        VoceCofinanziamento(0, "Meraki", a1, "Non monetario", "Automezzo", None, D("333.33")),
        VoceCofinanziamento(0, "CSV", a2, "Monetario", "Contributo", D(2), D("100.01")),
    ]


def _budget(prog: int) -> list[VoceBudget]:
    return [VoceBudget(f"{prog}.1", "PERSONALE_INTERNO", D("5000.00"), D("-500.50"), D("100.25"), D("800.00")),
            VoceBudget(f"{prog}.2", "BENI", D("1000.00"), cofin_iniziale=D("200.00"), cofin_novembre=D("50.10")),
            VoceBudget(f"{prog}.1", "SERVIZI", D("3000.00"), D("0"), D("-3000.00"))]


def _values(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _by_label(rows, label, col):
    hits = [r for r in rows if r and r[0] == label]
    assert len(hits) == 1, (label, hits)
    return hits[0][col]


def _eur(v) -> Decimal:
    assert isinstance(v, (int, float)), v
    return money(v)


# P1: partner cost below the table rate, the spending limit binds; P3: no internal personnel (table
# rate), the proportional reduction binds
PROVE = ((1, True), (3, False))


@pytest.fixture(scope="module")
def riepiloghi(cfg):
    """The rules' figures of the two test workbooks (no LibreOffice needed)."""
    return {prog: riepilogo(cfg, prog, 2026, _spese(prog, internal), _cofin(prog), _budget(prog))
            for prog, internal in PROVE}


@pytest.fixture(scope="module")
def ricalcolati(cfg, riepiloghi, tmp_path_factory):
    """The two test workbooks filled and recalculated by LibreOffice, with the rules' figures."""
    if SOFFICE is None:
        pytest.skip("LibreOffice non installato")
    base = tmp_path_factory.mktemp("tpl")
    out = {}
    for prog, internal in PROVE:
        wb = build_template(cfg, prog, 2026)
        fill_workbook(wb, _spese(prog, internal), _cofin(prog), _budget(prog))
        src = base / "in" / f"p{prog}.xlsx"
        src.parent.mkdir(exist_ok=True)
        wb.save(src)
        res = ricalcola(src, base / "out")
        out[prog] = (openpyxl.load_workbook(res, data_only=True), riepiloghi[prog], src)
    return out


@pytest.mark.libreoffice
@richiede_libreoffice
@pytest.mark.parametrize("prog", [1, 3])
def test_libreoffice_riepilogo_equals_rules(cfg, ricalcolati, prog):
    wb, s, _ = ricalcolati[prog]
    rows = _values(wb[S.RIEPILOGO])
    # action x category: budget current vs reported
    lab = {c.codice: c.nome for c in cfg.categorie}
    for r in s.righe:
        (row,) = [x for x in rows if x[0] == r.azione and x[1] == lab[r.categoria]]
        assert [_eur(v) for v in row[2:7]] == [r.budget_comunale, r.budget_cofin, r.budget_totale, r.rendicontato,
                                               r.residuo], row
    for a, v in s.per_azione.items():
        (row,) = [x for x in rows if x[0] == a and x[1] not in lab.values()]   # the "Per azione" table
        assert _eur(row[3]) == v
    for code, v in s.per_categoria.items():
        assert _eur(_by_label(rows, lab[code], 3)) == v
    assert _eur(_by_label(rows, "Totale azioni del programma", 5)) == s.attribuito
    assert _eur(_by_label(rows, "Non attribuito (azione o categoria mancante o non valida)", 5)) == s.non_attribuito
    assert _eur(_by_label(rows, "Totale rendicontato", 5)) == s.rendicontato
    assert _eur(_by_label(rows, "Totale azioni del programma", 2)) == s.budget_comunale
    assert _eur(_by_label(rows, "Totale azioni del programma", 3)) == s.budget_cofin
    bud = _values(wb[S.BUDGET])
    tot = next(x for x in bud if x[1] == "Totale budget attuale")
    diff = next(x for x in bud if x[1] == "Differenza da ripartire")
    assert (_eur(tot[5]), _eur(tot[9])) == (s.budget_comunale, s.budget_cofin)
    assert (_eur(diff[5]), _eur(diff[9])) == (s.contributo_previsto - s.budget_comunale,
                                              s.cofin_previsto - s.budget_cofin)
    # co-financing, volunteer cap and the 10% share
    assert _eur(_by_label(rows, "Tariffa oraria massima del volontariato", 1)) == s.tariffa.valore
    assert _by_label(rows, "Fonte della tariffa", 1) == s.tariffa.fonte
    assert _eur(_by_label(rows, "Cofinanziamento monetario", 1)) == s.cofinanziamento.monetario
    assert _eur(_by_label(rows, "Cofinanziamento monetario dichiarato", 1)) == s.cofinanziamento.monetario_dichiarato
    assert _eur(_by_label(rows, "Cofinanziamento non monetario", 1)) == s.cofinanziamento.non_monetario
    assert _eur(_by_label(rows, "Cofinanziamento volontariato", 1)) == s.cofinanziamento.volontariato
    assert _eur(_by_label(rows, "Totale cofinanziamento", 1)) == s.quota.cofinanziamento
    base = next(r for r in rows if r and str(r[0]).startswith("Base:"))
    assert _eur(base[1]) == s.quota.base
    assert round(D(repr(_by_label(rows, "Quota di cofinanziamento", 1))), 10) == round(s.quota.quota, 10)
    assert _eur(_by_label(rows, "Cofinanziamento minimo", 1)) == s.quota.minimo
    assert _by_label(rows, "Quota minima rispettata", 1) == ("SI" if s.quota.rispettato else "NO")
    assert _eur(_by_label(rows, "Cofinanziamento mancante", 1)) == s.quota.mancante
    # co-financing rows: each Valore as the rule values it
    from addin.rules.cofinancing import valore_voce
    cof = wb[S.COFINANZIAMENTO]
    for i, v in enumerate(_cofin(prog)):
        assert _eur(cof[f"H{FIRST_ROW + i}"].value) == valore_voce(v, s.tariffa.valore)
    assert cof[f"H{FIRST_ROW + 10}"].value in (None, "")


@pytest.mark.libreoffice
@richiede_libreoffice
@pytest.mark.parametrize("prog", [1, 3])
def test_libreoffice_tranche_equals_rules(ricalcolati, prog):
    wb, s, _ = ricalcolati[prog]
    rows = _values(wb[S.TRANCHE])
    for t in s.piano:
        row = next(r for r in rows if r[0] == f"Tranche {t.numero}")
        assert (_eur(row[4]), row[3].date(), D(repr(row[2]))) == (t.importo, t.scadenza, t.quota)
    liq = s.liquidazione
    expected = {
        "Contributo comunale previsto": liq.contributo_previsto,
        "Valore previsto": liq.valore_previsto,
        "Spese rendicontate": s.rendicontato,
        "Cofinanziamento non monetario e volontariato": s.cofinanziamento.valorizzato,
        "Valore realizzato": liq.valore_realizzato,
        "Contributo proporzionale": liq.contributo_proporzionale,
        "Cofinanziamento monetario": liq.cofinanziamento_monetario,
        "Limite di spesa": liq.limite_spesa,
        "Contributo spettante": liq.contributo_finale,
        "Riduzione": liq.riduzione,
        "Anticipi (tranche anticipate)": liq.anticipi,
        "Saldo": liq.saldo,
        "Saldo da erogare": max(liq.saldo, D(0)),
        "Importo da recuperare": liq.da_recuperare,
    }
    got = {k: _eur(_by_label(rows, k, 4)) for k in expected}
    assert got == expected
    assert round(D(repr(_by_label(rows, "Percentuale di realizzazione", 4))), 10) == \
        round(liq.percentuale_realizzazione, 10)
    if prog == 1:   # by hand (test_rules_figures_match_hand_computation): 650,215.18 - 9,650.23
        assert _eur(_by_label(rows, "Importo da recuperare", 4)) == D("638864.93")   # 650215.18 - 11350.25


def test_rules_figures_match_hand_computation(riepiloghi):
    """Independent expectations (computed by hand) so that rules and sheets cannot agree on a wrong figure.
    Needs no LibreOffice: the sheets are compared with these rules' figures by the tests above."""
    s1 = riepiloghi[1]
    # reported: 2562 + 1428 + 600 + 1234.56 + 4500.10 + 350.35 + 99.99 + 500 (other programme) + 75.25
    assert s1.rendicontato == D("11350.25") and s1.non_attribuito == D("575.25")
    # cap: the table 20.07 (no planned grade configured); Scacco Matto's row at 17.85 does not lower it
    assert s1.tariffa.valore == D("20.07")
    # declared monetary 1500 + 2 x 100.01; non-monetary 12 x 45.50 + 333.33; volunteers 30 x 20.07 + 10.5 x 12
    c = s1.cofinanziamento
    assert (c.monetario_dichiarato, c.non_monetario, c.volontariato) == (D("1700.02"), D("879.33"), D("728.10"))
    # realised 11350.25 + 879.33 + 728.10 = 12957.68: proportional 722461.31 x 12957.68 / 810897.48 = 11544.52,
    # above the reported 11350.25, which binds; nothing of the reported spending is left as monetary
    # co-financing (declared 1700.02, reconciled: COFINANZIAMENTO_MONETARIO_INCOERENTE)
    assert s1.liquidazione.contributo_proporzionale == D("11544.52")
    assert s1.liquidazione.contributo_finale == D("11350.25")
    assert c.monetario == D("0.00") and c.monetario_incoerente
    # share: co-financing 879.33 + 728.10 = 1607.43 of 12957.68; minimum 10/90 of 12957.68 - 1607.43 = 11350.25
    # -> 1261.14
    assert s1.quota.base == D("12957.68") and s1.quota.cofinanziamento == D("1607.43")
    assert s1.quota.minimo == D("1261.14") and s1.quota.rispettato
    # advances 433476.79 + 216738.39 = 650215.18
    assert s1.liquidazione.saldo == D("11350.25") - D("650215.18")
    assert s1.liquidazione.da_recuperare == D("638864.93")
    # P3: no internal personnel -> table rate 20.07; volunteers 30 x 20.07 + 10.5 x 12 = 728.10
    s3 = riepiloghi[3]
    assert s3.tariffa.valore == D("20.07") and s3.cofinanziamento.volontariato == D("728.10")
    # realised 11350.25 + 879.33 + 728.10 = 12957.68 over 8604.80 + 12334.62 = 20939.42
    assert s3.liquidazione.contributo_proporzionale == money(D("8604.80") * D("12957.68") / D("20939.42"))
    assert s3.liquidazione.contributo_finale == s3.liquidazione.contributo_proporzionale < s3.liquidazione.limite_spesa
    # 5324.80 due: monetary co-financing 11350.25 - 5324.80 = 6025.45; minimum (12957.68 - (6025.45 + 1607.43)) / 9
    assert s3.liquidazione.contributo_finale == D("5324.80") and s3.cofinanziamento.monetario == D("6025.45")
    assert s3.quota.minimo == D("591.64")


@pytest.mark.libreoffice
@richiede_libreoffice
def test_libreoffice_sees_protection_without_password(cfg, tmp_path):
    path = save_template(cfg, 2, 2026, tmp_path / "p2.xlsx")
    out = esegui_uno('''
        doc = apri(connetti(), sys.argv[1])
        sheets = doc.Sheets
        for name in sys.argv[2:]:
            sh = sheets.getByName(name)
            print(name, sh.isProtected())
        rie = sheets.getByName("Riepilogo")
        print("riepilogo_locked", rie.getCellRangeByName("B7").CellProtection.IsLocked)
        sp = sheets.getByName("Spese")
        print("spese_input_locked", sp.getCellRangeByName("A4").CellProtection.IsLocked)
        print("spese_header_locked", sp.getCellRangeByName("A3").CellProtection.IsLocked)
        cof = sheets.getByName("Cofinanziamento")
        print("valore_locked", cof.getCellRangeByName("H10").CellProtection.IsLocked)
        sp.unprotect("")
        print("unprotected_without_password", not sp.isProtected())
        doc.close(True)
    ''', str(path), S.ISTRUZIONI, S.BUDGET, S.SPESE, S.COFINANZIAMENTO, S.RIEPILOGO, S.TRANCHE)
    lines = dict(line.rsplit(" ", 1) for line in out.strip().splitlines())
    assert all(lines[n] == "True" for n in (S.ISTRUZIONI, S.BUDGET, S.SPESE, S.COFINANZIAMENTO, S.RIEPILOGO,
                                             S.TRANCHE)), lines
    assert lines["riepilogo_locked"] == "True" and lines["valore_locked"] == "True"
    assert lines["spese_input_locked"] == "False" and lines["spese_header_locked"] == "True"
    assert lines["unprotected_without_password"] == "True"


@pytest.mark.libreoffice
@richiede_libreoffice
@richiede_poppler
def test_pdf_and_png_render_without_hashes(ricalcolati, tmp_path):
    _, _, src = ricalcolati[1]
    pdf = esporta_pdf(src, tmp_path / "pdf")
    text = estrai_testo_pdf(pdf)
    assert "###" not in text
    pages = text.count("\f")
    assert pages >= 6  # at least one page per visible sheet
    for needle in ("Riepilogo 2026 - Programma 1", "Tranche 2026 - Programma 1", "Importo da recuperare",
                   "Personale interno", "Finestre rendicontative 2026"):
        assert needle in text, needle
    assert "638,864.93" in text or "638.864,93" in text   # the amount to recover, in the office's locale
    png = pagine_png(pdf, tmp_path / "png", dpi=40)
    assert len(png) == pages and all(p.stat().st_size > 2000 for p in png)


def test_reader_reads_a_filled_template_back(cfg, tmp_path):
    """Contract 1-3: what the filler writes into a template, the reader reads back as the same rows
    (row numbers from 4), so the sheets' formulas and the Python check see the same data."""
    from addin.rules.lookup import lookup_for
    from addin.workbook.reader import leggi_cartella

    wb = build_template(cfg, 1, 2026)
    sp, co, bu = _spese(1, True), _cofin(1), _budget(1)
    fill_workbook(wb, sp, co, bu)
    wb.save(tmp_path / "p1.xlsx")
    c = leggi_cartella(tmp_path / "p1.xlsx", cfg)
    assert (c.programma, c.anno, len(c.spese), len(c.cofinanziamento)) == (1, 2026, len(sp), len(co))
    assert [s.riga for s in c.spese] == list(range(FIRST_ROW, FIRST_ROW + len(sp)))
    lk = lookup_for(cfg)
    for a, b in zip(sp, c.spese):
        assert (b.azione, b.partner, b.importo, b.data_pagamento, b.costo_orario, b.doc_trasmessa) == \
            (a.azione, a.partner, a.importo, a.data_pagamento, a.costo_orario, a.doc_trasmessa)
        assert lk.categoria(b.categoria) == lk.categoria(a.categoria)
    assert riepilogo(cfg, 1, 2026, c.spese, c.cofinanziamento, c.budget) == riepilogo(cfg, 1, 2026, sp, co, bu)
