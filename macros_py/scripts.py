"""Task-pane buttons (xlwings Server scripts).

Roles (addin.ruoli): `verifica`, `blocca`, `risigilla` and `registra_decisioni` need «comune» and a programme the register assigns to
the officer (REFERENTI acts); `valida` and `consolida` need none.
Without an authentication provider the server is closed: see addin/server/models/user.py.
The task pane reads the large sheets itself, in blocks of rows (static/js/rendiconta.js, leggiFogli: Excel
on the web refuses a read over 5 MB), and sends them as the script's last argument `fogli`; xlwings sends
only `_meta` (`include` in main.js). Without that argument (a task pane of an earlier version, whose
xlwings reads the sheets of the `include` below) the book's own values are read, as before.
Each script checks roles and programme in the server process, then does its work in a worker process
(addin.processi.esegui; in a thread when the server has no pool), so other users' calls (and the RC
functions) keep answering while a long Verifica runs.
"""

from __future__ import annotations

from addin.serve import ambiente

ambiente()   # before xlwings_server is imported: its models must be the project's (closed by default)

import xlwings as xw  # noqa: E402
from fastapi import HTTPException  # noqa: E402
from xlwings import script  # noqa: E402
from xlwings_server.models import CurrentUser  # noqa: E402

from addin import xlbridge  # noqa: E402
from addin.processi import esegui  # noqa: E402
from addin.ruoli import COMUNE, programma_consentito  # noqa: E402

__all__ = ["valida", "verifica", "blocca", "risigilla", "registra_decisioni", "consolida"]

RUOLO_COMUNE = [COMUNE]
# the sheets xlwings sends for a task pane of an earlier version (the others travel without their values);
# the current one sends only `_meta` this way, the large sheets as the script's argument
FOGLI_PROGRAMMA = xlbridge.FOGLI_LETTI
FOGLI_CONSOLIDATO = xlbridge.FOGLI_CONSOLIDATO_LETTI
# the officer's decisions are in Verifica; programme and year in `_meta` (not the expense rows: 5 MB)
FOGLI_DECISIONI = [xlbridge.schema.META, xlbridge.FOGLIO_VERIFICA]


def _inviati(fogli: object, ammessi: list[str]) -> xlbridge.FogliInviati | None:
    """The sheets the task pane sent, checked in the server process before the work is dispatched: a
    malformed argument or an unexpected sheet is a 400 with the Italian message."""
    from addin.errors import ErroreInput

    try:
        return xlbridge.fogli_inviati(fogli, ammessi)
    except ErroreInput as exc:
        raise HTTPException(400, str(exc)) from None


@script(include=FOGLI_PROGRAMMA)
async def valida(book: xw.Book, fogli: dict | None = None):
    """Partner: Esito, Importo ammesso e Motivi sul foglio Spese (righe evidenziate dal modello), riepilogo."""
    inviati = _inviati(fogli, xlbridge.FOGLI_DAL_RIQUADRO)
    await esegui(xlbridge.valida, book, inviati=inviati)


def _assegnato(book: xw.Book, utente: CurrentUser) -> None:
    """A Comune officer acts only on the programmes the register assigns to them."""
    motivo = programma_consentito(getattr(utente, "programmi", None), xlbridge.programma_della_cartella(book))
    if motivo:
        raise HTTPException(403, motivo)


def _operatore(utente: CurrentUser) -> str | None:
    """Who performs the register's acts: the authenticated user; None (the server's RENDICONTA_OPERATORE)
    in the local development mode, where nobody is authenticated."""
    from xlwings_server.config import settings

    return (getattr(utente, "name", None) or None) if settings.auth_providers else None


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
async def verifica(book: xw.Book, utente: CurrentUser, fogli: dict | None = None):
    """Comune: verifica completa nei fogli Verifica, Campione e Osservazioni, registrata nel registro."""
    _assegnato(book, utente)
    inviati = _inviati(fogli, xlbridge.FOGLI_DAL_RIQUADRO)
    await esegui(xlbridge.verifica, book, operatore=_operatore(utente), inviati=inviati)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
async def blocca(book: xw.Book, utente: CurrentUser, fogli: dict | None = None):
    """Comune: sigilla le finestre chiuse nel registro, ne copia i sigilli in _meta e protegge le righe
    (callback del task pane)."""
    _assegnato(book, utente)
    inviati = _inviati(fogli, xlbridge.FOGLI_DAL_RIQUADRO)
    await esegui(xlbridge.blocca, book, operatore=_operatore(utente), inviati=inviati)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
async def risigilla(book: xw.Book, utente: CurrentUser, finestra: str = "", motivo: str = "",
                    fogli: dict | None = None):
    """Comune: sigilla di nuovo una finestra già sigillata (nuovo atto SIGILLO con il motivo, che rimanda
    al precedente), come «rendiconta blocca --risigilla N --motivo»."""
    _assegnato(book, utente)
    inviati = _inviati(fogli, xlbridge.FOGLI_DAL_RIQUADRO)
    await esegui(xlbridge.risigilla, book, finestra, motivo, operatore=_operatore(utente), inviati=inviati)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_DECISIONI)
async def registra_decisioni(book: xw.Book, utente: CurrentUser, scadenza: str = "", fogli: dict | None = None):
    """Comune: registra nel registro le decisioni scritte nelle colonne del controllore del foglio
    Verifica (Tipologia errore, Commento del controllore, Importo decurtato); le richieste di
    integrazione con la scadenza scritta nel riquadro (gg/mm/aaaa)."""
    _assegnato(book, utente)
    inviati = _inviati(fogli, xlbridge.FOGLI_DAL_RIQUADRO_DECISIONI)
    await esegui(xlbridge.registra_decisioni, book, scadenza=scadenza or None, operatore=_operatore(utente),
                 inviati=inviati)


@script(include=FOGLI_CONSOLIDATO)
async def consolida(book: xw.Book, fogli: dict | None = None):
    """Capofila: scrive nei fogli della cartella di consolidamento i dati preparati dal server
    a partire dalle cartelle dei programmi caricate dal task pane."""
    await esegui(xlbridge.scrivi_consolidato, book, fogli or {})
