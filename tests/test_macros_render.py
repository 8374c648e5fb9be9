"""Valida's actions applied to the real programme workbook and rendered by LibreOffice: the outcome
cells land in the Esito/Importo ammesso/Motivi columns of the right rows, and the template's
conditional format highlights the rows that are not admitted.
With RENDICONTA_AGGIORNA_IMMAGINI=1 the picture is saved as docs/img/valida.png (README)."""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
from pathlib import Path

import xlwings as xw
from openpyxl.styles import PatternFill

from addin import xlbridge
from addin.demo_data import cartella_compilata, genera_demo
from addin.rules.models import Esito
from addin.workbook import schema
from libreoffice import (esporta_pdf, estrai_testo_pdf, pagina_rgb, pagine_png, parole_pdf, richiede_libreoffice,
                         richiede_poppler)
from xlwings_book import book_json

ROOT = Path(__file__).resolve().parents[1]
OGGI = dt.date(2026, 10, 15)


def applica(wb, book_before: dict, acts: list[dict]) -> None:
    """Apply the value, number-format and colour actions of a script to the workbook it ran on."""
    names = [s["name"] for s in book_before["sheets"]]
    for a in acts:
        if a["func"] not in ("setValues", "setNumberFormat", "setRangeColors"):
            continue
        ws = wb[names[a["sheet_position"]]]
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        if a["func"] == "setValues":
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    ws.cell(r0 + i, c0 + j).value = None if v == "" else v
        elif a["func"] == "setNumberFormat":
            for i in range(a["row_count"]):
                for j in range(a["column_count"]):
                    ws.cell(r0 + i, c0 + j).number_format = a["args"][0]
        else:
            for i, row in enumerate(a["args"][0]):
                for j, colour in enumerate(row):
                    if colour not in (None, "keep"):
                        ws.cell(r0 + i, c0 + j).fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())


BAD = bytes((0xF8, 0xCB, 0xAD))   # FILL_BAD of the template's conditional format (F8CBAD)


def _righe_evidenziate(pdf: Path, dpi: int = 110) -> list[tuple[str, bool]]:
    """For each row of the first page, top to bottom: the first word of its Esito cell and whether at
    least a third of the pixel row through it has the highlighting colour."""
    words = parole_pdf(pdf)
    (esito_x,) = [w[1] for w in words if w[0] == "Esito"]
    width, _, px = pagina_rgb(pdf, dpi)
    out = []
    for text, x0, y0, _, y1 in sorted((w for w in words if abs(w[1] - esito_x) < 1 and w[0] != "Esito"),
                                      key=lambda w: w[2]):
        y = int((y0 + y1) / 2 * dpi / 72)
        line = px[y * width * 3:(y + 1) * width * 3]
        bad = sum(1 for i in range(0, len(line), 3) if line[i:i + 3] == BAD)
        out.append((text, bad > width / 3))
    return out


@richiede_libreoffice
@richiede_poppler
def test_valida_rendered(cfg, tmp_path):
    d = genera_demo(cfg, 1, 2026)
    full = xw.Book(json=book_json(cartella_compilata(cfg, 1, 2026, d.spese, d.cofinanziamento, d.budget)))
    r = xlbridge.valida(full, oggi=OGGI, config=cfg)
    # a short sheet with three rows of each outcome
    picked = []
    for kind in (Esito.AMMESSA, Esito.DA_INTEGRARE, Esito.NON_AMMESSA, Esito.ESCLUSA):
        picked += [s for s, e in zip(d.spese, r.esiti) if e.esito is kind][:3]
    wb = cartella_compilata(cfg, 1, 2026, picked, d.cofinanziamento, d.budget)
    before = book_json(wb)
    book = xw.Book(json=copy.deepcopy(before))
    res = xlbridge.valida(book, oggi=OGGI, config=cfg)
    applica(wb, before, book.json()["actions"])

    ws = wb[schema.SPESE]
    cols = {c.key: i + 1 for i, c in enumerate(schema.SPESE_COLS)}
    labels = {Esito.AMMESSA: "Ammessa", Esito.DA_INTEGRARE: "Da integrare", Esito.NON_AMMESSA: "Non ammessa",
              Esito.ESCLUSA: "Esclusa"}
    template_fmt = ws.cell(4, cols["importo_ammesso"]).number_format
    for e in res.esiti:
        cell = ws.cell(e.riga, cols["esito"])
        assert cell.value == labels[e.esito]
        assert round(ws.cell(e.riga, cols["importo_ammesso"]).value, 2) == float(e.importo_ammesso)
        assert ws.cell(e.riga, cols["importo_ammesso"]).number_format == template_fmt   # untouched
    assert ws.cell(4 + len(picked), cols["esito"]).value is None

    # the picture: the Spese sheet only, the identifying and outcome columns
    for name in wb.sheetnames:
        if name != schema.SPESE:
            del wb[name]
    keep = {"azione", "partner", "categoria", "descrizione", "importo", "esito", "importo_ammesso", "motivi"}
    for c in schema.SPESE_COLS:
        letter = ws.cell(1, cols[c.key]).column_letter
        ws.column_dimensions[letter].hidden = c.key not in keep
    ws.column_dimensions[ws.cell(1, cols["motivi"]).column_letter].width = 70
    ws.print_area = f"A1:{ws.cell(1, len(schema.SPESE_COLS)).column_letter}{3 + len(picked)}"   # the whole table
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    src = tmp_path / "valida.xlsx"
    wb.save(src)
    pdf = esporta_pdf(src, tmp_path / "pdf", locale="it-IT")   # the picture in the docs: Italian formats
    text = estrai_testo_pdf(pdf)
    for label in labels.values():
        assert label in text
    assert re.search(r"\d\.\d{3},\d{2} €", text) and not re.search(r"\d,\d{3}\.\d{2} €", text)
    # the highlighting, looked at in the rendered page: every row whose Esito is not "Ammessa" is filled
    # with the template's FILL_BAD colour across the row, the admitted rows are not
    assert _righe_evidenziate(pdf) == [("Ammessa", False)] * 3 + [("Da", True)] * 3 + [("Non", True)] * 3 + \
        [("Esclusa", True)] * 3
    (png,) = pagine_png(pdf, tmp_path / "png", dpi=110, prima=1, ultima=1)
    assert png.stat().st_size > 20_000
    if os.environ.get("RENDICONTA_AGGIORNA_IMMAGINI"):
        shutil.copy(png, ROOT / "docs" / "img" / "valida.png")
