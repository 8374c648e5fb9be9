"""The calamine reader: raw grids (as calamine or xlwings deliver them) and real template workbooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from addin.errors import ErroreInput
from addin.rules.models import Spesa
from addin.workbook import schema as S
from addin.workbook.reader import col_letter, leggi_cartella, parse_cartella
from hostile.build import save_workbook

H = [c.header for c in S.SPESE_COLS]
HC = [c.header for c in S.COFIN_COLS]
HB = [c.header for c in S.BUDGET_COLS]
META = [["chiave", "valore"], ["programma", 1.0], ["anno", 2026.0], ["versione_schema", "1"], ["tipo", "programma"]]


def _row(cols, **values):
    return [values.get(c.key, "") for c in cols]


def _grids(spese_rows, header=None, meta=None, cofin_rows=(), budget_rows=(), header_at=2):
    top = [["Spese 2026"], ["istruzioni"]] + [[""]] * (header_at - 2)
    return {
        S.SPESE: top + [header or H] + list(spese_rows),
        S.COFINANZIAMENTO: [["t"], ["i"], HC, *cofin_rows],
        S.BUDGET: [["t"], ["i"], HB, *budget_rows],
        S.META: meta or META,
    }


def test_cells_as_xlwings_delivers_them(cfg):
    """ISO strings with Z, Excel serial numbers, Italian amounts, SI/NO variants, action typed as number."""
    row = _row(S.SPESE_COLS, azione=1.2, partner="Igea", categoria="Beni di consumo e materie prime",
               numero_documento=123.0, data_documento="2026-03-05T00:00:00.000Z", data_pagamento=46096.0,
               modalita_pagamento="Bonifico", importo_documento="1.234,56", importo="1.234",
               doc_giustificativo="Sì", doc_conservata=True, doc_trasmessa="si", data_trasmissione="15/04/2026")
    c = parse_cartella(_grids([row]), cfg)
    s = c.spese[0]
    assert s.riga == 4
    assert s.azione == "1.2" and s.numero_documento == "123"
    assert s.data_documento == dt.date(2026, 3, 5)
    assert s.data_pagamento == dt.date(2026, 3, 15)        # serial 46096 = 15/03/2026
    assert s.importo_documento == Decimal("1234.56") and s.importo == Decimal("1234")
    assert (s.doc_giustificativo, s.doc_conservata, s.doc_trasmessa) == (True, True, True)
    assert s.data_trasmissione == dt.date(2026, 4, 15)
    assert s.errori == []
    assert (c.programma, c.anno, c.versione) == (1, 2026, "1")


def test_bad_cells_become_row_reasons_naming_sheet_row_column_cell(cfg):
    row = _row(S.SPESE_COLS, azione="1.1", importo="cento euro", data_documento="31/02/2026", ore="tante",
               doc_trasmessa="forse")
    s = parse_cartella(_grids([[""] * len(H), row]), cfg).spese[0]
    assert s.riga == 5                     # the Excel row: header on 3, one empty row skipped
    by_code = {}
    for m in s.errori:
        by_code.setdefault(m.codice, []).append(m.messaggio)
    imp = by_code["IMPORTO_NON_VALIDO"][0]
    assert "Foglio «Spese», riga 5, colonna «Importo rendicontato» (cella L5)" in imp and "«cento euro»" in imp
    dato = " | ".join(by_code["DATO_NON_VALIDO"])
    assert "colonna «Data documento» (cella H5)" in dato
    assert "colonna «Ore» (cella Q5)" in dato      # after IVA detraibile, Altri contributi (M, N), Persona, Codice fiscale (O, P)
    assert "colonna «Doc. trasmessa» (cella V5)" in dato and "non è SI o NO" in dato
    assert s.importo is None and s.data_documento is None


def test_repeated_texts_read_alike_on_every_row_and_by_column_kind(cfg):
    """The reader parses a text met before once (perf): the same texts on two rows give the same values
    and each row its own reasons, naming its own cells; a text valid in one kind of column is not
    taken for valid in another (an amount in a date column, a date in an amount column)."""
    row = _row(S.SPESE_COLS, azione="1.1", data_documento="2026-03-05T00:00:00.000Z", data_pagamento="1.234,56",
               importo_documento="1.234,56", importo="2026-03-05T00:00:00.000Z", ore="cento euro",
               costo_orario="12", doc_trasmessa="forse", data_trasmissione="31/02/2026")
    spese = parse_cartella(_grids([row, list(row)]), cfg).spese
    assert [s.riga for s in spese] == [4, 5]
    for s in spese:
        n = s.riga
        assert s.data_documento == dt.date(2026, 3, 5)
        assert s.importo_documento == Decimal("1234.56") and s.costo_orario == Decimal("12")
        assert s.data_pagamento is None and s.importo is None and s.ore is None
        assert s.doc_trasmessa is None and s.data_trasmissione is None
        cells = sorted(m.messaggio.split("(cella ")[1].split(")")[0] for m in s.errori)
        # I = Data pagamento, L = Importo rendicontato, Q = Ore, V = Doc. trasmessa, W = Data trasmissione
        assert cells == [f"I{n}", f"L{n}", f"Q{n}", f"V{n}", f"W{n}"]
        codes = {m.messaggio.split("(cella ")[1][0]: m.codice for m in s.errori}
        assert codes == {"I": "DATO_NON_VALIDO", "L": "IMPORTO_NON_VALIDO", "Q": "DATO_NON_VALIDO",
                         "V": "DATO_NON_VALIDO", "W": "DATO_NON_VALIDO"}


def test_columns_found_by_header_text_in_any_order_extra_ignored(cfg):
    order = list(reversed(H)) + ["Note del partner"]
    values = {"Azione": "1.3", "Importo rendicontato": 50.0, "Partner": "Koala", "Note del partner": "xyz"}
    row = [values.get(h, "") for h in order]
    c = parse_cartella(_grids([row], header=order, header_at=6), cfg)
    s = c.spese[0]
    assert (s.riga, s.azione, s.partner, s.importo) == (8, "1.3", "Koala", Decimal("50"))


def test_missing_column_names_sheet_and_column(cfg):
    header = [h for h in H if h != "Data pagamento"]
    with pytest.raises(ErroreInput) as exc:
        parse_cartella(_grids([], header=header), cfg, path="/x/P1.xlsx")
    assert exc.value.foglio == "Spese" and exc.value.colonna == "Data pagamento"
    assert "file «P1.xlsx», foglio «Spese», riga 3, colonna «Data pagamento»" in str(exc.value)


def test_presized_empty_rows_and_output_columns_do_not_make_rows(cfg):
    empty = [""] * len(H)
    only_output = _row(S.SPESE_COLS, esito="AMMESSA", importo_ammesso=0.0, motivi="")
    rows = [empty] * 50 + [only_output, _row(S.SPESE_COLS, azione="1.1", importo=10.0)] + [empty] * 900
    c = parse_cartella(_grids(rows), cfg)
    assert [s.riga for s in c.spese] == [4 + 51]


@pytest.mark.parametrize("meta,fragment", [
    ([["chiave", "valore"], ["programma", 1], ["anno", 2026]], "manca la versione dello schema"),
    (META[:3] + [["versione_schema", "2"]], "versione dello schema «2» non supportata"),
    ([["chiave", "valore"], ["anno", 2026], ["versione_schema", "1"]], "manca il valore «programma»"),
])
def test_meta_problems(cfg, meta, fragment):
    with pytest.raises(ErroreInput, match=fragment):
        parse_cartella(_grids([], meta=meta), cfg)


def test_cofinanziamento_and_budget_rows(cfg):
    cof = [_row(S.COFIN_COLS, partner="Auser", azione=1.1, tipo="Volontariato", quantita=10.0, valore_unitario="25,00"),
           _row(S.COFIN_COLS, partner="Igea", tipo="Monetario", valore_unitario="mille")]
    bud = [_row(S.BUDGET_COLS, azione="1.1", categoria="Personale interno", comunale_iniziale=1000.0,
                comunale_luglio=-100.0, cofin_iniziale=50.0),
           [""] * len(HB), ["Totale budget attuale", 900.0]]
    c = parse_cartella(_grids([], cofin_rows=cof, budget_rows=bud), cfg)
    v, w = c.cofinanziamento
    assert (v.riga, v.azione, v.quantita, v.valore_unitario) == (4, "1.1", Decimal("10"), Decimal("25.00"))
    assert w.errori[0].codice == "IMPORTO_NON_VALIDO" and "cella G5" in w.errori[0].messaggio
    assert len(c.budget) == 1                          # the totals block below the table is not data
    b = c.budget[0]
    assert (b.azione, b.categoria, b.comunale_attuale, b.cofin_attuale) == ("1.1", "PERSONALE_INTERNO",
                                                                            Decimal("900.00"), Decimal("50.00"))


def test_col_letter():
    assert [col_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_real_template_roundtrip(cfg, tmp_path):
    """A workbook built from the real template and filled: the reader gives back the typed values."""
    s = Spesa(riga=0, azione="1.4", partner="Koala", categoria="PERSONALE_INTERNO", descrizione="Ore educatrice",
              fornitore="Anna Rossi", tipo_documento="Cedolino", numero_documento="C-7",
              data_documento=dt.date(2026, 6, 27), data_pagamento=dt.date(2026, 6, 30),
              modalita_pagamento="Bonifico", importo_documento=Decimal("3100.50"), importo=Decimal("880.00"),
              persona="Anna Rossi", ore=Decimal("40"), costo_orario=Decimal("22.00"), doc_giustificativo=True,
              doc_conservata=True, doc_trasmessa=False, decisione_comune="Ammessa")
    p = save_workbook(tmp_path / "P1.xlsx", cfg, [s], programma=1, anno=2026)
    c = leggi_cartella(p, cfg)
    assert (c.programma, c.anno, c.versione, c.path) == (1, 2026, S.SCHEMA_VERSION, str(p))
    assert len(c.spese) == 1
    r = c.spese[0]
    assert r.riga == 4
    assert (r.azione, r.partner, r.categoria) == ("1.4", "Koala", "Personale interno")
    assert (r.data_documento, r.data_pagamento) == (dt.date(2026, 6, 27), dt.date(2026, 6, 30))
    assert (r.importo_documento, r.importo, r.ore, r.costo_orario) == (
        Decimal("3100.5"), Decimal("880"), Decimal("40"), Decimal("22"))
    assert (r.doc_giustificativo, r.doc_trasmessa, r.data_trasmissione) == (True, False, None)
    assert r.decisione_comune == "Ammessa" and r.errori == []
    # the template's budget rows (actions x categories) are read
    assert {b.azione for b in c.budget} == {"1.1", "1.2", "1.3", "1.4", "1.5"}


@pytest.mark.parametrize("typed, expected", [
    ("1,234.56", "1234.56"),      # was read as 1.23456: an amount off by a factor of 1,000
    ("1.234,56", "1234.56"), ("1.234", "1234"), ("12.500", "12500"), ("1,234,567", "1234567"),
    ("€ 1.234,56", "1234.56"), ("EUR 10", "10"), ("1'234,50", "1234.50"), ("12.50", "12.50"), ("0.125", "0.125"),
])
def test_amounts_typed_as_text(cfg, typed, expected):
    row = _row(S.SPESE_COLS, azione="1.1", partner="Igea", categoria="BENI", importo=typed)
    [s] = parse_cartella(_grids([row]), cfg).spese
    assert s.importo == Decimal(expected) and not s.errori, (typed, s.importo, s.errori)


# --- the safety check scans worksheets in steps: a tag cut by a step boundary is still seen ---------

def _xlsx_with_sheet(path, sheet_xml: bytes):
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def _sheet(cells: str) -> bytes:
    filler = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r}</v></c></row>' for r in range(1, 40))
    return (f'<?xml version="1.0"?><worksheet><sheetData>{filler}{cells}</sheetData></worksheet>').encode()


@pytest.mark.parametrize("step", [7, 13, 64, 1 << 20])
def test_wide_cell_found_whatever_the_step(tmp_path, monkeypatch, step):
    from addin.workbook import reader

    monkeypatch.setattr(reader, "_CHUNK", step)
    ok = _xlsx_with_sheet(tmp_path / "ok.xlsx", _sheet('<row r="50"><c r="GR50" t="s"><v>1</v></c></row>'))
    assert reader.controlla_file(ok) == []                  # GR = column 200, the last one allowed
    for pad in range(0, 2 * step if step < 100 else 1):     # the wide tag at every offset of a step
        body = " " * pad + '<row r="50"><c s="3" t="s" r="ZZZ50"><v>1</v></c></row>'
        bad = _xlsx_with_sheet(tmp_path / f"bad{pad}.xlsx", _sheet(body))
        with pytest.raises(ErroreInput, match="oltre la colonna massima"):
            reader.controlla_file(bad)


@pytest.mark.parametrize("step", [11, 1 << 20])
def test_last_row_and_dtd_checked_in_steps(tmp_path, monkeypatch, step):
    from addin.workbook import reader

    monkeypatch.setattr(reader, "_CHUNK", step)
    far = _xlsx_with_sheet(tmp_path / "far.xlsx", _sheet('<row r="900000"><c r="A900000"><v>1</v></c></row>'))
    with pytest.raises(ErroreInput, match="oltre il massimo"):
        reader.controlla_file(far)
    dtd = _xlsx_with_sheet(tmp_path / "dtd.xlsx", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
                                                  + _sheet("")[21:])
    with pytest.raises(ErroreInput, match="DTD"):
        reader.controlla_file(dtd)


def test_optional_tax_code_column(cfg):
    """`Codice fiscale` is read when present; a workbook made before it existed still reads."""
    row = _row(S.SPESE_COLS, azione="1.1", persona="Anna Verdi", codice_fiscale=" vrdnna80a41d142k ")
    assert parse_cartella(_grids([row]), cfg).spese[0].codice_fiscale == "vrdnna80a41d142k"
    old = [c for c in S.SPESE_COLS if c.key != "codice_fiscale"]
    s = parse_cartella(_grids([_row(old, azione="1.1", persona="Anna Verdi")], header=[c.header for c in old]),
                       cfg).spese[0]
    assert s.persona == "Anna Verdi" and s.codice_fiscale is None and s.errori == []
    # a required column is still required
    no_amount = [c.header for c in S.SPESE_COLS if c.key != "importo"]
    with pytest.raises(ErroreInput, match="Importo rendicontato"):
        parse_cartella(_grids([], header=no_amount), cfg)


def test_competence_month_as_typed(cfg):
    typed = ["12/2026", "2026-12", " 1/2026 ", dt.datetime(2026, 12, 15), dt.date(2026, 12, 31), 46357.0,
             "15/12/2026", "13/2026", "dicembre"]
    rows = [_row(S.SPESE_COLS, azione="1.1", importo=10.0, mese_competenza=v) for v in typed]
    spese = parse_cartella(_grids(rows), cfg).spese
    # 46357 = 01/12/2026 (Excel serial: 46,357 days after 30/12/1899)
    assert [s.mese_competenza for s in spese[:7]] == [dt.date(2026, 12, 1), dt.date(2026, 12, 1),
                                                      dt.date(2026, 1, 1)] + [dt.date(2026, 12, 1)] * 4
    for s in spese[7:]:
        assert s.mese_competenza is None
        [m] = s.errori
        assert m.codice == "DATO_NON_VALIDO" and "«Mese di competenza»" in m.messaggio
        assert "non è un mese valido (mm/aaaa)" in m.messaggio


def test_workbook_without_the_optional_columns_still_reads(cfg):
    optional = [c for c in S.SPESE_COLS if c.optional]
    assert {c.key for c in optional} >= {"mese_competenza", "iva_detraibile", "altri_contributi"}
    cols = tuple(c for c in S.SPESE_COLS if not c.optional)
    row = _row(cols, azione="1.1", importo=10.0, persona="Anna")
    [s] = parse_cartella(_grids([row], header=[c.header for c in cols]), cfg).spese
    assert (s.azione, s.importo, s.persona, s.mese_competenza, s.errori) == ("1.1", Decimal("10.0"), "Anna", None, [])


def test_cofinancing_date_column_read_and_optional(cfg):
    """«Data» of Cofinanziamento (templates from 29/11/2026): read as a date (46082 = 01/03/2026: 46,082 days
    after 30/12/1899); a workbook made before it existed still reads, and says it has no such column."""
    typed = [dt.datetime(2026, 3, 1), "15/05/2026", 46082.0, "marzo"]
    rows = [_row(S.COFIN_COLS, partner="Auser", tipo="Volontariato", quantita=4.0, valore_unitario=20.0, data=v)
            for v in typed]
    c = parse_cartella(_grids([], cofin_rows=rows), cfg)
    assert c.cofin_con_data
    assert [v.data for v in c.cofinanziamento] == [dt.date(2026, 3, 1), dt.date(2026, 5, 15), dt.date(2026, 3, 1),
                                                  None]
    [m] = c.cofinanziamento[3].errori
    assert m.codice == "DATO_NON_VALIDO" and "colonna «Data»" in m.messaggio and "cella E7" in m.messaggio
    old = tuple(c for c in S.COFIN_COLS if c.key != "data")
    grids = _grids([], cofin_rows=[_row(old, partner="Auser", tipo="Volontariato", quantita=4.0,
                                        valore_unitario=20.0)])
    grids[S.COFINANZIAMENTO][2] = [c.header for c in old]
    c = parse_cartella(grids, cfg)
    [v] = c.cofinanziamento
    assert not c.cofin_con_data and v.data is None and v.errori == [] and v.quantita == Decimal("4.0")
