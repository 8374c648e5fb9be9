"""Excel custom functions (namespace RC, set in the add-in manifest): thin wrappers over addin.

Arguments arrive as the cells hold them (no xlwings conversion) and go through the project's
parser in addin.xlbridge: dates as serial numbers, gg/mm/aaaa or ISO text. Dates go out as
dates, amounts as numbers rounded to cents. A wrong argument is an Excel error (#VALUE!) whose
message, shown on the cell's error flag, is Italian: the server answers 400, which the add-in
does not retry. Functions whose result depends on today are volatile. The work runs in a worker
thread, so a function answers while a long Verifica runs for another user.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from xlwings import XlwingsError, arg, func, ret

from addin import xlbridge

__all__ = ["finestra", "finestra_chiusa", "scadenza_blocco", "tranche", "scadenza_tranche", "cofin_minimo",
           "cofin_mancante", "cofin_quota", "tariffa_volontari", "esito"]


async def _esegui(fn, *args):
    try:
        return await run_in_threadpool(fn, *args)
    except xlbridge.ErroreCella as exc:
        raise XlwingsError(str(exc)) from None



@func
@arg("data", doc="Data della spesa (pagamento o documento).")
async def finestra(data):
    """Finestra rendicontativa della data, es. «1/2026»."""
    return await _esegui(xlbridge.finestra, data)


@func(volatile=True)
@arg("data", doc="Data della spesa.")
@arg("riferimento", doc="Data di riferimento (predefinita: oggi).")
async def finestra_chiusa(data, riferimento=None):
    """VERO se la finestra della data è già bloccata alla data di riferimento (predefinita: oggi)."""
    return await _esegui(xlbridge.finestra_chiusa, data, riferimento)


@func
@arg("data", doc="Data della spesa.")
@ret(date_format="dd/mm/yyyy")
async def scadenza_blocco(data):
    """Data di blocco della finestra in cui cade la data."""
    return await _esegui(xlbridge.scadenza_blocco, data)


@func
@arg("contributo", doc="Contributo comunale annuo (euro).")
@arg("n", doc="Numero della tranche (1, 2 o 3 = saldo).")
async def tranche(contributo, n):
    """Importo della tranche n del contributo (60% / 30% / saldo)."""
    return await _esegui(xlbridge.tranche, contributo, n)


@func
@arg("anno", doc="Anno di rendicontazione.")
@arg("n", doc="Numero della tranche.")
@ret(date_format="dd/mm/yyyy")
async def scadenza_tranche(anno, n):
    """Scadenza di pagamento della tranche n dell'anno."""
    return await _esegui(xlbridge.scadenza_tranche, anno, n)


@func
@arg("costo_totale", doc="Costo totale del programma (comunale + cofinanziamento).")
async def cofin_minimo(costo_totale):
    """Cofinanziamento minimo richiesto (10% del costo totale)."""
    return await _esegui(xlbridge.cofin_minimo, costo_totale)


@func
@arg("comunale", doc="Contributo comunale (euro).")
@arg("cofin", doc="Cofinanziamento (euro).")
async def cofin_mancante(comunale, cofin):
    """Cofinanziamento che manca al minimo del 10% del costo totale: 10/90 del contributo comunale meno il
    cofinanziamento (aggiunto, porta la quota esattamente al 10%)."""
    return await _esegui(xlbridge.cofin_mancante, comunale, cofin)


@func
@arg("cofin", doc="Cofinanziamento (euro).")
@arg("costo_totale", doc="Costo totale (euro).")
async def cofin_quota(cofin, costo_totale):
    """Quota di cofinanziamento sul costo totale (frazione: formattare come percentuale)."""
    return await _esegui(xlbridge.cofin_quota, cofin, costo_totale)


@func(volatile=True)
@arg("anno", doc="Anno (predefinito: anno corrente).")
async def tariffa_volontari(anno=None):
    """Valore orario massimo del volontariato dalla tabella ministeriale in vigore (predefinito: quest'anno)."""
    return await _esegui(xlbridge.tariffa_volontari, anno)


@func(volatile=True)
@arg("righe", ndim=2, doc="Righe del foglio Spese, dalla colonna Azione in poi.")
async def esito(righe):
    """Esito e motivi di ogni riga di spesa dell'intervallo (controlli della singola riga, alla data di oggi)."""
    return await _esegui(xlbridge.esito_riga, righe)
