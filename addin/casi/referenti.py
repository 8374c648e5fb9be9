"""The Comune officers (Posizioni Organizzative) assigned to each programme: REFERENTI acts in the
programme's year-less chain (anno = 0); the latest act is the list in force.

API for the add-in server's roles (issue 14): with authentication on, an officer decides, seals and
checks only the programmes `puo_operare` allows.
"""

from __future__ import annotations

from addin.errors import ErroreInput, ErroreRegistro
from addin.registro import Atto
from addin.registro.atti import ANNO_PROGRAMMA, REFERENTI
from addin.rules.lookup import norm


def referenti(registro, programma: int) -> list[str]:
    """The officers assigned to the programme (empty when none was ever recorded)."""
    acts = registro.atti(programma, ANNO_PROGRAMMA, REFERENTI)
    return [r["nome"] for r in acts[-1].dati["referenti"]] if acts else []


def assegna_referenti(registro, config, programma: int, nomi: list[str], *, motivo: str | None = None,
                      operatore: str | None = None) -> Atto:
    """Record the officers assigned to a programme (replacing the previous list)."""
    if programma not in {p.codice for p in config.programmi}:
        raise ErroreInput(f"il programma {programma} non è nella configurazione.")
    clean = list(dict.fromkeys(n.strip() for n in nomi if n and n.strip()))
    if not clean:
        raise ErroreInput("indicare almeno un referente (--referente \"Nome Cognome\").")
    with registro.scrittura(programma, ANNO_PROGRAMMA, autore=operatore) as w:
        previous = w.atti(REFERENTI)
        dati = {"referenti": [{"nome": n} for n in clean]}
        if motivo:
            dati["motivo"] = motivo.strip()
        return w.registra(REFERENTI, dati, riferimento=previous[-1].posizione if previous else None)


def programmi_di(registro, nome: str, programmi) -> list[int]:
    """The programmes (among `programmi`) an officer is assigned to (names compared as norm() does)."""
    key = norm(nome)
    return [p for p in programmi if any(norm(n) == key for n in referenti(registro, p))]


def puo_operare(registro, nome: str, programma: int) -> bool:
    """True when the officer is among the programme's assigned officers."""
    key = norm(nome)
    return any(norm(n) == key for n in referenti(registro, programma))


class ErroreAutorizzazione(ErroreRegistro):
    """An officer acting on a programme not assigned to them (the register refuses the act)."""


def controlla_referente(registro, nome: str | None, programma: int) -> None:
    """Refuse an act of an officer not assigned to the programme. Nothing is checked when no officer
    is named (authentication off) or when no officer was ever assigned to the programme."""
    if nome is None:
        return
    names = referenti(registro, programma)
    if names and not puo_operare(registro, nome, programma):
        raise ErroreAutorizzazione(f"{nome} non è tra i referenti del programma {programma} "
                                   f"({', '.join(names)}): l'operazione è riservata a loro.")
