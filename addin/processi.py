"""The add-in's heavy work in worker processes, so that RC.* custom functions keep answering.

A 10,000-row Verifica run in a thread of the server holds Python's GIL for seconds: every custom
function of every other user waited for it (up to 1.2 s, README «Prestazioni»). The scripts
(Valida, Verifica, Blocca, Registra decisioni, Consolida) and the consolidation of the uploaded
workbooks therefore run in a small pool of worker processes (`concurrent.futures.ProcessPoolExecutor`,
*spawn* start method: no fork of a threaded server); the custom functions, which are tiny, stay in
the server process, which also keeps a higher CPU priority than the workers (os.nice +5 for them).

- The server process authenticates, checks roles and programme assignment, then sends the
  request's raw JSON body (not a re-encoded copy) to a worker; the worker builds the xlwings Book
  from it, runs the script and returns the response already encoded as JSON bytes. Neither the
  response's megabytes nor their encoding ever pass through the server process's GIL as objects.
- Each worker opens its own register connection (addin.registro.connessione caches engines per
  process); writers serialise on the register as separate processes always did (BEGIN IMMEDIATE on
  SQLite, row locks on PostgreSQL).
- Settings, read when the application is created: RENDICONTA_PROCESSI (number of workers, default
  2; 0 runs the scripts in threads of the server process, as before), RENDICONTA_MEMORIA_PROCESSO_MB
  (address-space limit of each worker where the OS supports it; default none). Workers read the
  environment when they start.
- Failures: a worker that runs out of memory answers 500, a worker that dies (killed, crashed)
  503, both in Italian; a dead worker breaks the pool (BrokenProcessPool), which is replaced at once.
  A request arriving after the pool broke goes to the new pool; one queued or running when the
  worker died is not repeated (it may have written to the register): the user presses again.
"""

from __future__ import annotations

import contextvars
import json
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable

ENV_PROCESSI = "RENDICONTA_PROCESSI"
ENV_MEMORIA = "RENDICONTA_MEMORIA_PROCESSO_MB"
PROCESSI_PREDEFINITI = 2
MASSIMO_PROCESSI = 32
PRIORITA_RIDOTTA = 5   # os.nice increment of the workers

MSG_MEMORIA = "Memoria insufficiente sul server per elaborare questa cartella: riprovare più tardi"
MSG_MEMORIA_LIMITE = MSG_MEMORIA + " o chiedere all'amministratore di alzare {env} (oggi {mb} MB)."
MSG_MEMORIA_SENZA_LIMITE = MSG_MEMORIA + "; se si ripete, avvisare l'amministratore del server."
MSG_INTERROTTO = ("L'operazione è stata interrotta sul server (processo di lavoro terminato): riprovare. Se "
                  "l'operazione scrive nel registro del Comune, controllare prima nel registro se l'atto c'è già.")
MSG_GUASTO = ("Errore interno del server durante l'operazione: riprovare; se si ripete, segnalarlo "
              "all'assistenza (i dettagli sono nel registro del server).")


def codifica(data: Any) -> bytes:
    """A script's response as JSON bytes: plain json.dumps (the bridge writes only JSON values),
    FastAPI's encoder for anything else."""
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        from fastapi.encoders import jsonable_encoder

        text = json.dumps(jsonable_encoder(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def _intero(env: str, predefinito: int | None, minimo: int, massimo: int, cosa: str) -> int | None:
    from addin.ruoli import ErroreRuoli

    raw = os.environ.get(env, "").strip()
    if not raw:
        return predefinito
    try:
        n = int(raw)
    except ValueError:
        n = minimo - 1
    if not minimo <= n <= massimo:
        raise ErroreRuoli(f"{env}=«{raw}» non è valido: indicare {cosa}, da {minimo} a {massimo}.")
    return n


# --- in the worker process -------------------------------------------------------------------------

def _avvio_processo(memoria_mb: int | None) -> None:
    """Initializer of each worker: Ctrl+C left to the server (it shuts the pool down), a lower CPU
    priority than the server's, the memory limit, the modules of the scripts imported once (the first
    request does not pay for them)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):   # when the CPUs are busy, the server's quick answers come before the scripts
        os.nice(PRIORITA_RIDOTTA)
    if memoria_mb:
        try:
            import resource
        except ImportError:   # Windows: no address-space limit
            resource = None
        if resource is not None:
            limite = memoria_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limite, limite))
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")
    import xlwings  # noqa: F401

    import addin.casi.verifica  # noqa: F401
    import addin.registro  # noqa: F401
    import addin.xlbridge  # noqa: F401


def _pronto() -> int:
    return os.getpid()


def _esito(fn: Callable[[], Any]) -> tuple[str, Any]:
    """Run `fn` in the worker; everything that goes back is a plain tuple of str/bytes (an exception
    that cannot be unpickled in the server would break the whole pool)."""
    from addin.errors import ErroreRendiconta

    try:
        return "ok", fn()
    except MemoryError:
        return "memoria", None
    except ErroreRendiconta as exc:
        return "errore", str(exc)
    except Exception:
        import traceback

        traceback.print_exc()   # on the server's error output, as an error of a thread would be
        return "guasto", None


def _script_nel_processo(fn: Callable, corpo: bytes, args: tuple, kwargs: dict) -> tuple[str, Any]:
    def run() -> bytes:
        import xlwings as xw

        data = json.loads(corpo)
        data.pop("args", None)   # the script's arguments travel in args/kwargs (as the server parsed them)
        book = xw.Book(json=data)
        try:
            fn(book, *args, **kwargs)
            return codifica(book.json())
        finally:
            book.close()

    return _esito(run)


def _chiamata_nel_processo(fn: Callable, args: tuple, kwargs: dict) -> tuple[str, Any]:
    return _esito(lambda: fn(*args, **kwargs))


# --- in the server process -------------------------------------------------------------------------

class Esecutore:
    """The pool of worker processes of one application (created on first use, replaced when broken,
    shut down with the application's lifespan). `processi == 0`: no pool, threads of the server."""

    def __init__(self, processi: int, memoria_mb: int | None = None) -> None:
        self.processi, self.memoria_mb = processi, memoria_mb
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.compiti = 0   # tasks the workers completed (whatever their outcome)

    @classmethod
    def da_ambiente(cls) -> "Esecutore":
        """From RENDICONTA_PROCESSI and RENDICONTA_MEMORIA_PROCESSO_MB (Italian error when invalid)."""
        processi = _intero(ENV_PROCESSI, min(PROCESSI_PREDEFINITI, os.cpu_count() or 1), 0, MASSIMO_PROCESSI,
                           "il numero di processi di lavoro (0: nel processo del server)")
        memoria = _intero(ENV_MEMORIA, None, 256, 1024 * 1024, "i megabyte di memoria di ogni processo di lavoro")
        return cls(processi, memoria)

    def _attuale(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                import multiprocessing

                self._pool = ProcessPoolExecutor(self.processi, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_avvio_processo, initargs=(self.memoria_mb,))
            return self._pool

    def _rinnova(self, rotto: ProcessPoolExecutor) -> None:
        """Replace the broken pool (once, whoever notices first) and start the new workers."""
        with self._lock:
            nuovo = self._pool is rotto
            if nuovo:
                self._pool = None
        rotto.shutdown(wait=False, cancel_futures=True)
        if nuovo:
            self.avvia()

    def avvia(self) -> None:
        """Start the workers now (application start-up), so that the first request does not wait for
        them; returns at once."""
        if self.processi:
            pool = self._attuale()
            for _ in range(self.processi):
                pool.submit(_pronto)

    def chiudi(self) -> None:
        """Shut the pool down (application shutdown): running tasks finish, queued ones are cancelled."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _invia(self, fn: Callable, *args):
        """(pool, future) of `fn(*args)` sent to a worker."""
        pool = self._attuale()
        try:
            return pool, pool.submit(fn, *args)
        except BrokenProcessPool:   # broken before this task started: the new pool runs it
            self._rinnova(pool)
            pool = self._attuale()
            return pool, pool.submit(fn, *args)

    async def _attendi(self, fn: Callable, *args) -> Any:
        import asyncio

        from fastapi import HTTPException

        pool, fut = self._invia(fn, *args)
        try:
            stato, valore = await asyncio.wrap_future(fut)
        except BrokenProcessPool:   # a worker died while this task was queued or running
            self._rinnova(pool)
            raise HTTPException(503, MSG_INTERROTTO) from None
        self.compiti += 1
        if stato == "ok":
            return valore
        if stato == "memoria":
            raise HTTPException(500, MSG_MEMORIA_LIMITE.format(env=ENV_MEMORIA, mb=self.memoria_mb) if self.memoria_mb
                                else MSG_MEMORIA_SENZA_LIMITE)
        if stato == "errore":
            from addin.errors import ErroreRendiconta

            raise ErroreRendiconta(valore)
        raise HTTPException(500, MSG_GUASTO)

    async def script(self, fn: Callable, corpo: bytes, *args, **kwargs) -> bytes:
        """Run script `fn(book, *args, **kwargs)` in a worker on the Book of the request body `corpo`;
        the response (book.json()) as JSON bytes."""
        return await self._attendi(_script_nel_processo, fn, corpo, args, kwargs)

    async def chiama(self, fn: Callable, *args, **kwargs) -> Any:
        """`fn(*args, **kwargs)` in a worker (module-level function, picklable arguments and result);
        an ErroreRendiconta comes back as ErroreRendiconta with the same message."""
        if not self.processi:
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(fn, *args, **kwargs)
        return await self._attendi(_chiamata_nel_processo, fn, args, kwargs)


# --- the current request --------------------------------------------------------------------------

@dataclass
class Lavoro:
    """One script request: the application's pool, the raw body; `risposta` is set when a worker
    produced the response."""

    esecutore: Esecutore | None
    corpo: bytes
    risposta: bytes | None = field(default=None, repr=False)


LAVORO: contextvars.ContextVar[Lavoro | None] = contextvars.ContextVar("rendiconta_lavoro", default=None)


async def esegui(fn: Callable, book, *args, **kwargs) -> None:
    """What a script (macros_py.scripts) calls, after its checks, to do its work: `fn(book, ...)` in a
    worker process when the application has a pool (the response then comes from the worker),
    otherwise in a thread of the server process (no pool, or called outside a request)."""
    lavoro = LAVORO.get()
    if lavoro is None or lavoro.esecutore is None or not lavoro.esecutore.processi:
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(fn, book, *args, **kwargs)
        return
    if book.json()["actions"]:
        raise RuntimeError("esegui: the script wrote to the book before its work was dispatched")
    lavoro.risposta = await lavoro.esecutore.script(fn, lavoro.corpo, *args, **kwargs)
