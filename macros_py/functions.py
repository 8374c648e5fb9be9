"""Excel custom functions (namespace RC, set in the add-in manifest): thin wrappers over addin.

Dates come in as Excel dates (serial numbers, converted by xlwings) and go out as dates.
Amounts go out as numbers rounded to cents. Errors become an Italian text in the cell.
"""

from __future__ import annotations

import datetime as dt

from xlwings import arg, func, ret

from addin import xlbridge

__all__ = ["finestra", "finestra_chiusa", "scadenza_blocco", "tranche", "scadenza_tranche", "cofin_minimo",
           "cofin_mancante", "cofin_quota", "tariffa_volontari", "esito"]


@func
@arg("data", dt.date, doc="Data della spesa (pagamento o documento).")
def finestra(data):
    """Finestra rendicontativa della data, es. «1/2026»."""
    return xlbridge.finestra(data)


@func
@arg("data", dt.date, doc="Data della spesa.")
@arg("riferimento", dt.date, doc="Data di riferimento (predefinita: oggi).")
def finestra_chiusa(data, riferimento=None):
    """VERO se la finestra della data è già bloccata alla data di riferimento."""
    return xlbridge.finestra_chiusa(data, riferimento)


@func
@arg("data", dt.date, doc="Data della spesa.")
@ret(date_format="dd/mm/yyyy")
def scadenza_blocco(data):
    """Data di blocco della finestra in cui cade la data."""
    return xlbridge.scadenza_blocco(data)


@func
@arg("contributo", doc="Contributo comunale annuo (euro).")
@arg("n", doc="Numero della tranche (1, 2 o 3 = saldo).")
def tranche(contributo, n):
    """Importo della tranche n del contributo (60% / 30% / saldo)."""
    return xlbridge.tranche(contributo, n)


@func
@arg("anno", doc="Anno di rendicontazione.")
@arg("n", doc="Numero della tranche.")
@ret(date_format="dd/mm/yyyy")
def scadenza_tranche(anno, n):
    """Scadenza di pagamento della tranche n dell'anno."""
    return xlbridge.scadenza_tranche(anno, n)


@func
@arg("costo_totale", doc="Costo totale del programma (comunale + cofinanziamento).")
def cofin_minimo(costo_totale):
    """Cofinanziamento minimo richiesto (10% del costo totale)."""
    return xlbridge.cofin_minimo(costo_totale)


@func
@arg("comunale", doc="Contributo comunale (euro).")
@arg("cofin", doc="Cofinanziamento (euro).")
def cofin_mancante(comunale, cofin):
    """Cofinanziamento che manca al minimo del 10% del costo totale: 10/90 del contributo comunale meno il
    cofinanziamento (aggiunto, porta la quota esattamente al 10%)."""
    return xlbridge.cofin_mancante(comunale, cofin)


@func
@arg("cofin", doc="Cofinanziamento (euro).")
@arg("costo_totale", doc="Costo totale (euro).")
def cofin_quota(cofin, costo_totale):
    """Quota di cofinanziamento sul costo totale (frazione: formattare come percentuale)."""
    return xlbridge.cofin_quota(cofin, costo_totale)


@func
@arg("anno", doc="Anno (predefinito: anno corrente).")
def tariffa_volontari(anno=None):
    """Valore orario massimo del volontariato dalla tabella ministeriale in vigore."""
    return xlbridge.tariffa_volontari(anno)


@func
@arg("riga", ndim=2, doc="Una riga del foglio Spese, dalla colonna Azione in poi.")
def esito(riga):
    """Esito e motivi di una riga di spesa (controlli della singola riga)."""
    return xlbridge.esito_riga(riga)
