"""Who may do what in the add-in: the role names and where a user's roles and programmes come from.

Roles are lowercase Italian words; a name the program does not know (e.g. «Comune» with a capital C)
is an error at start-up, never silently dropped. The roles and access codes come from the users
file of the token provider (RENDICONTA_UTENTI; with Microsoft Entra ID, from its app roles); the
programmes a Comune officer may check and lock come from the Comune's register: the latest
REFERENTI act of each programme (`ReferentiRegistro`). While the register holds no REFERENTI act,
every officer works on every programme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from addin.errors import EXIT_CONFIG, ErroreRendiconta

PARTNER, COMUNE, CAPOFILA = "partner", "comune", "capofila"
RUOLI = (PARTNER, COMUNE, CAPOFILA)

ENV_UTENTI = "RENDICONTA_UTENTI"
ENV_SVILUPPO = "RENDICONTA_SVILUPPO_LOCALE"   # set only by `rendiconta serve --sviluppo` on 127.0.0.1
IMPOSTAZIONE_AUTENTICAZIONE = "XLWINGS_AUTH_PROVIDERS"


class ErroreRuoli(ErroreRendiconta):
    """The roles or users configuration of the server is invalid (the server does not start)."""

    exit_code = EXIT_CONFIG


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
    email: str = ""
    programmi: tuple[int, ...] | None = None   # programmes assigned; None: every programme


class FonteRuoli(Protocol):
    """Where the server learns a user's roles and programmes from an access code."""

    def utente(self, codice: str) -> Utente | None: ...


class ElencoUtenti:
    """The users file of the «custom» token provider (JSON, kept outside the repository):

        {"utenti": [{"nome": "Maria Rossi", "email": "m.rossi@comune.crema.cr.it", "ruoli": ["comune"],
                     "sha256": "<hex>"}]}

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
            self._per_hash[digest] = Utente(str(u.get("nome") or f"utente {i}"),
                                            tuple(controlla_ruoli(ruoli, dove)), str(u.get("email") or ""))

    def utente(self, codice: str) -> Utente | None:
        if not codice:
            return None
        digest = hashlib.sha256(codice.encode("utf-8")).hexdigest()
        for h, u in self._per_hash.items():
            if hmac.compare_digest(digest, h):
                return u
        return None


class ReferentiRegistro:
    """Users and roles from `utenti`; the programmes of a «comune» user from the register: those
    whose latest REFERENTI act lists the user (by name or e-mail, ignoring case). Read again at most
    every `ttl` seconds."""

    def __init__(self, utenti: FonteRuoli, registro, programmi: Iterable[int], ttl: float = 60.0) -> None:
        self.utenti, self.registro, self.programmi, self.ttl = utenti, registro, tuple(programmi), ttl
        self._letto: tuple[float, dict[str, set[int]] | None] | None = None

    def assegnazioni(self) -> dict[str, set[int]] | None:
        """name or e-mail (casefolded) -> programmes; None when no programme has a REFERENTI act."""
        import time

        from addin.registro.atti import ANNO_PROGRAMMA, REFERENTI

        now = time.monotonic()
        if self._letto is None or now - self._letto[0] > self.ttl:
            out: dict[str, set[int]] = {}
            trovati = False
            for p in self.programmi:
                atti = self.registro.atti(p, ANNO_PROGRAMMA, REFERENTI)
                if not atti:
                    continue
                trovati = True
                for r in atti[-1].dati.get("referenti", []):
                    for k in (r.get("nome"), r.get("email")):
                        if k:
                            out.setdefault(str(k).strip().casefold(), set()).add(p)
            self._letto = (now, out if trovati else None)
        return self._letto[1]

    def utente(self, codice: str) -> Utente | None:
        u = self.utenti.utente(codice)
        if u is None or COMUNE not in u.ruoli:
            return u
        mappa = self.assegnazioni()
        if mappa is None:
            return u
        assegnati = mappa.get(u.nome.strip().casefold(), set()) | mappa.get(u.email.strip().casefold(), set())
        return Utente(u.nome, u.ruoli, u.email, tuple(sorted(assegnati)))


def fonte_da_ambiente() -> FonteRuoli:
    """The users file (RENDICONTA_UTENTI) with the programmes of the register (RENDICONTA_REGISTRO)."""
    path = os.environ.get(ENV_UTENTI)
    if not path:
        raise ErroreRuoli(f"autenticazione «custom» attiva ma {ENV_UTENTI} non è impostata: indicare il file "
                          "JSON con gli utenti (vedere docs/addin.md).")
    from addin.config import default_config
    from addin.registro import Registro

    return ReferentiRegistro(ElencoUtenti(path), Registro.apri(), [p.codice for p in default_config().programmi])


def programma_consentito(programmi: Iterable[int] | None, programma: int | None) -> str | None:
    """None if a «comune» user assigned to `programmi` may act on `programma`; else the Italian reason."""
    if programmi is None:
        return None
    programmi = tuple(programmi)
    if programma is not None and programma in programmi:
        return None
    elenco = ", ".join(str(p) for p in programmi) or "nessuno"
    return (f"Il programma {programma if programma is not None else '?'} non è assegnato a questo utente "
            f"(programmi assegnati: {elenco}). I referenti di ogni programma sono nel registro del Comune.")


def sviluppo_locale() -> bool:
    return os.environ.get(ENV_SVILUPPO) == "1"


def messaggio_senza_autenticazione(ruoli: Iterable[str]) -> str:
    return ("Operazione riservata al ruolo «" + "», «".join(ruoli) + "»: questo server non ha un sistema di "
            f"accesso (impostazione {IMPOSTAZIONE_AUTENTICAZIONE} vuota), quindi Verifica, Blocca e le "
            "scritture nel registro sono disattivate. Chiedere all'amministratore di impostare "
            f'{IMPOSTAZIONE_AUTENTICAZIONE}=["custom"] o ["entraid"] (docs/addin.md); per provare sul proprio '
            "computer: «rendiconta serve --sviluppo».")
