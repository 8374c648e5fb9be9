"""Task-pane buttons (xlwings Server scripts).

Roles (addin.ruoli): `verifica` and `blocca` need «comune»; `valida` and `consolida` need none.
Without an authentication provider the server is closed: see addin/server/models/user.py.
Each script runs in a worker thread, off the server's event loop, so other users' calls (and the
RC functions) keep answering while a long Verifica runs.
"""

from __future__ import annotations

import xlwings as xw
from starlette.concurrency import run_in_threadpool
from xlwings import script

from addin import xlbridge
from addin.ruoli import COMUNE

__all__ = ["valida", "verifica", "blocca", "consolida"]

RUOLO_COMUNE = [COMUNE]
# the sheets the task pane sends (the others travel without their values)
FOGLI_PROGRAMMA = xlbridge.FOGLI_LETTI
FOGLI_CONSOLIDATO = xlbridge.FOGLI_CONSOLIDATO_LETTI


@script(include=FOGLI_PROGRAMMA)
async def valida(book: xw.Book):
    """Partner: Esito, Importo ammesso e Motivi sul foglio Spese (righe evidenziate dal modello), riepilogo."""
    await run_in_threadpool(xlbridge.valida, book)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
async def verifica(book: xw.Book):
    """Comune: verifica completa nei fogli Verifica, Campione e Osservazioni."""
    await run_in_threadpool(xlbridge.verifica, book)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
async def blocca(book: xw.Book):
    """Comune: sigilla le finestre chiuse in _meta e protegge le righe (callback del task pane)."""
    await run_in_threadpool(xlbridge.blocca, book)


@script(include=FOGLI_CONSOLIDATO)
async def consolida(book: xw.Book, fogli: dict | None = None):
    """Capofila: scrive nei fogli della cartella di consolidamento i dati preparati dal server
    a partire dalle cartelle dei programmi caricate dal task pane."""
    await run_in_threadpool(xlbridge.scrivi_consolidato, book, fogli or {})
