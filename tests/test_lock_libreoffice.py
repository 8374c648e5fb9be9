"""LibreOffice (UNO) reads the protection written by `blocca`: sheets protected, sealed rows' cells
locked, open and empty rows' cells unlocked, and the password really guards the sheet."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl.utils import get_column_letter

from addin.casi.blocca import blocca_file
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.template import build_template
from tests.libreoffice import esegui_uno, richiede_libreoffice
from tests.test_lock import COFIN, KEY, ROWS

pytestmark = [pytest.mark.libreoffice, richiede_libreoffice]

SCRIPT = '''
import json, sys
desktop = connetti()
doc = apri(desktop, sys.argv[1])
out = {}
for name in sys.argv[2].split("|"):
    sh = doc.Sheets.getByName(name)
    cells = {}
    for ref in sys.argv[3].split(","):
        c = sh.getCellRangeByName(ref)
        cells[ref] = bool(c.getPropertyValue("CellProtection").IsLocked)
    info = {"protected": bool(sh.isProtected()), "locked": cells}
    wrong = sys.argv[4]
    try:
        sh.unprotect(wrong)
        info["wrong_error"] = None
    except Exception as exc:
        info["wrong_error"] = type(exc).__name__
    info["wrong_unprotects"] = not sh.isProtected()
    if sys.argv[5]:
        sh.unprotect(sys.argv[5])
        info["right_unprotects"] = not sh.isProtected()
    out[name] = info
doc.close(True)
print("RESULT" + json.dumps(out))
'''


def _run(path, refs, wrong, right):
    out = esegui_uno(SCRIPT, str(path), f"{schema.SPESE}|{schema.COFINANZIAMENTO}", ",".join(refs), wrong, right)
    return json.loads(out.split("RESULT", 1)[1])


def _locked_file(cfg, tmp_path, password):
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, ROWS, COFIN, config=cfg)
    p = tmp_path / "P1.xlsx"
    wb.save(p)
    r = blocca_file(p, cfg, dt.date(2026, 6, 1), KEY, password=password)
    assert r.modificato
    return p


# what XProtectable.unprotect raises for a wrong password
WRONG_PASSWORD = "com.sun.star.lang.IllegalArgumentException"

# Spese columns: A Azione, L Importo rendicontato, then Decisione Comune (T) and Esito (V) wherever the schema puts them
_L = {c.key: get_column_letter(i + 1) for i, c in enumerate(schema.SPESE_COLS)}
T, V = _L["decisione_comune"], _L["esito"]
REFS = ["A4", "L4", "L5", f"{T}5", "A7", f"{V}4", "A6", "L6", "A8", "L8", "A1003", "A3"]


def test_libreoffice_sees_locked_sealed_rows_and_protected_sheets(cfg, tmp_path):
    assert [c.header for c in schema.SPESE_COLS][0] == "Azione"
    assert schema.SPESE_COLS[11].header == "Importo rendicontato"
    p = _locked_file(cfg, tmp_path, "Crema-2026!")
    res = _run(p, REFS, "sbagliata", "Crema-2026!")
    spese = res[schema.SPESE]
    assert spese["protected"] is True
    # sealed rows 4, 5, 7 (window 1): input cells locked; the output column stays editable
    assert spese["locked"] == {"A4": True, "L4": True, "L5": True, f"{T}5": True, "A7": True, f"{V}4": False,
                                    # open window row 6, empty rows 8 and 1003: editable; header locked
                                    "A6": False, "L6": False, "A8": False, "L8": False, "A1003": False,
                                    "A3": True}
    # the wrong password is refused the way LibreOffice refuses a wrong password (any other UNO error,
    # e.g. a failed call, is not a refusal) and the sheet stays protected; the right one unprotects it
    for sheet in (schema.SPESE, schema.COFINANZIAMENTO):
        info = res[sheet]
        assert info["protected"] is True, sheet
        assert info["wrong_error"] == WRONG_PASSWORD, (sheet, info["wrong_error"])
        assert info["wrong_unprotects"] is False and info["right_unprotects"] is True, sheet


def test_libreoffice_without_password(cfg, tmp_path):
    p = _locked_file(cfg, tmp_path, None)
    res = _run(p, ["A4", "A6"], "qualsiasi", "")
    assert res[schema.SPESE]["protected"] is True
    assert res[schema.SPESE]["locked"] == {"A4": True, "A6": False}
