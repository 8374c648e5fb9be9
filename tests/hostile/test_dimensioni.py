"""Issue 13 case 3 without LibreOffice: the declared dimension is not trusted, content is."""

from __future__ import annotations

import pytest

from addin.errors import ErroreInput
from addin.workbook.reader import leggi_cartella
from hostile.build import save_workbook
from hostile.corpus import _sheet_xml_edit, dimensione_enorme
from tests.test_lock import COFIN, ROWS


@pytest.fixture
def base(cfg, tmp_path):
    return save_workbook(tmp_path / "base.xlsx", cfg, ROWS, COFIN)


def test_a_huge_declared_dimension_over_a_few_rows_is_read(cfg, base, tmp_path):
    c = leggi_cartella(dimensione_enorme(tmp_path, base), cfg)
    assert [s.riga for s in c.spese] == [4, 5, 6, 7]


@pytest.mark.parametrize("row", ['<row r="1048576" ht="12.8"></row>',
                                 '<row r="1048576"><c r="A1048576" s="3"/><c r="X1048576" s="3"></c></row>'])
def test_empty_or_styled_last_row_of_the_sheet_is_not_content(cfg, base, tmp_path, row):
    p = _sheet_xml_edit(base, tmp_path, "ultima.xlsx", "Spese",
                        lambda x: x.replace(b"</sheetData>", row.encode() + b"</sheetData>"))
    assert [s.riga for s in leggi_cartella(p, cfg).spese] == [4, 5, 6, 7]


def test_a_value_in_the_last_row_of_the_sheet_is_refused(cfg, base, tmp_path):
    row = '<row r="1048576"><c r="B1048576" s="3" t="inlineStr"><is><t>x</t></is></c></row>'
    p = _sheet_xml_edit(base, tmp_path, "valore.xlsx", "Spese",
                        lambda x: x.replace(b"</sheetData>", row.encode() + b"</sheetData>"))
    with pytest.raises(ErroreInput, match="oltre il massimo"):
        leggi_cartella(p, cfg)
