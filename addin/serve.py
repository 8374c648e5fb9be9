"""`rendiconta serve`: the xlwings Server of the Excel add-in (project in addin/server) over HTTPS
with local certificates made by mkcert (Excel only loads add-ins from https URLs)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

from addin.errors import ErroreRendiconta, ErroreSistema

SERVER_DIR = Path(__file__).with_name("server")
CERT_NAME, KEY_NAME = "localhost+2.pem", "localhost+2-key.pem"   # the names xlwings-server looks for


def certificati(cert_dir: Path = SERVER_DIR / "certs", installa_ca: bool = True) -> tuple[Path, Path]:
    """The local certificate and key for https://127.0.0.1 and https://localhost, made with mkcert
    when missing (the mkcert CA is installed in the local trust stores, if possible)."""
    cert, key = cert_dir / CERT_NAME, cert_dir / KEY_NAME
    if cert.exists() and key.exists():
        return cert, key
    mkcert = shutil.which("mkcert")
    if mkcert is None:
        raise ErroreSistema("mkcert non è installato: «sudo apt install mkcert» (Debian/Ubuntu) oppure "
                               "https://github.com/FiloSottile/mkcert, poi riprovare.")
    cert_dir.mkdir(parents=True, exist_ok=True)
    if installa_ca:
        done = subprocess.run([mkcert, "-install"], capture_output=True, text=True)
        if done.returncode != 0:
            print("Attenzione: impossibile installare l'autorità locale di mkcert "
                  f"({done.stderr.strip() or done.stdout.strip()}); il browser/Excel potrebbe non fidarsi "
                  "del certificato.")
    done = subprocess.run([mkcert, "-cert-file", str(cert), "-key-file", str(key), "localhost", "127.0.0.1", "::1"],
                          capture_output=True, text=True)
    if done.returncode != 0 or not cert.exists():
        raise ErroreRendiconta(f"mkcert non ha creato il certificato: {done.stderr.strip()}")
    return cert, key


def ambiente() -> None:
    """Environment of the server process: project folder and licence (before xlwings is imported)."""
    os.environ["XLWINGS_PROJECT_DIR"] = str(SERVER_DIR)
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")


def controlla_porta(host: str, port: int) -> None:
    """Fail in Italian before uvicorn starts (and exits with its own English message) when the address
    cannot be used: port in use, address not of this computer, port not allowed."""
    import socket

    from addin.output import errore_os

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ErroreSistema(f"l'indirizzo «{host}» non è valido o non si risolve.") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn does
        try:
            sock.bind(addr)
        except OSError as exc:
            hint = " (un altro programma, forse un altro «rendiconta serve», la sta usando: scegliere " \
                   "un'altra porta con --port)" if exc.errno == errno.EADDRINUSE else ""
            raise ErroreSistema(f"impossibile ascoltare su {host}:{port}: {errore_os(exc)}{hint}.") from None


def avvia(host: str = "127.0.0.1", port: int = 8000, https: bool = True, cert_dir: Path | None = None) -> None:
    import uvicorn

    controlla_porta(host, port)
    ambiente()
    ssl = {}
    if https:
        cert, key = certificati(cert_dir or SERVER_DIR / "certs")
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    scheme = "https" if https else "http"
    print(f"Componente aggiuntivo su {scheme}://{host}:{port} - manifest: {scheme}://{host}:{port}/manifest "
          "(Ctrl+C per fermare)")
    uvicorn.run("xlwings_server.main:main_app", host=host, port=port, log_level="info", **ssl)
