"""`rendiconta serve`: the xlwings Server of the Excel add-in (project in addin/server).

`crea_app()` is the application that runs (uvicorn factory, and the tests): xlwings Server's app,
checked at start-up (auth providers, users file, role names: a wrong one stops the server with an
Italian message) and wrapped by `Guardia`, which applies before any parsing or authentication

- the request body limit (RENDICONTA_LIMITE_RICHIESTA_MB, default 20): 413;
- unknown script or function names: 404; malformed function calls: 400 (Italian `detail`);
- the local development mode (`--sviluppo`): only loopback peers, never behind a proxy;

and which owns the application's pool of worker processes (addin.processi: the scripts run there,
the custom functions in the server process), started and shut down with the application's lifespan.

Certificates for https://127.0.0.1 are made by mkcert with its CA kept in the project folder
(addin/server/certs/ca): the system trust store is left alone unless `installa_ca` is asked.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import shutil
import subprocess
from pathlib import Path

from fastapi import Request   # at module level: the dependency's annotation is resolved from here
from jinja2 import BaseLoader
from starlette.concurrency import run_in_threadpool

from addin.errors import ErroreRendiconta, ErroreSistema
from addin.processi import Esecutore
from addin.ruoli import ErroreRuoli

SERVER_DIR = Path(__file__).with_name("server")
CERT_NAME, KEY_NAME = "localhost+2.pem", "localhost+2-key.pem"   # the names xlwings-server looks for
ENV_LIMITE = "RENDICONTA_LIMITE_RICHIESTA_MB"
LIMITE_PREDEFINITO_MB = 20
PROVIDER_NOTI = ("custom", "entraid")
SCOPE_ESECUTORE = "rendiconta.esecutore"   # ASGI scope key: the application's pool of worker processes


def certificati(cert_dir: Path = SERVER_DIR / "certs", installa_ca: bool = False) -> tuple[Path, Path]:
    """The local certificate and key for https://127.0.0.1 and https://localhost, made with mkcert
    when missing. mkcert's CA lives in `cert_dir/ca` (unless CAROOT is set); it enters the system and browser trust
    stores only with `installa_ca` (mkcert -install), otherwise the docs say how to trust it."""
    cert, key = cert_dir / CERT_NAME, cert_dir / KEY_NAME
    if cert.exists() and key.exists():
        return cert, key
    mkcert = shutil.which("mkcert")
    if mkcert is None:
        raise ErroreSistema("mkcert non è installato: «sudo apt install mkcert» (Debian/Ubuntu) oppure "
                               "https://github.com/FiloSottile/mkcert, poi riprovare.")
    cert_dir.mkdir(parents=True, exist_ok=True)
    env = {"CAROOT": str(cert_dir / "ca"), **os.environ}   # a CAROOT already set by the user wins
    if installa_ca:
        done = subprocess.run([mkcert, "-install"], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print("Attenzione: impossibile installare l'autorità locale di mkcert "
                  f"({done.stderr.strip() or done.stdout.strip()}); il browser/Excel potrebbe non fidarsi "
                  "del certificato.")
    done = subprocess.run([mkcert, "-cert-file", str(cert), "-key-file", str(key), "localhost", "127.0.0.1", "::1"],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0 or not cert.exists():
        raise ErroreRendiconta(f"mkcert non ha creato il certificato: {done.stderr.strip()}")
    return cert, key


def ambiente(progetto: Path | None = None) -> None:
    """Environment of the server process: project folder and licence (before xlwings is imported)."""
    if progetto is not None:
        os.environ["XLWINGS_PROJECT_DIR"] = str(progetto)
    else:   # crea_app after avvia chose the built copy, or the tests: keep it
        os.environ.setdefault("XLWINGS_PROJECT_DIR", str(SERVER_DIR))
    os.environ.setdefault("DOTENV_PATH", str(SERVER_DIR / ".env"))   # a developer's .env stays where it is
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")


def limite_richiesta() -> int:
    """The request body limit in bytes (RENDICONTA_LIMITE_RICHIESTA_MB, default 20 MB)."""
    raw = os.environ.get(ENV_LIMITE, "").strip()
    if not raw:
        return LIMITE_PREDEFINITO_MB * 1024 * 1024
    try:
        mb = float(raw.replace(",", "."))
    except ValueError:
        mb = 0
    if not 0 < mb <= 1024:
        raise ErroreRuoli(f"{ENV_LIMITE}=«{raw}» non è valido: indicare i megabyte (es. 20), da 1 a 1024.")
    return int(mb * 1024 * 1024)


def _loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _nomi(module, attr: str) -> set[str]:
    return {n for n, f in vars(module).items() if callable(f) and hasattr(f, attr)}


class Guardia:
    """ASGI wrapper applied before xlwings Server parses or authenticates anything."""

    def __init__(self, app, limite: int, script: set[str], funzioni: set[str], prefisso: str = "",
                 esecutore: Esecutore | None = None) -> None:
        self.app, self.limite, self.script, self.funzioni = app, limite, script, funzioni
        self.esecutore = esecutore if esecutore is not None else Esecutore(0)
        self.p_script = f"{prefisso}/xlwings/custom-scripts-call/"
        self.p_funzioni = f"{prefisso}/xlwings/custom-functions-call"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, self._ciclo_di_vita(receive), send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope = {**scope, SCOPE_ESECUTORE: self.esecutore}   # the routes find the application's pool here
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        from addin.ruoli import sviluppo_locale

        if sviluppo_locale():
            client = (scope.get("client") or (None,))[0]
            if not _loopback(client) or "x-forwarded-for" in headers or "forwarded" in headers:
                return await _errore(send, 403, "Modalità di sviluppo locale: il server risponde solo a questo "
                                                "computer (127.0.0.1), non in rete né dietro un proxy.")
        path = scope.get("path", "")
        if path.startswith(self.p_script):
            nome = path[len(self.p_script):]
            if nome not in self.script:
                return await _errore(send, 404, f"Operazione «{nome[:60]}» sconosciuta: aggiornare il componente "
                                                "aggiuntivo (tasto destro sul riquadro, Ricarica).")
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        troppo = (f"Richiesta troppo grande (oltre {self.limite / 1024 / 1024:g} MB): ridurre le righe della "
                  f"cartella o chiedere all'amministratore di alzare {ENV_LIMITE}.")
        try:
            if int(headers.get("content-length", "0")) > self.limite:
                return await _errore(send, 413, troppo)
        except ValueError:
            return await _errore(send, 400, "Intestazione Content-Length non valida.")
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return None
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.limite:
                return await _errore(send, 413, troppo)
            chunks.append(chunk)
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        if path == self.p_funzioni:
            problema = self._chiamata_funzione(body)
            if problema:
                return await _errore(send, *problema)
        elif path.startswith(self.p_script) and body.lstrip()[:1] != b"{":
            return await _errore(send, 400, "Dati della cartella non validi: serve un oggetto JSON.")
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    def _ciclo_di_vita(self, receive):
        """The workers start with the application and are shut down with it (queued tasks cancelled,
        running ones finished: the server has already waited for its requests)."""
        async def ricevi():
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self.esecutore.avvia()
            elif msg["type"] == "lifespan.shutdown":
                await run_in_threadpool(self.esecutore.chiudi)
            return msg
        return ricevi

    def _chiamata_funzione(self, body: bytes) -> tuple[int, str] | None:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, "Chiamata di funzione non valida: il corpo non è JSON."
        if not isinstance(data, dict) or not isinstance(data.get("func_name"), str) \
                or not isinstance(data.get("args"), list):
            return 400, "Chiamata di funzione non valida: servono func_name e args."
        if data["func_name"] not in self.funzioni:
            return 404, (f"La funzione «{data['func_name'][:60]}» non esiste in questo server: aggiornare il "
                         "componente aggiuntivo.")
        if not all(isinstance(data.get(k), str) for k in ("version", "client")):
            return 400, "Chiamata di funzione non valida: aggiornare il componente aggiuntivo."
        return None


async def _errore(send, codice: int, testo: str) -> None:
    body = json.dumps({"detail": testo}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": codice,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def controlla_configurazione() -> None:
    """Start-up checks: known auth providers, a readable users file with known roles, known role
    names in the settings and in the scripts. Raises ErroreRendiconta (Italian)."""
    from xlwings_server.config import settings

    import custom_scripts
    from addin import ruoli

    for p in settings.auth_providers or []:
        if p not in PROVIDER_NOTI:
            raise ruoli.ErroreRuoli(f"{ruoli.IMPOSTAZIONE_AUTENTICAZIONE}: fornitore «{p}» sconosciuto "
                                    f"(ammessi: {', '.join(PROVIDER_NOTI)}).")
    ruoli.controlla_ruoli(settings.auth_required_roles or [], "XLWINGS_AUTH_REQUIRED_ROLES")
    for nome in _nomi(custom_scripts, "__xlscript__"):
        meta = getattr(custom_scripts, nome).__xlscript__
        ruoli.controlla_ruoli(meta.get("required_roles") or [], f"operazione «{nome}»")
    if "custom" in (settings.auth_providers or []):
        from auth.custom import imposta_fonte

        imposta_fonte(ruoli.fonte_da_ambiente())


def esecutore(request: Request) -> Esecutore:
    """The pool of worker processes of the application serving `request` (none: threads)."""
    return request.scope.get(SCOPE_ESECUTORE) or Esecutore(0)


def _script_fuori_dal_ciclo(app, prefisso: str) -> None:
    """The scripts' route, registered ahead of xlwings Server's own with the same dependencies and
    the same call (authentication, roles and the scripts' own checks in this process), but: the
    script's work runs in a worker process (addin.processi), which returns the response already
    encoded; without a pool it runs in a thread and the response (megabytes of values) is encoded
    in a thread too: xlwings' route returns the dict for FastAPI to encode on the event loop,
    which stalls every other user's request for up to a second at 10,000 rows."""
    import xlwings as xw
    import xlwings.server
    from fastapi.responses import Response
    from xlwings_server import dependencies as dep
    from xlwings_server.models import CurrentUser

    import custom_scripts
    from addin import processi

    path = f"{prefisso}/xlwings/custom-scripts-call/{{script_name}}"
    if any(getattr(r, "path", None) == path and getattr(r, "name", "") == "script_rendiconta"
           for r in app.router.routes):
        return

    async def script_rendiconta(script_name: str, args: dep.ScriptArgs, book: dep.Book, current_user: dep.User,
                                request: Request):
        lavoro = processi.Lavoro(esecutore(request), await request.body())   # the body read once, kept
        token = processi.LAVORO.set(lavoro)
        try:
            book = await xlwings.server.custom_scripts_call(custom_scripts, script_name, current_user,
                                                            typehint_to_value={CurrentUser: current_user,
                                                                               xw.Book: book},
                                                            args=args)
        finally:
            processi.LAVORO.reset(token)
        risposta = lavoro.risposta
        if risposta is None:
            risposta = await run_in_threadpool(processi.codifica, book.json())
        return Response(risposta, media_type="application/json")

    # real objects, not the strings of `from __future__ import annotations` (the names are local here)
    script_rendiconta.__annotations__ = {"script_name": str, "args": dep.ScriptArgs, "book": dep.Book,
                                         "current_user": dep.User, "request": Request}
    app.add_api_route(path, script_rendiconta, methods=["POST"], name="script_rendiconta")
    app.router.routes.insert(0, app.router.routes.pop())


def impostazioni_manifest() -> dict[str, str]:
    """Provider name, support URL ([tool.rendiconta] of addin/server/pyproject.toml, environment
    variables RENDICONTA_FORNITORE and RENDICONTA_URL_SUPPORTO win) and the manifest version (the
    package version, four numbers as Office wants)."""
    import tomllib
    from importlib.metadata import PackageNotFoundError, version

    with open(SERVER_DIR / "pyproject.toml", "rb") as fh:
        conf = tomllib.load(fh).get("tool", {}).get("rendiconta", {})
    fornitore = os.environ.get("RENDICONTA_FORNITORE") or conf.get("fornitore") or ""
    supporto = os.environ.get("RENDICONTA_URL_SUPPORTO") or conf.get("supporto") or ""
    if not fornitore.strip() or not supporto.startswith("https://"):
        raise ErroreRuoli("manifest del componente aggiuntivo: servono il nome del fornitore "
                               "(RENDICONTA_FORNITORE) e un indirizzo di supporto https:// (RENDICONTA_URL_SUPPORTO), "
                               "vedere [tool.rendiconta] in addin/server/pyproject.toml.")
    try:
        v = version("rendiconta")
    except PackageNotFoundError:
        v = "0.0.0"
    numeri = [int(x) for x in v.split("+")[0].split(".")[:4] if x.isdigit()]
    return {"fornitore": fornitore.strip(), "supporto": supporto,
            "versione": ".".join(str(x) for x in (numeri + [0, 0, 0, 0])[:4])}


# xlwings Server's base template (every page of the task pane extends it) is English outside its blocks:
# the page language, its title and the overlay shown when Office does not start (the page opened in a
# browser, outside Excel). The served HTML is made Italian here, whatever template folder is used
# (the package's, or the built copy of `xlwings-server build static`); tests/test_server.py checks the
# served page, so an upstream change of these texts fails a test instead of showing English.
TITOLO_PAGINA = "Rendiconta - Comune di Crema"
MESSAGGIO_FUORI_DA_EXCEL = ("Questa pagina è il riquadro del componente aggiuntivo Rendiconta e funziona solo "
                            "dentro Excel: aprire la cartella in Excel e scegliere Home > Componenti aggiuntivi > "
                            "Rendiconta. Se il riquadro è già in Excel, premere Ricarica.")
BASE_ITALIANA = (
    ('<html lang="en">', '<html lang="it">'),
    ("<title>Task pane</title>", f"<title>{TITOLO_PAGINA}</title>"),
    ("The add-in didn't load properly.", MESSAGGIO_FUORI_DA_EXCEL),
    ('id="xlwings-taskpane-reload-btn">Reload</button>', 'id="xlwings-taskpane-reload-btn">Ricarica</button>'),
    ('id="xlwings-taskpane-reload-cancel-btn">Cancel</button>',
     'id="xlwings-taskpane-reload-cancel-btn">Annulla</button>'),
    ('aria-label="Close"', 'aria-label="Chiudi"'),
)


class _BaseItaliana(BaseLoader):
    """A Jinja loader around xlwings Server's: `base.html` with the Italian texts of BASE_ITALIANA."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment, template):
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template == "base.html":
            for en, it in BASE_ITALIANA:
                source = source.replace(en, it)
        return source, filename, uptodate

    def list_templates(self):
        return self.inner.list_templates()


def pagina_italiana(env) -> None:
    """Serve xlwings Server's base template in Italian (its loader wrapped once)."""
    if not isinstance(env.loader, _BaseItaliana):
        env.loader = _BaseItaliana(env.loader)
        if env.cache is not None:
            env.cache.clear()


def crea_app():
    """The ASGI application of the add-in (see the module docstring)."""
    ambiente()
    from fastapi.exceptions import HTTPException, RequestValidationError
    from fastapi.responses import JSONResponse
    from xlwings_server import dependencies as dep
    from xlwings_server.config import settings
    from xlwings_server.main import app, main_app

    import custom_functions
    import custom_scripts

    controlla_configurazione()
    limite = limite_richiesta()
    from xlwings_server.templates import templates

    from addin.xlbridge import risigillabili

    templates.env.globals["rendiconta"] = impostazioni_manifest()
    templates.env.globals["risigillabili"] = risigillabili()
    pagina_italiana(templates.env)

    async def corpo_cartella(request: Request) -> dict:
        try:
            # megabytes: parsed and their cells checked off the loop
            data, cella = await run_in_threadpool(_cartella_json, await request.body())
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "Dati della cartella non validi: il corpo non è JSON.") from None
        if cella is not None:
            foglio, riga, colonna = cella
            raise HTTPException(400, f"Dati della cartella non validi: foglio «{foglio}», riga {riga}, colonna "
                                     f"{colonna}: valore di cella non ammesso (solo testo, numeri, VERO/FALSO o "
                                     "vuoto). Aggiornare il componente aggiuntivo e riprovare.")
        sheets = data.get("sheets") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("book"), dict) or not isinstance(sheets, list) \
                or not all(isinstance(s, dict) and isinstance(s.get("name"), str)
                           and isinstance(s.get("values"), list) for s in sheets) \
                or not isinstance(data.get("args", []), list) \
                or not all(isinstance(data.get(k), str) for k in ("version", "client")):
            raise HTTPException(400, "Dati della cartella non validi: aggiornare il componente aggiuntivo "
                                     "(tasto destro sul riquadro, Ricarica) e riprovare.")
        return data

    async def richiesta_non_valida(request, exc):
        return JSONResponse({"detail": "Richiesta non valida: aggiornare il componente aggiuntivo e riprovare."},
                            status_code=400)

    app.dependency_overrides[dep.parse_book_input] = corpo_cartella
    app.add_exception_handler(RequestValidationError, richiesta_non_valida)
    _script_fuori_dal_ciclo(app, settings.app_path)
    return Guardia(main_app, limite, _nomi(custom_scripts, "__xlscript__"),
                   _nomi(custom_functions, "__xlfunc__"), settings.app_path, Esecutore.da_ambiente())




def _cartella_json(body: bytes) -> tuple[object, tuple[str, int, str] | None]:
    """The workbook a script receives, parsed, and the first cell that is not what Excel sends as a
    value (text, number, boolean or empty: never an object or a list, which xlwings cannot hold) as
    (sheet, row, column letter); None when every cell is a value."""
    from addin.xlbridge import TIPI_CELLA

    data = json.loads(body)
    sheets = data.get("sheets") if isinstance(data, dict) else None
    for s in sheets if isinstance(sheets, list) else ():
        values = s.get("values") if isinstance(s, dict) else None
        if not isinstance(values, list):
            continue
        for i, row in enumerate(values):
            if not isinstance(row, list):
                return data, (str(s.get("name")), i + 1, "A")
            if not TIPI_CELLA.issuperset(map(type, row)):      # about 1 ms per 1,000 rows of 30 cells
                from openpyxl.utils import get_column_letter

                j = next(j for j, c in enumerate(row) if type(c) not in TIPI_CELLA)
                return data, (str(s.get("name")), i + 1, get_column_letter(j + 1))
    return data, None


def progetto_con_statici(cartella: Path) -> Path:
    """A copy of the project folder whose static files and templates are built by xlwings Server
    (`xlwings-server build static`): every file name carries a build tag, so that Excel's web view,
    which caches hard, never runs yesterday's main.js against today's server."""
    import sys

    dest = cartella / "server"
    shutil.copytree(SERVER_DIR, dest, ignore=shutil.ignore_patterns("certs", "dist", "__pycache__", ".env"))
    exe = Path(sys.executable).with_name("xlwings-server")
    done = subprocess.run([str(exe if exe.exists() else "xlwings-server"), "build", "static", "-o", "dist"],
                          cwd=dest, capture_output=True, text=True, env={**os.environ, "XLWINGS_PROJECT_DIR": str(dest)})
    if done.returncode != 0 or not (dest / "dist" / "static").is_dir():
        raise ErroreSistema(f"preparazione dei file statici non riuscita: {(done.stderr or done.stdout).strip()[-300:]}")
    return dest


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


def avvia(host: str = "127.0.0.1", port: int = 8000, https: bool = True, cert_dir: Path | None = None,
          sviluppo: bool = False, installa_ca: bool = False) -> None:
    import uvicorn

    from addin import ruoli

    if sviluppo:
        if not _loopback(host):
            raise ErroreSistema(f"la modalità di sviluppo (tutti i ruoli senza accesso) è ammessa solo su "
                                   f"127.0.0.1, non su «{host}».")
        os.environ[ruoli.ENV_SVILUPPO] = "1"
    else:
        os.environ.pop(ruoli.ENV_SVILUPPO, None)
    controlla_porta(host, port)
    import atexit
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="rendiconta-server-"))
    atexit.register(shutil.rmtree, tmp, True)
    ambiente(progetto_con_statici(tmp))
    processi = crea_app().esecutore.processi   # the start-up checks fail here, before uvicorn starts
    ssl = {}
    if https:
        cert, key = certificati(cert_dir or SERVER_DIR / "certs", installa_ca)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    scheme = "https" if https else "http"
    print(f"Componente aggiuntivo su {scheme}://{host}:{port} - manifest: {scheme}://{host}:{port}/manifest "
          "(Ctrl+C per fermare)" + (" - MODALITÀ DI SVILUPPO: tutti i ruoli, solo da questo computer" if sviluppo
                                    else "")
          + (" - operazioni nel processo del server" if not processi else " - operazioni in 1 processo di lavoro"
             if processi == 1 else f" - operazioni in {processi} processi di lavoro"))
    uvicorn.run("addin.serve:crea_app", factory=True, host=host, port=port, log_level="info", **ssl)
