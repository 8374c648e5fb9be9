"""Who may do what in the add-in: the role names and where a user's roles come from.

Roles are lowercase Italian words; a name the program does not know (e.g. «Comune» with a capital C)
is an error at start-up, never silently dropped. Today the roles come from the users file of the
token provider (RENDICONTA_UTENTI) or from the app roles of Microsoft Entra ID; when the Comune's
register lands (officers per programme, «Referenti»), a `FonteRuoli` reading the register replaces
`ElencoUtenti` without touching the server or the scripts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from addin.errors import ErroreRendiconta

PARTNER, COMUNE, CAPOFILA = "partner", "comune", "capofila"
RUOLI = (PARTNER, COMUNE, CAPOFILA)

ENV_UTENTI = "RENDICONTA_UTENTI"
ENV_SVILUPPO = "RENDICONTA_SVILUPPO_LOCALE"   # set only by `rendiconta serve --sviluppo` on 127.0.0.1
IMPOSTAZIONE_AUTENTICAZIONE = "XLWINGS_AUTH_PROVIDERS"


class ErroreRuoli(ErroreRendiconta):
    """The roles or users configuration of the server is invalid (the server does not start)."""


def controlla_ruoli(nomi: Iterable[object], dove: str) -> list[str]:
    """The role names, each one known; otherwise an Italian error naming the wrong name and `dove`."""
    out = []
    for nome in nomi:
        if not isinstance(nome, str) or nome not in RUOLI:
            suggerimento = (f" (forse «{nome.strip().lower()}»?)" if isinstance(nome, str)
                            and nome.strip().lower() in RUOLI else "")
            raise ErroreRuoli(f"{dove}: ruolo «{nome}» sconosciuto{suggerimento}. "
                              f"Ruoli ammessi: {', '.join(RUOLI)}.")
        out.append(nome)
    return out


@dataclass(frozen=True)
class Utente:
    nome: str
    ruoli: tuple[str, ...]
    programmi: tuple[int, ...] = field(default=())   # programmes assigned (empty: all, as today)


class FonteRuoli(Protocol):
    """Where the server learns a user's roles and programmes from an access code."""

    def utente(self, codice: str) -> Utente | None: ...


class ElencoUtenti:
    """The users file of the «custom» token provider (JSON, kept outside the repository):

        {"utenti": [{"nome": "Ufficio Servizi Sociali", "ruoli": ["comune"], "sha256": "<hex>",
                     "programmi": [1, 2]}]}

    Only the SHA-256 of each access code is stored. The file is read and checked as a whole when
    the server starts: a wrong role, a missing hash or a duplicate code stop it with a message."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            righe = data["utenti"]
            if not isinstance(righe, list):
                raise TypeError
        except OSError as exc:
            raise ErroreRuoli(f"elenco utenti {self.path} non leggibile ({ENV_UTENTI}): {exc.strerror}.") from None
        except (ValueError, KeyError, TypeError):
            raise ErroreRuoli(f"elenco utenti {self.path} ({ENV_UTENTI}): serve un oggetto JSON "
                              "con la lista «utenti».") from None
        self._per_hash: dict[str, Utente] = {}
        for i, u in enumerate(righe, start=1):
            dove = f"elenco utenti {self.path.name}, utente {i}"
            if not isinstance(u, dict):
                raise ErroreRuoli(f"{dove}: serve un oggetto con nome, ruoli e sha256.")
            digest = str(u.get("sha256", "")).strip().lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ErroreRuoli(f"{dove}: «sha256» deve essere l'impronta SHA-256 (64 cifre esadecimali) "
                                  "del codice di accesso.")
            if digest in self._per_hash:
                raise ErroreRuoli(f"{dove}: lo stesso codice di accesso è già assegnato a "
                                  f"«{self._per_hash[digest].nome}».")
            ruoli = u.get("ruoli")
            if not isinstance(ruoli, list) or not ruoli:
                raise ErroreRuoli(f"{dove}: «ruoli» deve essere una lista non vuota ({', '.join(RUOLI)}).")
            programmi = u.get("programmi", [])
            if not isinstance(programmi, list) or not all(isinstance(p, int) and not isinstance(p, bool)
                                                          for p in programmi):
                raise ErroreRuoli(f"{dove}: «programmi» deve essere una lista di numeri di programma.")
            self._per_hash[digest] = Utente(str(u.get("nome") or f"utente {i}"),
                                            tuple(controlla_ruoli(ruoli, dove)), tuple(programmi))

    def utente(self, codice: str) -> Utente | None:
        if not codice:
            return None
        digest = hashlib.sha256(codice.encode("utf-8")).hexdigest()
        for h, u in self._per_hash.items():
            if hmac.compare_digest(digest, h):
                return u
        return None


def fonte_da_ambiente() -> FonteRuoli:
    path = os.environ.get(ENV_UTENTI)
    if not path:
        raise ErroreRuoli(f"autenticazione «custom» attiva ma {ENV_UTENTI} non è impostata: indicare il file "
                          "JSON con gli utenti (vedere docs/addin.md).")
    return ElencoUtenti(path)


def sviluppo_locale() -> bool:
    return os.environ.get(ENV_SVILUPPO) == "1"


def messaggio_senza_autenticazione(ruoli: Iterable[str]) -> str:
    return ("Operazione riservata al ruolo «" + "», «".join(ruoli) + "»: questo server non ha un sistema di "
            f"accesso (impostazione {IMPOSTAZIONE_AUTENTICAZIONE} vuota), quindi Verifica, Blocca e le "
            "scritture nel registro sono disattivate. Chiedere all'amministratore di impostare "
            f'{IMPOSTAZIONE_AUTENTICAZIONE}=["custom"] o ["entraid"] (docs/addin.md); per provare sul proprio '
            "computer: «rendiconta serve --sviluppo».")
