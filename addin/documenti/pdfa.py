"""PDF/A-2b through LibreOffice's own exporter (soffice headless).

Why LibreOffice and not a Python PDF library: its PDF/A-2b export embeds the fonts, writes the XMP
identification and the sRGB output intent by itself and is used by public administrations every
day; the documents are laid out as spreadsheets we already know how to write (page setup, repeated
titles, page numbers), and the same path prints the consolidated workbook. It is installed on the
Comune's server and in CI (`libreoffice-calc-nogui`). Each conversion has its own LibreOffice profile
in a temporary folder, so conversions can run side by side.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from addin.errors import ErroreOutput, ErroreSistema
from addin.output import errore_os, scrivi_atomico

# the profile of each conversion: Italian locale, so that number formats print as 1.234,56 and 12,5%
# whatever the machine's locale (the verbale writes its figures as text anyway)
_PROFILO = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>it-IT</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>it-IT</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

# SelectPdfVersion 2 = PDF/A-2b (LibreOffice 7.x); JSON filter options are read by soffice >= 7.4
FILTRO_PDFA = 'pdf:calc_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise ErroreSistema("per il PDF serve LibreOffice (comando «soffice»), che non è installato: "
                           "«apt install libreoffice-calc-nogui» o https://it.libreoffice.org, poi riprovare.")
    return exe


def esporta_pdfa(sorgente: Path, dest: str | Path, timeout: float = 240) -> Path:
    """Convert a spreadsheet (xlsx) to a PDF/A-2b file at `dest` (atomic, umask permissions)."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="rendiconta_pdf_") as tmp:
        work = Path(tmp)
        src = work / "in" / f"documento{Path(sorgente).suffix}"
        out = work / "out"
        src.parent.mkdir()
        out.mkdir()
        shutil.copyfile(sorgente, src)
        (work / "profilo" / "user").mkdir(parents=True)
        (work / "profilo" / "user" / "registrymodifications.xcu").write_text(_PROFILO, encoding="utf-8")
        profile = (work / "profilo").as_uri()
        try:
            res = subprocess.run([exe, "--headless", "--norestore", "--nolockcheck", "--nologo",
                                  f"-env:UserInstallation={profile}", "--convert-to", FILTRO_PDFA,
                                  "--outdir", str(out), str(src)],
                                 capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ErroreOutput(f"LibreOffice non ha prodotto il PDF entro {timeout:.0f} secondi.") from None
        except OSError as exc:
            raise ErroreOutput(f"impossibile avviare LibreOffice: {errore_os(exc)}.") from None
        pdf = out / "documento.pdf"
        if not pdf.is_file() or pdf.stat().st_size == 0:  # soffice's exit code proves nothing
            detail = (res.stderr or res.stdout or "").strip().splitlines()[-1:] or ["nessun messaggio"]
            raise ErroreOutput(f"LibreOffice non ha prodotto il PDF (codice {res.returncode}: {detail[0]}).")
        return scrivi_atomico(dest, lambda t: shutil.copyfile(pdf, t), "il PDF")
