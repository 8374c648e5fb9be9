"""Reusable LibreOffice harness for tests (recalculation, PDF/PNG export, UNO scripts).

    from tests.libreoffice import (richiede_libreoffice, ricalcola, esporta_pdf, pagine_png, estrai_testo_pdf,
                                   esegui_uno)

Every call uses its own LibreOffice profile (parallel-safe) with OOXMLRecalcMode=0, so formulas
are always recomputed on load instead of trusting cached values. Outputs go to a directory other
than the input's (soffice would overwrite the input otherwise) and their existence is checked:
soffice's exit code alone proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
UNO_PYTHON = "/usr/bin/python3"   # the system Python that has python3-uno

richiede_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) non installato")
richiede_poppler = pytest.mark.skipif(PDFTOPPM is None or PDFTOTEXT is None, reason="poppler-utils non installato")

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def nuovo_profilo(base: str | Path | None = None, locale: str | None = None) -> Path:
    """A fresh LibreOffice user profile that always recalculates xlsx/ods formulas on load; with `locale`
    (e.g. "it-IT") numbers and dates are shown in that locale's format."""
    root = Path(tempfile.mkdtemp(prefix="lo_profile_", dir=base))
    user = root / "user"
    user.mkdir(parents=True)
    xcu = _XCU
    if locale:
        xcu = xcu.replace("</oor:items>", '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name='
                          f'"ooSetupSystemLocale" oor:op="fuse"><value>{locale}</value></prop></item>\n</oor:items>')
    (user / "registrymodifications.xcu").write_text(xcu, encoding="utf-8")
    return root


def _soffice(args: list[str], timeout: float, locale: str | None = None) -> subprocess.CompletedProcess:
    if SOFFICE is None:
        raise RuntimeError("soffice non installato")
    profile = nuovo_profilo(locale=locale)
    try:
        return subprocess.run([SOFFICE, "--headless", "--norestore", "--nolockcheck",
                               f"-env:UserInstallation={profile.as_uri()}", *args],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def converti(path: str | Path, out_dir: str | Path, formato: str, timeout: float = 180,
             locale: str | None = None) -> Path:
    """soffice --convert-to <formato>; returns the output file (checked to exist)."""
    src = Path(path).resolve()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir == src.parent:
        raise ValueError("outdir deve essere diversa dalla cartella del file di input")
    ext = formato.split(":")[0]
    target = out_dir / f"{src.stem}.{ext}"
    target.unlink(missing_ok=True)
    res = _soffice(["--convert-to", formato, "--outdir", str(out_dir), str(src)], timeout, locale)
    if not target.exists():
        raise RuntimeError(f"conversione in {formato} fallita (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    return target


def ricalcola(path: str | Path, out_dir: str | Path) -> Path:
    """Recalculate every formula of an xlsx in LibreOffice and save it as xlsx in out_dir.
    Read the values with openpyxl.load_workbook(result, data_only=True)."""
    return converti(path, out_dir, "xlsx:Calc MS Excel 2007 XML")


def esporta_pdf(path: str | Path, out_dir: str | Path, locale: str | None = None) -> Path:
    """PDF of a workbook; locale="it-IT" to show numbers as the Italian users see them (1.234,56 €)."""
    return converti(path, out_dir, "pdf:calc_pdf_Export", locale=locale)


def pagine_png(pdf: str | Path, out_dir: str | Path, dpi: int = 60, prima: int | None = None,
               ultima: int | None = None) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [PDFTOPPM, "-png", "-r", str(dpi)]
    if prima is not None:
        args += ["-f", str(prima)]
    if ultima is not None:
        args += ["-l", str(ultima)]
    subprocess.run([*args, str(pdf), str(out_dir / "pagina")], check=True, capture_output=True, timeout=180)
    return sorted(out_dir.glob("pagina*.png"))


def parole_pdf(pdf: str | Path, pagina: int = 1) -> list[tuple[str, float, float, float, float]]:
    """The words of a PDF page with their boxes in points: (text, x_min, y_min, x_max, y_max)."""
    import html
    import re

    res = subprocess.run([PDFTOTEXT, "-bbox", "-f", str(pagina), "-l", str(pagina), str(pdf), "-"],
                         check=True, capture_output=True, timeout=120)
    pat = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    return [(html.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
            for m in pat.finditer(res.stdout.decode("utf-8", "replace"))]


def pagina_rgb(pdf: str | Path, dpi: int, pagina: int = 1) -> tuple[int, int, bytes]:
    """A PDF page rendered by pdftoppm (PPM on stdout) as raw RGB: (width, height, pixels row by row, 3 bytes each)."""
    res = subprocess.run([PDFTOPPM, "-r", str(dpi), "-f", str(pagina), "-l", str(pagina), str(pdf)],
                         check=True, capture_output=True, timeout=180)
    data = res.stdout
    fields, pos = [], 0
    while len(fields) < 4:   # "P6 <width> <height> <maxval>" separated by whitespace, then the pixels
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1:pos + 1 + width * height * 3]


def estrai_testo_pdf(pdf: str | Path) -> str:
    res = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=120)
    return res.stdout.decode("utf-8", "replace")


def numero_pagine(pdf: str | Path) -> int:
    return estrai_testo_pdf(pdf).count("\f") or 1


# --- UNO ------------------------------------------------------------------------------------------------

UNO_PRELUDE = textwrap.dedent('''
    import os, sys, time
    import uno
    from com.sun.star.beans import PropertyValue

    def _prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value; return p

    def connetti(timeout=60):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % os.environ["LO_PIPE"]
        end = time.time() + timeout
        while True:
            try:
                ctx = resolver.resolve(url)
                break
            except Exception:
                if time.time() > end:
                    raise
                time.sleep(0.3)
        return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def apri(desktop, path):
        return desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                            (_prop("Hidden", True),))

    def salva_xlsx(doc, path):
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(path)), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
''')


def esegui_uno(corpo: str, *args: str, timeout: float = 180) -> str:
    """Run a UNO Python script with /usr/bin/python3 against a private headless LibreOffice.

    `corpo` is Python code run after UNO_PRELUDE (which defines connetti(), apri(doc), salva_xlsx());
    sys.argv[1:] are `args`. Returns the script's stdout; raises with stdout/stderr on failure.
    A failure is retried once with a fresh LibreOffice (its start-up on a loaded machine is not what
    the tests check); when the retry fails too, both errors are reported.
    """
    try:
        return _esegui_uno(corpo, *args, timeout=timeout)
    except (RuntimeError, subprocess.TimeoutExpired) as first:
        try:
            return _esegui_uno(corpo, *args, timeout=timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as second:
            raise RuntimeError(f"{second}\n--- primo tentativo ---\n{first}") from None


def _esegui_uno(corpo: str, *args: str, timeout: float = 180) -> str:
    if SOFFICE is None:
        raise RuntimeError("soffice non installato")
    profile = nuovo_profilo()
    pipe = f"rendiconta_{uuid.uuid4().hex}"
    office = subprocess.Popen([SOFFICE, "--headless", "--norestore", "--nolockcheck", "--invisible",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = profile / "script.py"
    # the script ends with os._exit(0): pyuno's interpreter teardown can crash (signal 11) after the
    # script's work is done and printed, which is not what the tests check
    script.write_text(UNO_PRELUDE + "\n" + textwrap.dedent(corpo)
                      + "\nimport os as _os, sys as _sys\n_sys.stdout.flush(); _sys.stderr.flush(); _os._exit(0)\n",
                      encoding="utf-8")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["LO_PIPE"] = pipe
        res = subprocess.run([UNO_PYTHON, str(script), *args], capture_output=True, text=True,
                             timeout=timeout, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"script UNO fallito (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res.stdout
    finally:
        office.terminate()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait(timeout=10)
        time.sleep(0.1)
        shutil.rmtree(profile, ignore_errors=True)
