"""Cell locking and sheet protection with openpyxl (used by `rendiconta blocca`).

Excel (and LibreOffice) only enforce a cell's "locked" flag while its sheet is protected: every cell
is locked by default, so the data area is explicitly unlocked except the rows being frozen.
The protection password, if any, is given by the caller (configuration or prompt), never here.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Protection
from openpyxl.utils import range_boundaries
from openpyxl.utils.protection import hash_password
from openpyxl.worksheet.worksheet import Worksheet

from addin.errors import ErroreInput
from addin.workbook import schema

HEADER_SCAN_ROWS = schema.HEADER_SCAN_ROWS


def trova_intestazione(ws: Worksheet, cols: tuple[schema.Col, ...]) -> tuple[int, dict[str, int]]:
    """(header row number, column key -> column number) by scanning the first rows for the headers."""
    row, found = schema.locate_header(ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True), cols)
    best_row, best = row + 1, {k: i + 1 for k, i in found.items()}
    if len(best) < 2:
        raise ErroreInput(f"intestazione della tabella non trovata nelle prime {HEADER_SCAN_ROWS} righe.",
                          foglio=ws.title)
    return best_row, best


def ultima_riga_con_valori(ws: Worksheet) -> int:
    """The last row holding a value. Not ws.max_row: LibreOffice writes an empty row 1048576 after a row
    deletion, and other producers style hundreds of thousands of empty rows."""
    return max((r for (r, _), c in ws._cells.items() if c.value is not None and c.value != ""), default=0)


MARGINE_RIGHE = 5000   # empty table rows below the last value that `blocca` unlocks for new entries


def ultima_riga_dati(ws: Worksheet, header_row: int) -> int:
    """The last row of the data area: the end of the sheet's Excel table (at most MARGINE_RIGHE rows below
    the last value: a table stretched to a million rows must not cost a million cells), or the last row
    with a value."""
    filled = max(ultima_riga_con_valori(ws), header_row + 1)
    last = filled
    for t in ws.tables.values():
        _, min_row, _, max_row = range_boundaries(t.ref)
        if min_row <= header_row <= max_row:
            last = max(last, min(max_row, filled + MARGINE_RIGHE))
    return last


def imposta_blocchi(ws: Worksheet, cols: tuple[schema.Col, ...], righe_bloccate: Iterable[int],
                    chiavi_bloccate: Iterable[str]) -> int:
    """Lock the cells of `chiavi_bloccate` columns on `righe_bloccate` rows; unlock every other cell of
    the data area (input and output columns). Returns how many cells changed."""
    header_row, mapping = trova_intestazione(ws, cols)
    rows = set(righe_bloccate)
    keys = set(chiavi_bloccate)
    kinds = {c.key: c.kind for c in cols}
    last = max([ultima_riga_dati(ws, header_row), *rows]) if rows else ultima_riga_dati(ws, header_row)
    changed = 0
    for key, col in mapping.items():
        if kinds[key] == "formula":
            continue  # formulas stay as the template made them
        for r in range(header_row + 1, last + 1):
            want = r in rows and key in keys
            cell = ws.cell(row=r, column=col)
            if bool(cell.protection.locked) != want:
                cell.protection = Protection(locked=want, hidden=cell.protection.hidden)
                changed += 1
    return changed


# What users may still do on a protected `Spese`/`Cofinanziamento` sheet: the one definition used by
# the CLI (openpyxl, below), the add-in (Office.js WorksheetProtectionOptions, sent by
# addin.xlbridge to the task pane's proteggiRighe) and any other front end. Keys are Office.js names;
# True = allowed. Selecting cells is always allowed (Excel's default).
OPZIONI_PROTEZIONE: dict[str, bool] = {
    "allowFormatColumns": True,    # resize columns
    "allowAutoFilter": True,       # filter the table
    "allowFormatCells": False,
    "allowFormatRows": False,
    "allowInsertColumns": False,
    "allowInsertRows": False,
    "allowInsertHyperlinks": False,
    "allowDeleteColumns": False,
    "allowDeleteRows": False,
    "allowSort": False,            # sorting would move sealed rows
    "allowEditObjects": False,
    "allowEditScenarios": False,
    "allowPivotTables": False,
}
# Office.js option -> openpyxl SheetProtection attribute (where True means "protected": not allowed)
_OPENPYXL = {"allowFormatColumns": "formatColumns", "allowAutoFilter": "autoFilter", "allowFormatCells": "formatCells",
             "allowFormatRows": "formatRows", "allowInsertColumns": "insertColumns", "allowInsertRows": "insertRows",
             "allowInsertHyperlinks": "insertHyperlinks", "allowDeleteColumns": "deleteColumns",
             "allowDeleteRows": "deleteRows", "allowSort": "sort", "allowEditObjects": "objects",
             "allowEditScenarios": "scenarios", "allowPivotTables": "pivotTables"}


def proteggi_foglio(ws: Worksheet, password: str | None = None) -> bool:
    """Protect the sheet with OPZIONI_PROTEZIONE. An already protected sheet is left as it is unless a
    different password is requested. True if changed."""
    p = ws.protection
    # the legacy hash is hexadecimal: Excel writes it in upper case, LibreOffice in lower case
    if p.sheet and (password is None or (p.password or "").upper() == hash_password(password).upper()):
        return False
    p.sheet = True
    p.selectLockedCells = False
    p.selectUnlockedCells = False
    for option, attr in _OPENPYXL.items():
        setattr(p, attr, not OPZIONI_PROTEZIONE[option])
    if password:
        p.password = password
    return True


SOGLIA_CODA_VUOTA = 2 * 1024 * 1024   # bytes of empty rows after the last value that are worth trimming
_CONTENT_MARKERS = (b"<v>", b"<v ", b"<f>", b"<f ", b"<is>")   # inside sheetData nothing else starts so
_SHEETDATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_STEP = 4 * 1024 * 1024


def _coda_vuota(zf: zipfile.ZipFile, name: str) -> tuple[int, int] | None:
    """(end of the last row holding something, start of `</sheetData>`) in the worksheet `name`, when the
    empty (styled) rows between them are worth trimming; None otherwise. Streams the part."""
    pos = 0
    last_content = -1        # absolute offset of the last value/formula/inline string
    row_end = -1             # absolute end of the row holding it
    sheet_end = -1
    carry = b""
    with zf.open(name) as fh:
        while chunk := fh.read(_STEP):
            data = carry + chunk
            base = pos - len(carry)
            end_m = _SHEETDATA_END.search(data)
            limit = end_m.start() if end_m else len(data)
            # perf: the last value, formula or inline string of the step, searched from the end
            found = max(data.rfind(marker, 0, limit) for marker in _CONTENT_MARKERS)
            if found >= 0 and base + found > last_content:
                last_content, row_end = base + found, -1
            if row_end < 0 and last_content >= 0:
                m = _ROW_END.search(data, max(last_content - base, 0))
                if m:
                    row_end = base + m.end()
            if end_m:
                sheet_end = base + end_m.start()
                break
            pos += len(chunk)
            carry = data[-32:]
    if sheet_end < 0 or row_end < 0 or sheet_end - row_end < SOGLIA_CODA_VUOTA:
        return None
    return row_end, sheet_end


def _senza_code_vuote(path: Path, sorgente=None) -> Path | None:
    """A temporary copy of the workbook without the empty styled rows after the last value of each
    worksheet (hundreds of thousands of them cost openpyxl gigabytes); None when there are none to trim.
    `sorgente`: the file's content already read (a binary file object), else the file at `path`."""
    with zipfile.ZipFile(sorgente if sorgente is not None else path) as zf:
        cuts = {i.filename: c for i in zf.infolist()
                if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
                and (c := _coda_vuota(zf, i.filename)) is not None}
        if not cuts:
            return None
        fd, name = tempfile.mkstemp(prefix=".rendiconta-", suffix=path.suffix, dir=tempfile.gettempdir())
        os.close(fd)
        with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as out:
            for info in zf.infolist():
                if info.filename not in cuts:
                    out.writestr(info, zf.read(info))
                    continue
                keep, resume = cuts[info.filename]
                with zf.open(info) as src, out.open(info.filename, "w") as dst:
                    pos = 0
                    while chunk := src.read(_STEP):
                        a, b = pos, pos + len(chunk)
                        if a < keep:
                            dst.write(chunk[:min(keep, b) - a])
                        if b > resume:
                            dst.write(chunk[max(resume, a) - a:])
                        pos = b
    return Path(name)


def apri_cartella(path: str | Path, dati: bytes | None = None) -> Workbook:
    """Open a workbook for editing with openpyxl, keeping macros of .xlsm files and external links. Empty
    styled rows after the last value of a sheet are left out when they are many (the saved file is then
    without them). `dati`: the file's bytes already read (reader.leggi_byte), so that what is edited is
    what was checked, whatever happened to the file since; else the file at `path` is read."""
    path = Path(path)
    trimmed = None
    try:
        trimmed = _senza_code_vuote(path, io.BytesIO(dati) if dati is not None else None)
        source = trimmed or (io.BytesIO(dati) if dati is not None else path)
        wb = load_workbook(source, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    except Exception as exc:  # noqa: BLE001 - any openpyxl failure is an unreadable input
        from addin.workbook.reader import descrivi_errore_lettura

        # openpyxl's own text is English: the meaning is said in Italian (as for python-calamine)
        raise ErroreInput(f"impossibile aprire il file per il blocco: {descrivi_errore_lettura(exc)}. Aprire il "
                          "file in Excel o LibreOffice e salvarlo di nuovo come .xlsx.", file=path.name) from None
    finally:
        if trimmed is not None:
            trimmed.unlink(missing_ok=True)
    for name in (schema.SPESE, schema.COFINANZIAMENTO, schema.META):
        if name not in wb.sheetnames:
            raise ErroreInput(f"manca il foglio «{name}».", file=path.name)
    return wb


def aggiungi_meta(wb: Workbook, voci: Sequence[tuple[str, str]]) -> None:
    """Append key/value rows (as text) after the last used row of the hidden `_meta` sheet."""
    ws = wb[schema.META]
    last = 0
    for r in range(1, ws.max_row + 1):
        if ws.cell(row=r, column=1).value not in (None, ""):
            last = r
    for i, (k, v) in enumerate(voci, start=last + 1):
        ws.cell(row=i, column=1).value = k
        c = ws.cell(row=i, column=2)
        c.value = v
        c.data_type = "s"
        ws.cell(row=i, column=1).number_format = c.number_format = "@"


def rimuovi_meta(wb: Workbook, prefissi: Sequence[str]) -> int:
    """Delete the `_meta` rows whose key starts with one of `prefissi`; the number of rows deleted."""
    ws = wb[schema.META]
    rows = [r for r in range(1, ws.max_row + 1)
            if str(ws.cell(row=r, column=1).value or "").strip().startswith(tuple(prefissi))]
    for r in reversed(rows):
        ws.delete_rows(r)
    return len(rows)


def applica_blocco(wb: Workbook, righe_spese: Iterable[int], chiavi_spese: Iterable[str],
                   righe_cofin: Iterable[int], chiavi_cofin: Iterable[str], password: str | None) -> bool:
    """Lock the sealed rows of `Spese` and `Cofinanziamento`, unlock the rest, protect both sheets.
    True if anything changed."""
    changed = imposta_blocchi(wb[schema.SPESE], schema.SPESE_COLS, righe_spese, chiavi_spese) > 0
    changed |= imposta_blocchi(wb[schema.COFINANZIAMENTO], schema.COFIN_COLS, righe_cofin, chiavi_cofin) > 0
    changed |= proteggi_foglio(wb[schema.SPESE], password)
    changed |= proteggi_foglio(wb[schema.COFINANZIAMENTO], password)
    # `_meta` holds the seals' copies: very hidden (not listed by Excel's "Unhide") and protected. Not a
    # change on its own: LibreOffice has no "very hidden" and saves it as hidden, which must not make
    # every later `blocca` rewrite the file
    meta = wb[schema.META]
    meta.sheet_state = "veryHidden"
    changed |= proteggi_foglio(meta, password)
    return changed


# a formula that only computes constants ("=1000*0,4", '="12,50"'): kept in the written file with its value
_INNOCUA = re.compile(r'^=[\d\s.,+\-*/()%^]+$|^="[^"]*"$')


@dataclass(frozen=True)
class FormulaDaRipristinare:
    foglio: str
    cella: str
    formula: str          # without "="
    valore: object


def formule_in_valori(ws: Worksheet, cols: tuple[schema.Col, ...], griglia: list[list[object]],
                      ripristinare: list[FormulaDaRipristinare] | None = None) -> list[str]:
    """Replace the formulas typed in input cells (`=1000*0,4` in an amount) with the value they computed,
    as read from the file (`griglia`, the calamine grid). openpyxl keeps a formula but drops its computed
    value, after which the cell would read as empty. A harmless formula (constants only) goes to
    `ripristinare`, to be written back with its value once the file is saved (ripristina_formule): nothing
    changes for the user. Formulas without a computed value or giving an error are left as they are (the
    reader reports them). Returns an Italian note per cell whose formula is replaced for good."""
    header_row, mapping = trova_intestazione(ws, cols)
    inputs = {j for k, j in mapping.items() if k in {c.key for c in schema.input_cols(cols)}}
    notes = []
    for (r, j), cell in list(ws._cells.items()):
        if r <= header_row or j not in inputs or cell.data_type != "f":
            continue
        v = griglia[r - 1][j - 1] if r - 1 < len(griglia) and j - 1 < len(griglia[r - 1]) else None
        if not isinstance(v, (int, float, str, dt.date)) or v == "" or not isinstance(cell.value, str):
            continue    # no computed value, or an error: left as it is (the reader reports the cell)
        if (ripristinare is not None and _INNOCUA.match(cell.value) and isinstance(v, (int, float, str))
                and not isinstance(v, bool)):
            ripristinare.append(FormulaDaRipristinare(ws.title, cell.coordinate, cell.value[1:], v))
        else:
            shown = int(v) if isinstance(v, float) and v.is_integer() else v
            notes.append(f"Foglio «{ws.title}», cella {cell.coordinate}: la formula «{cell.value}» è stata "
                         f"sostituita dal suo valore ({shown}).")
        cell.value = v
    return notes


def ripristina_formule(path: Path, formule: Sequence[FormulaDaRipristinare]) -> None:
    """Write the harmless formulas back, with their value, into the cells of the saved file `path`
    (openpyxl cannot write a formula together with its computed value)."""
    from xml.sax.saxutils import escape

    from addin.workbook.reader import parti_fogli

    if not formule:
        return
    with zipfile.ZipFile(path) as zf:
        entries = {name: entry for entry, name in parti_fogli(zf).items()}
        by_entry: dict[str, dict[str, FormulaDaRipristinare]] = {}
        for f in formule:
            by_entry.setdefault(entries[f.foglio], {})[f.cella] = f
        items = [(info, zf.read(info)) for info in zf.infolist()]

    def cell(m: re.Match, todo: dict[str, FormulaDaRipristinare]) -> bytes:
        f = todo.get(m.group(1).decode())
        if f is None:
            return m.group(0)
        style = re.search(rb'\ss="\d+"', m.group(2) or b"")
        kind = b' t="str"' if isinstance(f.valore, str) else b""
        value = f.valore if isinstance(f.valore, str) else repr(f.valore) if isinstance(f.valore, float) \
            else str(f.valore)
        return (b'<c r="' + m.group(1) + b'"' + (style.group(0) if style else b"") + kind + b"><f>"
                + escape(f.formula).encode() + b"</f><v>" + escape(value).encode() + b"</v></c>")

    tmp = path.with_name(path.name + ".f")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            todo = by_entry.get(info.filename)
            if todo:
                data = re.sub(rb'<c r="([A-Z]+\d+)"([^>]*?)(?:/>|>.*?</c>)', lambda m: cell(m, todo), data,
                              flags=re.S)
            out.writestr(info, data)
    os.replace(tmp, path)
