"""A corpus of broken or hostile input files, generated from code at test time.

Each case: (name, builder(dir, base) -> path, expected Italian message fragment). `base` is a valid
programme workbook built from the real template (a few filled rows).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from addin.workbook import schema as S

Builder = Callable[[Path, Path], Path]


def _write(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


def _zip(d: Path, name: str, entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    p = d / name
    with zipfile.ZipFile(p, "w", compression) as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    return p


def _rezip(base: Path, d: Path, name: str, edit: Callable[[str, bytes], bytes | None],
           extra: dict[str, bytes] | None = None) -> Path:
    """Copy the base xlsx, letting `edit` change (or drop, returning None) each entry."""
    p = d / name
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = edit(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info.filename, data)
        for n, data in (extra or {}).items():
            dst.writestr(n, data)
    return p


def _sheet_entry(base: Path, sheet: str) -> str:
    """The zip entry of a sheet, via workbook.xml and its relationships."""
    with zipfile.ZipFile(base) as zf:
        wbx = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    m = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', wbx)
    rid = m.group(1)
    t = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    target = t.group(1).lstrip("/")
    return target if target.startswith("xl/") else "xl/" + target


def _openpyxl_edit(base: Path, d: Path, name: str, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(base)
    edit(wb)
    p = d / name
    wb.save(p)
    return p


def _set_meta(key: str, value):
    def edit(wb):
        ws = wb[S.META]
        for row in ws.iter_rows(min_row=1):
            if row[0].value == key:
                row[1].value = value
                return
        raise AssertionError(key)
    return edit


def _drop_meta(key: str):
    def edit(wb):
        ws = wb[S.META]
        for row in ws.iter_rows(min_row=1):
            if row[0].value == key:
                row[0].value = None
                row[1].value = None
    return edit


def _rename_header(sheet: str, header: str, new: str):
    def edit(wb):
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=1, max_row=10):
            for c in row:
                if c.value == header:
                    c.value = new
                    return
        raise AssertionError(header)
    return edit


def _clear_headers(sheet: str):
    def edit(wb):
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=1, max_row=10):
            for c in row:
                c.value = None
    return edit


def _set_budget_text(wb):
    ws = wb[S.BUDGET]
    ws["C4"].value = "mille euro"


def _sheet_xml_edit(base: Path, d: Path, name: str, sheet: str, fn: Callable[[bytes], bytes]) -> Path:
    entry = _sheet_entry(base, sheet)
    return _rezip(base, d, name, lambda n, b: fn(b) if n == entry else b)


def _no_dimension(xml: bytes) -> bytes:
    return re.sub(rb"<dimension [^>]*/>", b"", xml)


def _add_cell(ref: str, row: int):
    def fn(xml: bytes) -> bytes:
        xml = _no_dimension(xml)
        cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")
    return fn


def dimensione_enorme(d: Path, base: Path) -> Path:
    """A declared dimension of the whole sheet over a few real rows (LibreOffice after a row deletion
    declares A1:X1048576): read, not refused (issue 13 case 3)."""
    return _sheet_xml_edit(base, d, "dimensione.xlsx", S.SPESE,
                           lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x))


def _bomb(d: Path) -> Path:
    return _zip(d, "bomba.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                                  "xl/worksheets/sheet1.xml": b"\0" * (40 * 1024 * 1024)})


def _many_entries(d: Path) -> Path:
    entries = {"xl/workbook.xml": b"<workbook/>"}
    entries.update({f"xl/media/x{i}.bin": b"x" for i in range(2500)})
    return _zip(d, "troppi_elementi.xlsx", entries)


def _encrypted_flag(d: Path) -> Path:
    """Entries flagged as encrypted (bit 0 of the general purpose flags, local and central headers)."""
    p = _zip(d, "zip_cifrato.xlsx", {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"secret"})
    data = bytearray(p.read_bytes())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            data[i + off] |= 0x1
            i = data.find(sig, i + 4)
    p.write_bytes(bytes(data))
    return p


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def casi() -> list[tuple[str, Callable[[Path, Path], Path], str]]:
    enc = "EncryptedPackage".encode("utf-16-le")
    return [
        ("vuoto", lambda d, b: _write(d, "vuoto.xlsx", b""), "il file è vuoto"),
        ("csv_rinominato", lambda d, b: _write(d, "dati.xlsx", "Azione;Partner;Importo\n1.1;Igea;100,00\n".encode()),
         "CSV"),
        ("binario_casuale", lambda d, b: _write(d, "rumore.xlsx", bytes(range(256)) * 40),
         "non è una cartella di lavoro Excel"),
        ("xls_vecchio", lambda d, b: _write(d, "vecchio.xls", OLE + b"\0" * 4000), "Excel 97-2003"),
        ("cifrato_password", lambda d, b: _write(d, "protetto.xlsx", OLE + b"\0" * 600 + enc + b"\0" * 3000),
         "protetto da password"),
        ("zip_troncato", lambda d, b: _write(d, "troncato.xlsx", b.read_bytes()[: b.stat().st_size // 2]),
         "danneggiato"),
        ("zip_header_spazzatura", lambda d, b: _write(d, "spazzatura.xlsx", b"PK\x03\x04" + b"\x07" * 3000),
         "danneggiato"),
        ("zip_senza_workbook", lambda d, b: _zip(d, "archivio.xlsx", {"leggimi.txt": b"ciao"}),
         "non contiene una cartella di lavoro"),
        ("docx_rinominato", lambda d, b: _zip(d, "lettera.xlsx", {"word/document.xml": b"<w/>"}), "documento Word"),
        ("ods_rinominato", lambda d, b: _zip(d, "calc.xlsx", {"content.xml": b"<o/>", "mimetype": b"x"}),
         "OpenDocument"),
        ("xlsb", lambda d, b: _zip(d, "binario.xlsx", {"xl/workbook.bin": b"\0"}), "binario (.xlsb)"),
        ("zip_bomb_rapporto", lambda d, b: _bomb(d), "zip bomb"),
        ("zip_troppi_elementi", lambda d, b: _many_entries(d), "troppi elementi"),
        ("zip_voce_cifrata", lambda d, b: _encrypted_flag(d), "parti cifrate"),
        ("foglio_xml_corrotto", lambda d, b: _sheet_xml_edit(b, d, "xml_rotto.xlsx", S.SPESE,
                                                              lambda x: x[: len(x) // 2] + b"<<<"),
         "danneggiato"),
        ("colonna_lontanissima", lambda d, b: _sheet_xml_edit(b, d, "colonna.xlsx", S.SPESE,
                                                               _add_cell("ZZZ2000", 2000)),
         "oltre la colonna massima"),
        ("riga_lontanissima", lambda d, b: _sheet_xml_edit(b, d, "riga.xlsx", S.SPESE, _add_cell("A900000", 900000)),
         "oltre il massimo"),
        ("manca_foglio_spese", lambda d, b: _openpyxl_edit(b, d, "senza_spese.xlsx",
                                                           lambda wb: wb.remove(wb[S.SPESE])),
         "manca il foglio «Spese»"),
        ("manca_foglio_budget", lambda d, b: _openpyxl_edit(b, d, "senza_budget.xlsx",
                                                            lambda wb: wb.remove(wb[S.BUDGET])),
         "manca il foglio «Budget»"),
        ("manca_foglio_cofin", lambda d, b: _openpyxl_edit(b, d, "senza_cofin.xlsx",
                                                           lambda wb: wb.remove(wb[S.COFINANZIAMENTO])),
         "manca il foglio «Cofinanziamento»"),
        ("manca_meta", lambda d, b: _openpyxl_edit(b, d, "senza_meta.xlsx", lambda wb: wb.remove(wb[S.META])),
         "manca il foglio nascosto «_meta»"),
        ("versione_sconosciuta", lambda d, b: _openpyxl_edit(b, d, "versione.xlsx", _set_meta(S.META_VERSIONE, "99")),
         "versione dello schema «99» non supportata"),
        ("versione_mancante", lambda d, b: _openpyxl_edit(b, d, "senza_versione.xlsx", _drop_meta(S.META_VERSIONE)),
         "manca la versione dello schema"),
        ("programma_inesistente", lambda d, b: _openpyxl_edit(b, d, "prog9.xlsx", _set_meta(S.META_PROGRAMMA, 9)),
         "il programma 9 non è previsto"),
        ("programma_testo", lambda d, b: _openpyxl_edit(b, d, "progx.xlsx", _set_meta(S.META_PROGRAMMA, "uno")),
         "non è un numero"),
        ("anno_fuori_periodo", lambda d, b: _openpyxl_edit(b, d, "anno.xlsx", _set_meta(S.META_ANNO, 2031)),
         "l'anno 2031 non è un anno della co-progettazione"),
        ("tipo_consolidato", lambda d, b: _openpyxl_edit(b, d, "consolidato.xlsx", _set_meta(S.META_TIPO, "consolidato")),
         "non il rendiconto di un programma"),
        ("colonna_importo_mancante", lambda d, b: _openpyxl_edit(
            b, d, "senza_importo.xlsx", _rename_header(S.SPESE, "Importo rendicontato", "Importo?")),
         "manca la colonna obbligatoria «Importo rendicontato»"),
        ("intestazione_spese_cancellata", lambda d, b: _openpyxl_edit(b, d, "senza_intestazione.xlsx",
                                                                       _clear_headers(S.SPESE)),
         "intestazione della tabella non trovata"),
        ("colonna_tipo_cofin_mancante", lambda d, b: _openpyxl_edit(
            b, d, "cofin_senza_tipo.xlsx", _rename_header(S.COFINANZIAMENTO, "Tipo", "Genere")),
         "manca la colonna obbligatoria «Tipo»"),
        ("colonna_budget_mancante", lambda d, b: _openpyxl_edit(
            b, d, "budget_senza_colonna.xlsx", _rename_header(S.BUDGET, "Comunale iniziale", "Iniziale")),
         "manca la colonna obbligatoria «Comunale iniziale»"),
        ("budget_importo_testo", lambda d, b: _openpyxl_edit(b, d, "budget_testo.xlsx", _set_budget_text),
         "«mille euro» non è un importo valido"),
        ("xml_con_entita", lambda d, b: _sheet_xml_edit(
            b, d, "entita.xlsx", S.SPESE,
            lambda x: x.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                                               b"<worksheet", 1)),
         "dichiarazioni XML (DTD/entità)"),
        ("cartella_non_file", lambda d, b: (d / "una_cartella.xlsx").mkdir() or d / "una_cartella.xlsx",
         "non è un file"),
    ]


def copia(src: Path, d: Path) -> Path:
    p = d / src.name
    shutil.copy2(src, p)
    return p


