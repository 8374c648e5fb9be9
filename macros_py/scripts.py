"""Task-pane buttons (xlwings Server scripts) and their desktop twins (RunPython).

Roles: with authentication on (see docs/addin.md) `verifica` and `blocca` need the role
«comune»; `valida` and `consolida` are open to every authenticated user.
"""

from __future__ import annotations

import xlwings as xw
from xlwings import script

from addin import xlbridge

__all__ = ["valida", "verifica", "blocca", "consolida"]

RUOLO_COMUNE = ["comune"]
# the sheets the task pane sends (the others travel without their values)
FOGLI_PROGRAMMA = xlbridge.FOGLI_LETTI
FOGLI_CONSOLIDATO = xlbridge.FOGLI_CONSOLIDATO_LETTI


@script(include=FOGLI_PROGRAMMA)
def valida(book: xw.Book):
    """Partner: Esito, Importo ammesso e Motivi sul foglio Spese (righe evidenziate dal modello), riepilogo."""
    xlbridge.valida(book)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
def verifica(book: xw.Book):
    """Comune: verifica completa nei fogli Verifica, Campione e Osservazioni."""
    xlbridge.verifica(book)


@script(required_roles=RUOLO_COMUNE, include=FOGLI_PROGRAMMA)
def blocca(book: xw.Book):
    """Comune: sigilla le finestre chiuse in _meta e protegge le righe (callback del task pane)."""
    xlbridge.blocca(book)


@script(include=FOGLI_CONSOLIDATO)
def consolida(book: xw.Book, fogli: dict | None = None):
    """Capofila: scrive nei fogli della cartella di consolidamento i dati preparati dal server
    a partire dalle cartelle dei programmi caricate dal task pane."""
    xlbridge.scrivi_consolidato(book, fogli or {})
