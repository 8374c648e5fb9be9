"""End to end: `addin.serve` makes local certificates with mkcert and starts xlwings Server over
HTTPS; the task pane is served and headless Chromium renders it with the four buttons."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("mkcert")),
                                reason="needs chromium and mkcert (Debian packages)")


def _png_pixels(data: bytes) -> list[tuple[int, int, int]]:
    """RGB pixels of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes), without Pillow."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += [tuple(line[i:i + 3]) for i in range(0, stride, bpp)]
        prev = line
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    env = dict(os.environ, CAROOT=str(tmp / "ca"), XLWINGS_LICENSE_KEY="noncommercial",
               DOTENV_PATH=str(tmp / "none.env"))
    port = _free_port()
    code = ("from pathlib import Path; from addin.serve import certificati, avvia; "
            f"certificati(Path({str(tmp / 'certs')!r}), installa_ca=False); "
            f"avvia('127.0.0.1', {port}, cert_dir=Path({str(tmp / 'certs')!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    ctx = None
    try:
        for _ in range(200):
            if proc.poll() is not None:
                pytest.fail(f"server exited: {proc.stdout.read()}")
            ca = tmp / "ca" / "rootCA.pem"
            if ca.exists():
                ctx = ssl.create_default_context(cafile=str(ca))
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                        with ctx.wrap_socket(sock, server_hostname="127.0.0.1"):
                            break
                except OSError:
                    pass
            time.sleep(0.1)
        yield {"url": f"https://127.0.0.1:{port}", "ca": tmp / "ca" / "rootCA.pem", "tmp": tmp,
               "certs": tmp / "certs"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_mkcert_certificate_covers_localhost_and_127_0_0_1(server):
    cert = ssl._ssl._test_decode_cert(str(server["certs"] / "localhost+2.pem"))
    names = {v for _, v in cert["subjectAltName"]}
    assert {"localhost", "127.0.0.1"} <= names


def test_https_serves_task_pane_and_manifest(server):
    import httpx

    with httpx.Client(verify=ssl.create_default_context(cafile=str(server["ca"]))) as c:   # the certificate chains to the mkcert CA
        html = c.get(server["url"] + "/taskpane.html").text
        manifest = c.get(server["url"] + "/manifest").text
    assert 'xw-click="valida"' in html and ">Consolida<" in html
    assert f"{server['url']}/taskpane.html" in manifest
    # hashed static files (xlwings-server build static): a new build never meets a stale cached main.js
    import re

    assert re.search(r'/static/js/main\.[0-9a-f]{8}\.js"', html), html[:2000]
    assert "htmx" not in html and "socket.io" not in html
    # the built templates are served in Italian too (addin.serve.BASE_ITALIANA)
    assert '<html lang="it">' in html and "<title>Rendiconta - Comune di Crema</title>" in html
    assert "didn't load" not in html and "funziona solo dentro Excel" in html


def test_screenshot_shows_the_four_buttons(server):
    out = server["tmp"] / "taskpane.png"
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={server['tmp'] / 'profile'}", "--ignore-certificate-errors", "--lang=it-IT",
           "--window-size=420,900", "--virtual-time-budget=8000", f"--screenshot={out}",
           server["url"] + "/taskpane.html?anteprima=1"]
    # the browser's own texts (the file picker's «Scegli file») in Italian, as in an Italian Office:
    # --lang alone does not do it headless; LANGUAGE does, with Debian's chromium-l10n (.ci/run installs it)
    env = {**os.environ, "LANGUAGE": "it", "LANG": "it_IT.UTF-8"}
    subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    assert out.exists() and out.stat().st_size > 20_000
    # the DOM as Chromium rendered it (scripts run): the four buttons are there and visible
    dom = subprocess.run(cmd[:-2] + ["--dump-dom", server["url"] + "/taskpane.html?anteprima=1"],
                         capture_output=True, text=True, timeout=120).stdout
    for id_ in ("btn-valida", "btn-verifica", "btn-blocca", "btn-consolida"):
        assert f'id="{id_}"' in dom
    assert "xlwings-office-ready-error" not in dom   # the preview removed the "not in Excel" overlay
    # colour check on the picture: the green primary buttons and the red Blocca are painted
    pixels = _png_pixels(out.read_bytes())

    def count(pred):
        return sum(1 for c in pixels if pred(c))
    assert count(lambda c: c[1] > 100 and c[0] < 40 and c[2] < 90) > 10_000     # green buttons
    assert count(lambda c: c[0] > 200 and c[1] < 80 and c[2] < 90) > 3_000      # red Blocca
    docs = ROOT / "docs" / "img"
    if os.environ.get("RENDICONTA_AGGIORNA_IMMAGINI"):
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(out, docs / "taskpane.png")
