"""Use cases: the notice to the ATS of the expenses not admitted (`rendiconta avviso`) and the ATS's
observations on it (`rendiconta osservazioni`).

The notice fixes the deadline for observations (notice date + `regole.giorni_osservazioni`): later
checks show that date instead of one computed from their reference date. Observations record their
date, text and outcome; ACCOLTE revokes the decisions they concern.
"""

from __future__ import annotations

import datetime as dt

from addin.casi.atti_registro import leggi_atti
from addin.config.models import Config
from addin.errors import ErroreInput
from addin.registro import Atto
from addin.registro.atti import AVVISO, NON_AMMESSA, OSSERVAZIONI

ESITI_OSSERVAZIONI = ("ACCOLTE", "RESPINTE")


def registra_avviso(registro, config: Config, programma: int, anno: int, data_avviso: dt.date, *,
                    operatore: str | None = None) -> Atto:
    giorni = config.regole.giorni_osservazioni
    with registro.scrittura(programma, anno, autore=operatore) as w:
        state = leggi_atti(programma, anno, w.atti())
        decisions = sorted(d.posizione for d in state.decisioni.values() if d.esito == NON_AMMESSA)
        dati = {"data_avviso": data_avviso, "giorni_osservazioni": giorni,
                "scadenza_osservazioni": data_avviso + dt.timedelta(days=giorni), "decisioni": decisions}
        return w.registra(AVVISO, dati, data=data_avviso,
                          riferimento=state.avviso.posizione if state.avviso is not None else None)


def registra_osservazioni(registro, programma: int, anno: int, data_ricezione: dt.date, testo: str, esito: str,
                          decisioni: list[int], *, operatore: str | None = None) -> Atto:
    esito = esito.strip().upper()
    if esito not in ESITI_OSSERVAZIONI:
        raise ErroreInput(f"esito delle osservazioni «{esito}» non previsto: usare ACCOLTE o RESPINTE.")
    if not testo.strip():
        raise ErroreInput("indicare il testo (o un riassunto) delle osservazioni (--testo).")
    with registro.scrittura(programma, anno, autore=operatore) as w:
        state = leggi_atti(programma, anno, w.atti())
        if state.avviso is None:
            raise ErroreInput(f"nessun avviso all'ATS registrato per il programma {programma}, anno {anno}: "
                              "registrare prima l'avviso (rendiconta avviso).")
        standing = {d.posizione for d in state.decisioni.values()}
        unknown = [p for p in decisioni if p not in standing]
        if unknown:
            raise ErroreInput(f"atti {', '.join(map(str, unknown))}: non sono decisioni in vigore.")
        dati = {"data_ricezione": data_ricezione, "testo": testo.strip(), "esito": esito,
                "decisioni": sorted(decisioni),
                "decisioni_revocate": sorted(decisioni) if esito == "ACCOLTE" else [],
                "nei_termini": data_ricezione <= dt.date.fromisoformat(state.avviso.dati["scadenza_osservazioni"])}
        return w.registra(OSSERVAZIONI, dati, data=data_ricezione, riferimento=state.avviso.posizione)
