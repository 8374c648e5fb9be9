"""What partners do to a workbook in LibreOffice, done by LibreOffice itself (UNO, hidden documents).

    modifica_con_libreoffice(src, out_dir, operazioni, password="") -> {name: path}

Each operation starts from a fresh load of `src` and ends with a save as xlsx (Calc MS Excel 2007 XML):
    "salva"                 open and save, nothing else
    "cancella:N"            delete Spese row N (1-based Excel row number)
    "ordina:COL"            sort the Spese rows 4..last by column COL (0-based), descending
    "inserisci:N"           insert an empty Spese row before row N
The protected sheet is unprotected with `password` before an edit and protected again after it, as a
partner who knows the password (or a sheet protected without one) would. One LibreOffice process serves
all the operations of a call; the outputs are checked to exist (LibreOffice's exit code proves nothing).
"""

from __future__ import annotations

from pathlib import Path

from tests.libreoffice import esegui_uno

_SCRIPT = '''
import sys, os
import uno
desktop = connetti()
src, out_dir, password = sys.argv[1], sys.argv[2], sys.argv[3]
for op in sys.argv[4:]:
    name, _, arg = op.partition(":")
    doc = apri(desktop, src)
    sh = doc.Sheets.getByName("Spese")
    if name != "salva":
        sh.unprotect(password)
        if name == "cancella":
            sh.getRows().removeByIndex(int(arg) - 1, 1)
        elif name == "inserisci":
            sh.getRows().insertByIndex(int(arg) - 1, 1)
        elif name == "ordina":
            cur = sh.createCursor()
            cur.gotoEndOfUsedArea(False)
            last = cur.getRangeAddress().EndRow
            # the data rows only: from row 4 to the last one holding something in column A..X
            while last > 3 and not any(sh.getCellByPosition(c, last).getString() for c in range(24)):
                last -= 1
            rng = sh.getCellRangeByPosition(0, 3, 23, last)
            from com.sun.star.table import TableSortField
            f = TableSortField()
            f.Field = int(arg)
            f.IsAscending = False
            desc = list(rng.createSortDescriptor())
            for p in desc:
                if p.Name == "SortFields":
                    p.Value = uno.Any("[]com.sun.star.table.TableSortField", (f,))
                if p.Name == "ContainsHeader":
                    p.Value = False
            uno.invoke(rng, "sort", (tuple(desc),))
        sh.protect(password)
    target = os.path.join(out_dir, op.replace(":", "_") + ".xlsx")
    salva_xlsx(doc, target)
    try:
        doc.close(True)
    except Exception:
        pass
    print("SAVED", target)
'''


def modifica_con_libreoffice(src: Path, out_dir: Path, operazioni: list[str], password: str = "") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    esegui_uno(_SCRIPT, str(src), str(out_dir), password, *operazioni, timeout=300)
    out = {}
    for op in operazioni:
        p = out_dir / (op.replace(":", "_") + ".xlsx")
        if not p.is_file() or p.stat().st_size == 0:
            raise RuntimeError(f"LibreOffice non ha salvato {p.name}")
        out[op] = p
    return out
