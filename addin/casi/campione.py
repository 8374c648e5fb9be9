"""Use case: the Comune draws the personnel audit sample once (`rendiconta campione estrai`).

The seed comes from the operating system's cryptographic generator (`secrets`), so nobody can
compute it in advance; the draw is recorded as a CAMPIONE act with its seed, the population drawn
from and the persons drawn. Later checks show that frozen sample (persons added afterwards change
nothing). Drawing again for a semester needs a motivation and is a new act referencing the old one.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from addin.casi.atti_registro import leggi_atti
from addin.config.models import Config
from addin.errors import ErroreInput
from addin.registro import Atto
from addin.registro.atti import CAMPIONE
from addin.rules.sampling import campione_personale, popolazione


def estrai_campione(registro, path: str | Path, config: Config, semestre: int, *, motivo: str | None = None,
                    operatore: str | None = None, seme: int | None = None) -> Atto:
    """Draw and record the sample of `semestre` (1 or 2) of the workbook's programme and year.
    `seme` only for tests; by default a fresh 63-bit seed from `secrets`."""
    from addin.workbook.reader import leggi_cartella

    if semestre not in (1, 2):
        raise ErroreInput("il semestre è 1 o 2 (--semestre).")
    c = leggi_cartella(path, config)
    with registro.scrittura(c.programma, c.anno, autore=operatore) as w:
        previous = leggi_atti(c.programma, c.anno, w.atti(CAMPIONE)).campioni.get(semestre)
        if previous is not None and not (motivo or "").strip():
            raise ErroreInput(f"il campione del semestre {semestre} è già stato estratto il "
                              f"{previous.data:%d/%m/%Y} (atto {previous.posizione}): una nuova estrazione "
                              "richiede la motivazione (--motivo \"...\").")
        seed = seme if seme is not None else secrets.randbits(63)
        draw = campione_personale(config, c.spese, c.programma, c.anno, semestre, seed)
        dati = {"semestre": semestre, "seme": seed, "popolazione": popolazione(config, c.spese, c.anno, semestre),
                "dimensione": draw.dimensione, "estratti": list(draw.estratti)}
        if previous is not None:
            dati["motivo"] = motivo.strip()
        return w.registra(CAMPIONE, dati, riferimento=previous.posizione if previous else None)
