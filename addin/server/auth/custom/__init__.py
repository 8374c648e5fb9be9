"""Token authentication of the add-in (xlwings Server auth provider «custom»).

Turn it on with XLWINGS_AUTH_PROVIDERS=["custom"] and point RENDICONTA_UTENTI to the JSON users file
described in addin.ruoli.ElencoUtenti (roles partner, comune, capofila; only the SHA-256 of each
access code is stored). The file is checked when the server starts (addin.serve.crea_app). With
Microsoft Entra ID use the «entraid» provider and app roles with the same names (docs/addin.md).
"""

from __future__ import annotations

from fastapi import HTTPException, status

from addin import ruoli
from xlwings_server.models import User

_fonte: ruoli.FonteRuoli | None = None


def imposta_fonte(fonte: ruoli.FonteRuoli | None) -> None:
    """The source of users and roles (set at start-up; None: read RENDICONTA_UTENTI on first use)."""
    global _fonte
    _fonte = fonte


def fonte() -> ruoli.FonteRuoli:
    global _fonte
    if _fonte is None:
        try:
            _fonte = ruoli.fonte_da_ambiente()
        except ruoli.ErroreRuoli as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    return _fonte


async def validate_token(token_string: str) -> User:
    codice = (token_string or "").removeprefix("Bearer ").strip()
    u = fonte().utente(codice)
    if u is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "Codice di accesso non valido: scriverlo nel riquadro (campo «Codice di accesso») "
                            "e premere Salva; chi non lo ha lo chiede al Comune.")
    return User(id=u.nome, name=u.nome, email=u.email or None, roles=list(u.ruoli),
                programmi=None if u.programmi is None else list(u.programmi))
