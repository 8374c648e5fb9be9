"""PDF/A-2 export of a workbook through LibreOffice headless (soffice), with an Italian locale so
amounts print as 1.234,56 and dates as 31/07/2026.

Each export uses its own throw-away LibreOffice profile (parallel-safe) and an output folder other
than the input's; the PDF's existence is checked (soffice's exit code proves nothing), then moved to
the destination atomically.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from addin.errors import ErroreOutput
from addin.workbook.atomico import scrivi_atomico

# PDF/A-2b (SelectPdfVersion 2), tagged; JSON filter options need LibreOffice >= 7.4
_FILTRO = 'pdf:calc_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},' \
          '"UseTaggedPDF":{"type":"boolean","value":"true"}}'
_PROFILO = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>it-IT</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>it-IT</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def esporta_pdf(xlsx: str | Path, pdf: str | Path, timeout: float = 180) -> Path:
    """Convert `xlsx` to the PDF/A file `pdf` (every visible sheet, as its print settings say)."""
    exe = soffice()
    if exe is None:
        raise ErroreOutput("LibreOffice (soffice) non è installato: impossibile produrre il PDF; "
                           "la cartella di lavoro è comunque stata scritta.")
    src, dest = Path(xlsx).resolve(), Path(pdf)
    with tempfile.TemporaryDirectory(prefix="rendiconta_pdf_") as tmp:
        profile, out = Path(tmp) / "profilo", Path(tmp) / "out"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILO, encoding="utf-8")
        try:
            res = subprocess.run([exe, "--headless", "--norestore", "--nolockcheck",
                                  f"-env:UserInstallation={profile.as_uri()}", "--convert-to", _FILTRO,
                                  "--outdir", str(out), str(src)], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ErroreOutput(f"LibreOffice non ha prodotto il PDF entro {timeout:.0f} secondi.") from None
        made = out / f"{src.stem}.pdf"
        if not made.exists():
            raise ErroreOutput(f"LibreOffice non ha prodotto il PDF (codice {res.returncode}): "
                               f"{(res.stderr or res.stdout).strip()[:300]}")
        scrivi_atomico(dest, lambda tmp: shutil.copyfile(made, tmp))
    return dest
