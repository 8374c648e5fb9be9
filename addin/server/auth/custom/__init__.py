"""Token authentication of the add-in (xlwings Server auth provider «custom»).

Turn it on with XLWINGS_AUTH_PROVIDERS=["custom"] and point RENDICONTA_UTENTI to a JSON file kept
outside the repository, listing the users with the SHA-256 of their access code and their roles:

    {"utenti": [{"nome": "Ufficio Servizi Sociali", "ruoli": ["comune"], "sha256": "<hex>"},
                {"nome": "Consorzio Arcobaleno", "ruoli": ["capofila", "partner"], "sha256": "<hex>"}]}

Roles: partner, comune, capofila. The task pane sends the access code typed by the user; only
its hash is stored on the server. With Microsoft Entra ID use the «entraid» provider instead and
define app roles with the same names (see docs/addin.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from fastapi import HTTPException, status

from xlwings_server.models import User

ENV_UTENTI = "RENDICONTA_UTENTI"
RUOLI = {"partner", "comune", "capofila"}


def _utenti() -> list[dict]:
    path = os.environ.get(ENV_UTENTI)
    if not path:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR,
                            f"Autenticazione attiva ma {ENV_UTENTI} non è impostata sul server.")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return list(data["utenti"])
    except (OSError, ValueError, KeyError, TypeError):
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR,
                            f"Elenco utenti {ENV_UTENTI} non leggibile.") from None


async def validate_token(token_string: str) -> User:
    token = (token_string or "").removeprefix("Bearer ").strip()
    if token:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        for u in _utenti():
            if hmac.compare_digest(digest, str(u.get("sha256", "")).lower()):
                ruoli = [r for r in u.get("ruoli", []) if r in RUOLI]
                return User(id=digest[:12], name=str(u.get("nome", "utente")), roles=ruoli)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Codice di accesso non valido.")
