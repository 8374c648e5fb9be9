"""Fast reader (python-calamine) of programme workbooks built from the templates.

INTERFACE CONTRACT (used by check, lock, consolidate and the add-in):
    leggi_cartella(path, config) -> CartellaRendiconto, raising ErroreInput (Italian, with
    sheet/row/column) when the file cannot be read as a reporting workbook. Cell-level problems
    of a single row do not raise: they become `Spesa.errori` reasons of that row.

    parse_cartella(sheets, config, path=None) -> CartellaRendiconto does the same on raw cell grids
    (sheet name -> rows of values as calamine returns them; also ISO date strings and Excel serial
    numbers, as the xlwings remote interpreter delivers them).

Safety: before python-calamine touches a file, `controlla_file` checks it is a real xlsx zip (not
an .xls, a CSV or an empty file), not an encrypted (password-protected) OLE container, not a
corrupt zip, not a decompression bomb (entry count, declared and actual uncompressed size,
compression ratio), and that no worksheet has a cell with content beyond the last allowed row or column
(the declared `<dimension>` is not trusted: LibreOffice declares a million rows after a row deletion). Macros (vbaProject.bin) are
never executed: the data are read and a warning is added.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import operator
import os
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from math import isfinite
from pathlib import Path

from addin.config.models import Config
from addin.errors import ErroreInput
from addin.rules.budget import VoceBudget
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.money import to_decimal
from addin.rules.models import Motivo, Spesa, VoceCofinanziamento
from addin.workbook import schema as S


@dataclass
class CartellaRendiconto:
    path: str | None
    programma: int
    anno: int
    versione: str
    spese: list[Spesa]
    cofinanziamento: list[VoceCofinanziamento]
    budget: list[VoceBudget]
    meta: dict[str, str] = field(default_factory=dict)   # raw key/value pairs of the hidden _meta sheet
    avvisi: list[str] = field(default_factory=list)      # non-blocking warnings (Italian)
    # the `Cofinanziamento` sheet has the optional column «Data» (templates from 29/11/2026): its
    # non-monetary and volunteer rows must then be dated, and are sealed with their window
    cofin_con_data: bool = False


# --- limits against hostile files -----------------------------------------------------------
MAX_FILE_BYTES = 200 * 1024 * 1024          # compressed file size
MAX_ENTRIES = 2_000                         # zip entries
MAX_TOTAL_UNCOMPRESSED = 600 * 1024 * 1024  # sum of uncompressed sizes
MAX_RATIO = 200                             # per entry, for entries above RATIO_MIN_SIZE
RATIO_MIN_SIZE = 2 * 1024 * 1024
MAX_ROWS = 250_000                          # rows of a worksheet
MAX_COLS = 200                              # columns of a worksheet (the templates use < 30)
HEADER_SCAN_ROWS = S.HEADER_SCAN_ROWS
MAX_STILI = 100_000                         # cell format entries (<xf>) in styles.xml; Excel allows 64,000
_CHUNK = 4 * 1024 * 1024                    # decompression step of the parts that are only scanned

_XF_RE = re.compile(rb"<(?:\w+:)?xf[\s>/]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_WIDE_COL_QUICK = re.compile(rb'r="[A-Z][A-Z]')     # any cell reference from column AA on (fast scan)
_WIDE_COL_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]{2,3})(\d+)"')
# a cell of a row numbered from 100,000 on that holds something: not self-closing, not closed at once
_FAR_QUICK = re.compile(rb'r="[A-Z]{1,3}(?:2[5-9]\d{4}|[3-9]\d{5}|\d{7})')   # rows from 250,000 (MAX_ROWS)
_FAR_CELL_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?r="[A-Z]{1,3}(\d{6,})"[^>]*?(?<!/)>(?!\s*</(?:\w+:)?c>)')


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A)."""
    index += 1
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _no_dtd(head: bytes, fname: str) -> None:
    """XML parts of an xlsx never carry a DTD: one declaring entities is a hostile file (entity expansion)."""
    if b"<!DOCTYPE" in head[:4096] or b"<!ENTITY" in head[:4096]:
        raise ErroreInput("il file contiene dichiarazioni XML (DTD/entità) che un file Excel non ha: "
                          "possibile file ostile, non viene aperto.", file=fname)


def _too_far(row: bytes, fname: str) -> None:
    raise ErroreInput(f"un foglio arriva alla riga {int(row):,}".replace(",", ".")
                      + f", oltre il massimo di {MAX_ROWS:,} righe: non viene aperto.".replace(",", "."),
                      file=fname)


class CellaSpeciale:
    """A cell whose value calamine cannot give: an error (`#DIV/0!`, `#N/A`: calamine reads them as empty)
    or a formula never computed (saved by a program that does not calculate). The reader reports it as
    DATO_NON_VALIDO naming the cell and what it holds, never as an empty cell."""

    __slots__ = ("errore", "formula")

    def __init__(self, errore: str | None = None, formula: str | None = None) -> None:
        self.errore, self.formula = errore, formula

    def descrizione(self) -> str:
        if self.errore is not None:
            return (f"contiene l'errore {self.errore}: correggere la formula o scrivere il valore")
        f = self.formula or ""
        f = f if len(f) <= 40 else f[:37] + "..."
        return (f"contiene una formula senza valore calcolato («={f}»): aprire il file in Excel o LibreOffice "
                "e salvarlo (il valore viene calcolato), oppure scrivere il valore")

    def __repr__(self) -> str:
        return f"CellaSpeciale({self.errore!r}, {self.formula!r})"


MAX_SPECIALI = 10_000       # special cells remembered per sheet (beyond, the sheet is hostile anyway)
_SPECIAL_QUICK = re.compile(rb'<(?:\w+:)?f[\s>/]|\st="e"')
_CELL_ATTRS_RE = re.compile(rb'<(?:\w+:)?c\s([^>]*?)(/?)>')
_REF_RE = re.compile(rb'(?:^|\s)r="([A-Z]{1,3})(\d+)"')
_V_RE = re.compile(rb'<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>')
_F_RE = re.compile(rb'<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>([^<]*)</(?:\w+:)?f>)')


def _special_cells(data: bytes, end: int, out: dict[tuple[int, int], CellaSpeciale]) -> None:
    """Error cells and formula cells without a value among the complete cells of data[:end]."""
    if data.find(b"<f", 0, end) < 0 and data.find(b't="e"', 0, end) < 0:   # perf: most sheets have neither
        return
    for m in _SPECIAL_QUICK.finditer(data, 0, end):
        start = data.rfind(b"<c ", 0, m.start() + 1)
        if start < 0:
            continue
        tag = _CELL_ATTRS_RE.match(data, start)
        if tag is None or tag.group(2) == b"/":
            continue
        close = data.find(b"</c>", tag.end())
        if close < 0 or close >= end + 4096:
            continue
        ref = _REF_RE.search(tag.group(1))
        if ref is None:
            continue
        body = data[tag.end():close]
        v = _V_RE.search(body)
        if b't="e"' in tag.group(1):
            cell = CellaSpeciale(errore=html.unescape(v.group(1).decode("utf-8", "replace")) if v else "#ERRORE")
        elif v is None or not v.group(1):
            f = _F_RE.search(body)
            if f is None:
                continue
            cell = CellaSpeciale(formula=html.unescape((f.group(1) or b"").decode("utf-8", "replace")))
        else:
            continue
        if len(out) < MAX_SPECIALI:
            out[(int(ref.group(2)) - 1, _col_number(ref.group(1)) - 1)] = cell


def _check_sheet_xml(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int],
                     fname: str, speciali: dict[tuple[int, int], CellaSpeciale] | None = None) -> None:
    """Decompress one worksheet (bounded, in large steps, keeping only what the checks need): no DTD,
    no cell beyond the last allowed column, no cell with content beyond the last allowed row. The
    declared dimension is not trusted either way: LibreOffice declares `A1:X1048576` after a row is
    deleted (with an empty `<row r="1048576">`), and a hostile file can declare anything; what
    counts is the cells that hold something. With `speciali`, the error cells and the formulas
    without a computed value are collected there ((row, column) 0-based -> CellaSpeciale). perf: large
    steps, because a reader thread waits for the interpreter lock at every step while the main thread
    parses; memory: only a step, the head and the last cell."""
    head: bytes | None = b""   # the first 4 KB, until checked
    carry = b""          # the last tag of the previous step (it may be unfinished, or its content follow)
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ErroreInput("il file si espande a dimensioni eccessive una volta decompresso "
                                  "(possibile «zip bomb»): non viene aperto.", file=fname)
            if head is not None:
                head += chunk[:4096 - len(head)]
                if len(head) >= 4096:
                    _no_dtd(head, fname)
                    head = None
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"<")
            for m in (_WIDE_COL_RE.finditer(data) if _WIDE_COL_QUICK.search(data) else ()):
                if _col_number(m.group(1)) > MAX_COLS:
                    raise ErroreInput(f"la cella {m.group(1).decode()}{m.group(2).decode()} è oltre la colonna "
                                      f"massima ammessa ({col_letter(MAX_COLS - 1)}): il file non è un "
                                      "rendiconto valido.", file=fname)
            for m in (_FAR_CELL_RE.finditer(data) if _FAR_QUICK.search(data) else ()):
                # a tag at the very end is judged with what follows it, in the next step
                if m.start() < cut and int(m.group(1)) > MAX_ROWS:
                    _too_far(m.group(1), fname)
            if speciali is not None:
                # the last cell may be unfinished: it is carried and judged whole in the next step
                cell_cut = data.rfind(b"<c ")
                if 0 <= cell_cut < cut and len(data) - cell_cut <= 65536:
                    cut = cell_cut
                _special_cells(data, cut if cut >= 0 else len(data), speciali)
            carry = data[cut:] if 0 <= cut and len(data) - cut <= 65536 else b""
    if head is not None:
        _no_dtd(head, fname)
    if speciali is not None and carry:
        _special_cells(carry, len(carry), speciali)
    for m in _FAR_CELL_RE.finditer(carry + b"<"):
        if int(m.group(1)) > MAX_ROWS:
            _too_far(m.group(1), fname)


def leggi_byte(path: str | Path) -> bytes:
    """The file's bytes, read once: what is checked, hashed and parsed is the same content, whatever
    happens to the file meanwhile. ErroreInput (Italian) when it is missing, not a regular file, empty,
    too large or unreadable."""
    from addin.output import errore_os

    p = Path(path)
    fname = p.name
    try:
        if not p.exists():
            raise ErroreInput("il file non esiste.", file=str(p))
        if not p.is_file():
            raise ErroreInput("il percorso indicato non è un file.", file=str(p))
        with p.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise ErroreInput(f"il file è troppo grande (oltre {MAX_FILE_BYTES // (1024 * 1024)} MB).",
                                  file=fname)
            data = fh.read(size + 1)               # one byte more: a file grown meanwhile is seen
            if len(data) > size:
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))    # never more than the limit in memory
    except OSError as exc:
        raise ErroreInput(f"impossibile leggere il file: {errore_os(exc)}.", file=fname) from None
    if not data:
        raise ErroreInput("il file è vuoto (0 byte).", file=fname)
    if len(data) > MAX_FILE_BYTES:
        raise ErroreInput(f"il file è troppo grande (oltre {MAX_FILE_BYTES // (1024 * 1024)} MB).", file=fname)
    return data


def descrivi_errore_lettura(exc: BaseException) -> str:
    """What a parser's failure (python-calamine, zipfile, XML) means, in Italian: the parsers' own texts
    and class names are English and are never shown."""
    import python_calamine as pc

    if isinstance(exc, pc.PasswordError):
        return "il file è protetto da password"
    if isinstance(exc, pc.WorksheetNotFound | KeyError):
        return "una parte interna del file (un foglio o un elenco) manca"
    if isinstance(exc, pc.ZipError | zipfile.BadZipFile | zlib.error | EOFError):
        return "una parte compressa del file è danneggiata o troncata"
    if isinstance(exc, pc.XmlError | UnicodeError) or type(exc).__name__ in ("ParseError", "XMLSyntaxError"):
        return "il contenuto XML interno non è valido (file danneggiato o troncato)"
    return "la struttura interna del file non è quella di una cartella di lavoro .xlsx"


_RISALVA = " Aprire il file in Excel o LibreOffice e salvarlo di nuovo come .xlsx, oppure chiederne un nuovo invio."


def controlla_file(path: str | Path) -> list[str]:
    """Check a file is a safe xlsx before any parser opens it; returns warnings (Italian)."""
    return esamina_file(path)[0]


def parti_fogli(zf: zipfile.ZipFile) -> dict[str, str]:
    """zip entry of each worksheet -> sheet name (from workbook.xml and its relationships)."""
    try:
        wbx = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, RuntimeError):
        return {}
    targets = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\s[^>]*>", rels):
        i, t = re.search(r'\bId="([^"]+)"', tag), re.search(r'\bTarget="([^"]+)"', tag)
        if i and t:
            target = t.group(1).lstrip("/")
            targets[i.group(1)] = target if target.startswith("xl/") else "xl/" + target
    out = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\s[^>]*>", wbx):
        n, r = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]+)"', tag)
        if n and r and r.group(1) in targets:
            out[targets[r.group(1)]] = html.unescape(n.group(1))
    return out


def esamina_file(path: str | Path, fogli: Sequence[str] = (), *, dati: bytes | None = None
                 ) -> tuple[list[str], dict[str, dict[tuple[int, int], CellaSpeciale]]]:
    """controlla_file, also collecting the error cells and uncomputed formulas of the sheets `fogli`.
    `dati`: the file's bytes when already read (leggi_byte); the checks then judge exactly those."""
    fname = Path(path).name
    content = dati if dati is not None else leggi_byte(path)
    head = content[:8]
    if head == _OLE_MAGIC:
        if _ENCRYPTED_MARK in content:
            raise ErroreInput("il file è protetto da password (cifrato): salvarlo senza password "
                              "di apertura e riprovare.", file=fname)
        raise ErroreInput("il file è nel vecchio formato Excel 97-2003 (.xls) o non è un file Excel: "
                          "salvarlo come cartella di lavoro Excel (.xlsx) partendo dal modello.", file=fname)
    if not head.startswith(b"PK"):
        text_like = all(b in b"\t\r\n" or 32 <= b < 127 or b >= 128 for b in head)
        what = ("sembra un file di testo (CSV?) rinominato" if text_like
                else "non è una cartella di lavoro Excel (.xlsx)")
        raise ErroreInput(f"il file {what}: usare il modello .xlsx del programma.", file=fname)
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ErroreInput("il file è danneggiato (archivio zip non leggibile): non è una cartella di "
                          "lavoro .xlsx valida.", file=fname) from None
    except Exception:  # noqa: BLE001 - any zip parsing failure is a corrupt file
        raise ErroreInput("il file è danneggiato e non può essere aperto (archivio zip non valido)." + _RISALVA,
                          file=fname) from None
    avvisi: list[str] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ErroreInput(f"l'archivio contiene troppi elementi ({len(infos)}): possibile «zip bomb», "
                              "il file non viene aperto.", file=fname)
        total = 0
        for info in infos:
            total += info.file_size
            if info.flag_bits & 0x1:
                raise ErroreInput("il file contiene parti cifrate: salvarlo senza password e riprovare.",
                                  file=fname)
            if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ErroreInput(f"l'elemento «{info.filename}» ha un rapporto di compressione anomalo "
                                  f"({info.file_size // max(info.compress_size, 1)}:1): possibile «zip bomb», "
                                  "il file non viene aperto.", file=fname)
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise ErroreInput(f"il file decompresso occuperebbe {total // (1024 * 1024)} MB: possibile "
                              "«zip bomb», il file non viene aperto.", file=fname)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            if "word/document.xml" in names:
                raise ErroreInput("il file è un documento Word, non una cartella di lavoro Excel.", file=fname)
            if "content.xml" in names:
                raise ErroreInput("il file è in formato OpenDocument (.ods): salvarlo come .xlsx.", file=fname)
            raise ErroreInput("l'archivio non contiene una cartella di lavoro Excel (.xlsx).", file=fname)
        if "xl/workbook.bin" in names:
            raise ErroreInput("il file è in formato Excel binario (.xlsb): salvarlo come .xlsx.", file=fname)
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            avvisi.append("Il file contiene macro (vbaProject.bin): le macro non sono state eseguite, "
                          "sono stati letti solo i dati.")
        # actual decompression of the worksheets and shared strings, bounded (declared sizes can lie)
        budget = [MAX_TOTAL_UNCOMPRESSED]
        speciali: dict[str, dict[tuple[int, int], CellaSpeciale]] = {}
        wanted = {e: n for e, n in parti_fogli(zf).items() if n in fogli} if fogli else {}
        try:
            for info in infos:
                n = info.filename
                if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                    found = speciali.setdefault(wanted[n], {}) if n in wanted else None
                    _check_sheet_xml(n, zf, info, budget, fname, found)
                elif n in ("xl/sharedStrings.xml", "xl/workbook.xml", "xl/styles.xml"):
                    with zf.open(info) as fh:
                        first = True
                        styles = 0
                        carry = b""
                        while chunk := fh.read(_CHUNK):
                            if first:
                                _no_dtd(chunk, fname)
                                first = False
                            budget[0] -= len(chunk)
                            if budget[0] < 0:
                                raise ErroreInput("il file si espande a dimensioni eccessive una volta "
                                                  "decompresso (possibile «zip bomb»): non viene aperto.",
                                                  file=fname)
                            if n == "xl/styles.xml":
                                data = carry + chunk
                                styles += len(_XF_RE.findall(data))
                                carry = data[-4:]
                                if styles > MAX_STILI:
                                    raise ErroreInput(
                                        f"il file contiene più di {MAX_STILI:,} formati di cella ".replace(",", ".")
                                        + "(Excel ne ammette al massimo 64.000): file corrotto o prodotto da un "
                                        "programma difettoso, non viene aperto. Copiare i dati in un modello "
                                        "nuovo (`rendiconta modello`).", file=fname)
        except ErroreInput:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError):
            raise ErroreInput("il file è danneggiato: una sua parte compressa non si decomprime." + _RISALVA,
                              file=fname) from None
    return avvisi, {k: v for k, v in speciali.items() if v}


# --- opening ---------------------------------------------------------------------------------
_SHEETS = (S.SPESE, S.COFINANZIAMENTO, S.BUDGET, S.META)


def leggi_griglie(path: str | Path, fogli: Sequence[str] = _SHEETS, *, dati: bytes | None = None,
                  primo: bool = False) -> tuple[dict[str, list[list[object]]], list[str]]:
    """Safely open an xlsx and return the raw grids (from A1) of the requested sheets that exist; with
    `primo`, the first sheet when none of them exists. The file is read once (`dati`, the bytes of
    leggi_byte, when the caller already has them): the checks and the parser see the same bytes."""
    import python_calamine as pc

    fname = Path(path).name
    data = dati if dati is not None else leggi_byte(path)
    avvisi, speciali = esamina_file(path, (S.SPESE, S.COFINANZIAMENTO, S.BUDGET), dati=data)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise ErroreInput("il file è protetto da password: salvarlo senza password e riprovare.",
                          file=fname) from None
    except Exception as exc:  # noqa: BLE001 - calamine raises several error types on bad files
        raise ErroreInput(f"il file non si apre come cartella di lavoro .xlsx: {descrivi_errore_lettura(exc)}."
                          + _RISALVA, file=fname) from None
    grids: dict[str, list[list[object]]] = {}
    try:
        names = list(wb.sheet_names)
        wanted = [n for n in fogli if n in names] or (names[:1] if primo else [])
        for name in wanted:
            try:
                grids[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                raise ErroreInput(f"il foglio non è leggibile: {descrivi_errore_lettura(exc)}." + _RISALVA,
                                  file=fname, foglio=name) from None
    finally:
        wb.close()
    for name, cells in speciali.items():
        grid = grids.get(name)
        if grid is None:
            continue
        for (r, c), cell in cells.items():
            if r >= MAX_ROWS or c >= MAX_COLS:
                continue
            while len(grid) <= r:
                grid.append([])
            row = grid[r]
            if len(row) <= c:
                row.extend([None] * (c + 1 - len(row)))
            if row[c] is None or row[c] == "":
                row[c] = cell
    return grids, avvisi


def leggi_cartella(path: str | Path, config: Config, *,
                   griglie: tuple[dict[str, list[list[object]]], list[str]] | None = None,
                   dati: bytes | None = None) -> CartellaRendiconto:
    """Read a programme workbook; `griglie` is the result of leggi_griglie(path) when already read,
    `dati` the file's bytes (leggi_byte) when already read (e.g. to hash exactly what is checked)."""
    grids, avvisi = griglie if griglie is not None else leggi_griglie(path, dati=dati)
    c = parse_cartella(grids, config, path=str(path))
    c.avvisi[:0] = avvisi
    return c


# --- cell parsing ----------------------------------------------------------------------------
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_IT_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_SI = {"si", "sì", "s", "x", "true", "vero", "yes", "1"}
_NO = {"no", "n", "false", "falso", "0"}


class _Bad(Exception):
    pass


def _empty(v: object) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def _text(v: object) -> str | None:
    if _empty(v):
        return None
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, CellaSpeciale):
        raise _Bad
    if isinstance(v, bool):
        return "SI" if v else "NO"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%d/%m/%Y") if v.time() == dt.time() else v.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%d/%m/%Y")
    return str(v).strip()


def _number(v: object) -> Decimal:
    if isinstance(v, bool):
        raise _Bad
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise _Bad
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise _Bad
        return v
    if isinstance(v, str):
        d = to_decimal(v)   # the one parser of typed numbers (addin.rules.money)
        if d is None or abs(d) >= Decimal("1e12"):
            raise _Bad
        return d
    raise _Bad


def _date(v: object) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        raise _Bad
    if isinstance(v, (int, float)):
        if not 1 <= v < 2958466:
            raise _Bad
        return S.from_excel_serial(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            m = _ISO_RE.match(s)
            if m:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            m = _IT_RE.match(s)
            if m:
                y = int(m.group(3))
                if y < 100:
                    y += 2000
                return dt.date(y, int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise _Bad from None
    raise _Bad


_MONTH_RE = re.compile(r"^(\d{1,2})[/.\-](\d{4})$|^(\d{4})[/.\-](\d{1,2})$")


def _month(v: object) -> dt.date:
    """A month (its first day): a date or date-time (its month), an Excel serial, or text mm/aaaa,
    aaaa-mm or a full date."""
    if isinstance(v, str):
        m = _MONTH_RE.match(v.strip())
        if m:
            month, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            try:
                return dt.date(int(year), int(month), 1)
            except ValueError:
                raise _Bad from None
    return _date(v).replace(day=1)


def data_cella(v: object) -> dt.date | None:
    """A date cell as calamine or xlwings deliver it (date, datetime, Excel serial, ISO text,
    gg/mm/aaaa); None when empty; ValueError (Italian) when it is not a date."""
    if _empty(v):
        return None
    try:
        return _date(v)
    except _Bad:
        raise ValueError(f"«{v}» non è una data") from None


def _bool(v: object) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().casefold()
        if s in _SI:
            return True
        if s in _NO:
            return False
    raise _Bad


def _show(v: object) -> str:
    if isinstance(v, bool):          # a logical value, not the SI/NO of a dropdown
        return "VERO" if v else "FALSO"
    s = _text(v) or ""
    return s if len(s) <= 40 else s[:37] + "..."


_KIND_MSG = {"money": "non è un importo valido (es. 1.234,56)", "number": "non è un numero valido",
             "date": "non è una data valida (gg/mm/aaaa)", "month": "non è un mese valido (mm/aaaa)",
             "bool": "non è SI o NO"}


# --- tables ----------------------------------------------------------------------------------
def _find_header(grid: list[list[object]], cols: tuple[S.Col, ...], sheet: str, fname: str | None,
                 required: tuple[S.Col, ...]) -> tuple[int, dict[str, int]]:
    """Locate the header row (first 10 rows) and map each column key to its index by header text."""
    best_row, best_map = S.locate_header(grid, cols)
    if len(best_map) < 2:
        raise ErroreInput(f"intestazione della tabella non trovata nelle prime {HEADER_SCAN_ROWS} righe "
                          f"(attese colonne come «{required[0].header}», «{required[-1].header}»).",
                          file=fname, foglio=sheet)
    for c in required:
        if c.key not in best_map:
            raise ErroreInput(f"manca la colonna obbligatoria «{c.header}» nell'intestazione.",
                              file=fname, foglio=sheet, riga=best_row + 1, colonna=c.header)
    # a header written twice: which column holds the data cannot be guessed
    seen: dict[str, int] = {}
    keys = {S._header_key(c.header): c for c in cols}
    for i, v in enumerate(grid[best_row]):
        c = keys.get(S._header_key(v))
        if c is None:
            continue
        if c.key in seen:
            raise ErroreInput(f"la colonna «{c.header}» compare due volte nell'intestazione (colonne "
                              f"{col_letter(seen[c.key])} e {col_letter(i)}): rinominare o cancellare quella in "
                              "più.", file=fname, foglio=sheet, riga=best_row + 1, colonna=c.header)
        seen[c.key] = i
    return best_row, best_map


_BAD = object()   # a cell that is not of its column's kind (becomes a reason of the row)


def _or_bad(parse, v: object) -> object:
    """parse(v) for a non-empty cell, None for an empty one, _BAD when it is not of the kind."""
    if _empty(v):
        return None
    try:
        return parse(v)
    except _Bad:
        return _BAD


def _column(raw: Sequence[object], kind: str, memo: dict[object, object]) -> list[object]:
    """One column converted to its kind. perf: the common cell types are handled inline, column by
    column (fewer calls per cell than row by row), and a text or a float met before is not parsed again:
    `memo` (shared by the table's columns of this kind) maps a text (dates come from the add-in as ISO
    text, the empty cells as "") or a non-zero float (-0.0 == 0.0) to its parsed value; the rest goes
    through the parsers."""
    str_, float_, date_, datetime_ = str, float, dt.date, dt.datetime
    if kind == "text":
        return [(v.strip() or None) if v.__class__ is str_ else (None if v is None else _or_bad(_text, v))
                for v in raw]
    if kind in ("money", "number"):
        def num(v: object) -> object:
            if v.__class__ is float_ and isfinite(v):
                d = Decimal(repr(v))
                if v:
                    memo[v] = d
                return d
            d = _or_bad(_number, v)
            if v.__class__ is str_:
                memo[v] = d
            return d
        return [memo[v] if (v.__class__ is float_ or v.__class__ is str_) and v in memo else num(v) for v in raw]
    parse = {"date": _date, "month": _month, "bool": _bool}[kind]

    def parsed(v: object) -> object:
        d = _or_bad(parse, v)
        if v.__class__ is str_:
            memo[v] = d
        return d
    if kind == "date":
        return [v if v.__class__ is date_ else v.date() if v.__class__ is datetime_
                else memo[v] if v.__class__ is str_ and v in memo else parsed(v) for v in raw]
    return [memo[v] if v.__class__ is str_ and v in memo else parsed(v) for v in raw]


def _parse_table(grid: list[list[object]], cols: tuple[S.Col, ...], mapping: dict[str, int], header_row: int,
                 sheet: str, money_code: dict[str, str], stop_at_blank: bool = False
                 ) -> tuple[list[int], dict[str, list[object]], list[list[Motivo]]]:
    """The non-empty rows below the header: their Excel row numbers, the parsed columns (key -> values,
    None when empty) and each row's reasons for cells that are not of their column's kind. With
    `stop_at_blank` the table ends at its first empty row (what follows, e.g. a totals block, is not data)."""
    specs = [(c, mapping[c.key]) for c in S.input_cols(cols) if c.key in mapping]
    body = grid[header_row + 1:]
    width = max((i for _, i in specs), default=-1) + 1
    if body and min(map(len, body)) < width:
        body = [list(row) + [None] * (width - len(row)) if len(row) < width else row for row in body]
    first_row = header_row + 2                      # Excel number of body[0]
    memos: dict[str, dict[object, object]] = {}   # by kind: see _column
    columns: dict[str, list[object]] = {}
    errors: dict[int, list[Motivo]] = {}
    for c, i in specs:
        raw = [row[i] for row in body]
        values = _column(raw, c.kind, memos.setdefault("money" if c.kind == "number" else c.kind, {}))
        if True in map(operator.is_, values, repeat(_BAD)):   # identity: == on Decimals is slow
            code = money_code.get(c.key, "DATO_NON_VALIDO")
            for k, v in enumerate(values):
                if v is _BAD:
                    excel_row = first_row + k
                    where = (f"Foglio «{sheet}», riga {excel_row}, colonna «{c.header}» (cella "
                             f"{col_letter(i)}{excel_row})")
                    if isinstance(raw[k], CellaSpeciale):
                        m = Motivo("DATO_NON_VALIDO", f"{where}: la cella {raw[k].descrizione()}.")
                    else:
                        m = Motivo(code, f"{where}: «{_show(raw[k])}» {_KIND_MSG[c.kind]}.")
                    errors.setdefault(k, []).append(m)
                    values[k] = None
        columns[c.key] = values
    # a row counts when any of its cells has a value or an error
    keep = [False] * len(body)
    for values in columns.values():
        keep = list(map(operator.or_, keep, map(operator.is_not, values, repeat(None))))
    for k in errors:
        keep[k] = True
    if stop_at_blank and True in keep:
        start = keep.index(True)
        if False in keep[start:]:
            end = keep.index(False, start)
            keep[end:] = [False] * (len(keep) - end)
    if False in keep:
        columns = {key: list(compress(values, keep)) for key, values in columns.items()}
    rows = list(compress(range(first_row, first_row + len(keep)), keep))
    errs = [errors.get(k, []) for k in compress(range(len(keep)), keep)]
    return rows, columns, errs


def _models(cls, rows: list[int], columns: dict[str, list[object]], errs: list[list[Motivo]]) -> list:
    """Row models (Spesa, VoceCofinanziamento) built positionally from the parsed columns."""
    names = [f.name for f in fields(cls)]
    if names[0] != "riga" or names[-1] != "errori" or not set(columns) <= set(names):
        raise AssertionError(f"columns {sorted(set(columns) - set(names))} are not fields of {cls.__name__}")
    nones = [None] * len(rows)
    return list(map(cls, rows, *(columns.get(n, nones) for n in names[1:-1]), errs))


def _norm_actions(columns: dict[str, list[object]]) -> None:
    """'1.2 - Titolo' -> '1.2' in the action column (text the rules cannot read is kept as typed)."""
    if "azione" in columns:
        columns["azione"] = [a if a is None else norm_action(a) or a for a in columns["azione"]]


def _meta(grid: list[list[object]] | None, fname: str | None) -> dict[str, str]:
    if grid is None:
        raise ErroreInput(f"manca il foglio nascosto «{S.META}»: il file non è stato creato dal modello "
                          "della rendicontazione (usare `rendiconta modello`).", file=fname)
    meta: dict[str, str] = {}
    for row in grid:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            k = row[0].strip()
            if k == "chiave":
                continue
            meta[k] = _text(row[1]) or ""
    return meta


def _int_meta(meta: dict[str, str], key: str, fname: str | None) -> int:
    raw = meta.get(key)
    if not raw:
        raise ErroreInput(f"manca il valore «{key}» nel foglio nascosto: il file non è stato creato dal "
                          "modello della rendicontazione.", file=fname, foglio=S.META)
    try:
        return int(Decimal(raw.replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise ErroreInput(f"il valore «{key}» = «{raw}» non è un numero.", file=fname, foglio=S.META) from None


def parse_cartella(sheets: Mapping[str, list[list[object]]], config: Config,
                   path: str | None = None) -> CartellaRendiconto:
    fname = Path(path).name if path else None
    meta = _meta(sheets.get(S.META), fname)
    versione = meta.get(S.META_VERSIONE, "")
    if not versione:
        raise ErroreInput("manca la versione dello schema nel foglio nascosto: il file non è stato creato "
                          "dal modello della rendicontazione.", file=fname, foglio=S.META)
    if versione != S.SCHEMA_VERSION:
        raise ErroreInput(f"versione dello schema «{versione}» non supportata (attesa «{S.SCHEMA_VERSION}»): "
                          "rigenerare il file dal modello aggiornato.", file=fname, foglio=S.META)
    tipo = meta.get(S.META_TIPO, "programma")
    if tipo and tipo != "programma":
        raise ErroreInput(f"il file è di tipo «{tipo}», non il rendiconto di un programma.", file=fname,
                          foglio=S.META)
    programma = _int_meta(meta, S.META_PROGRAMMA, fname)
    anno = _int_meta(meta, S.META_ANNO, fname)
    try:
        prog = config.programma(programma)
    except KeyError:
        raise ErroreInput(f"il programma {programma} non è previsto dalla configurazione «{config.nome}».",
                          file=fname, foglio=S.META) from None
    if anno not in config.periodo.anni or anno not in prog.budget:
        raise ErroreInput(f"l'anno {anno} non è un anno della co-progettazione "
                          f"({config.periodo.inizio.year}-{config.periodo.fine.year}).", file=fname, foglio=S.META)
    for name in (S.SPESE, S.COFINANZIAMENTO, S.BUDGET):
        if name not in sheets:
            raise ErroreInput(f"manca il foglio «{name}»: il file non corrisponde al modello della "
                              "rendicontazione.", file=fname)
        g = sheets[name]
        if len(g) > MAX_ROWS or any(len(row) > MAX_COLS for row in g[:HEADER_SCAN_ROWS]):
            raise ErroreInput(f"il foglio ha dimensioni eccessive ({len(g)} righe): massimo {MAX_ROWS}.",
                              file=fname, foglio=name)

    # Spese
    grid = sheets[S.SPESE]
    hr, mp = _find_header(grid, S.SPESE_COLS, S.SPESE, fname, S.required_cols(S.SPESE_COLS))
    rows, columns, errs = _parse_table(grid, S.SPESE_COLS, mp, hr, S.SPESE,
                                       {"importo": "IMPORTO_NON_VALIDO", "importo_documento": "IMPORTO_NON_VALIDO"})
    _norm_actions(columns)
    spese = _models(Spesa, rows, columns, errs)

    # Cofinanziamento
    grid = sheets[S.COFINANZIAMENTO]
    cof_req = S.required_cols(S.COFIN_COLS)
    hr, mp = _find_header(grid, S.COFIN_COLS, S.COFINANZIAMENTO, fname, cof_req)
    rows, columns, errs = _parse_table(grid, S.COFIN_COLS, mp, hr, S.COFINANZIAMENTO,
                                       {"valore_unitario": "IMPORTO_NON_VALIDO"})
    _norm_actions(columns)
    cofin = _models(VoceCofinanziamento, rows, columns, errs)
    cofin_con_data = "data" in mp

    # Budget
    grid = sheets[S.BUDGET]
    bud_req = S.required_cols(S.BUDGET_COLS)
    hr, mp = _find_header(grid, S.BUDGET_COLS, S.BUDGET, fname, bud_req)
    avvisi: list[str] = []
    lk = lookup_for(config)
    budget: list[VoceBudget] = []
    rows, columns, errs = _parse_table(grid, S.BUDGET_COLS, mp, hr, S.BUDGET, {}, stop_at_blank=True)
    for k, (r, e) in enumerate(zip(rows, errs)):
        v = {key: values[k] for key, values in columns.items() if values[k] is not None}
        if e:
            m = e[0].messaggio
            col = re.search(r"colonna «([^»]+)»", m)
            raise ErroreInput(m.split("): ", 1)[1] if "): " in m else m, file=fname, foglio=S.BUDGET, riga=r,
                              colonna=col.group(1) if col else None)
        if not v.get("azione") and not v.get("categoria"):
            if any(isinstance(x, Decimal) and x for x in v.values()):
                avvisi.append(f"Foglio «{S.BUDGET}», riga {r}: importi senza azione e categoria, ignorati.")
            continue
        cat = lk.categoria(v.get("categoria"))
        if cat is None:
            avvisi.append(f"Foglio «{S.BUDGET}», riga {r}: categoria «{v.get('categoria') or ''}» non "
                          "riconosciuta, riga ignorata.")
            continue
        amounts = {k: x for k, x in v.items() if isinstance(x, Decimal)}
        budget.append(VoceBudget(azione=norm_action(v.get("azione")), categoria=cat.codice, riga=r, **amounts))

    return CartellaRendiconto(path=path, programma=programma, anno=anno, versione=versione, spese=spese,
                              cofinanziamento=cofin, budget=budget, meta=meta, avvisi=avvisi,
                              cofin_con_data=cofin_con_data)
