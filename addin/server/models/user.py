"""The xlwings Server user model of the add-in: closed by default.

With an auth provider, a script's required roles are checked against the user's roles (unknown
role names from a token are refused, not dropped). Without one, the anonymous caller has no role:
Valida, Consolida and the RC functions (no role required) stay open, Verifica and Blocca (role
«comune») and every register write are refused with an Italian message naming the setting. Only
the local development mode (`rendiconta serve --sviluppo`, 127.0.0.1 only) grants every role.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from addin import ruoli
from xlwings_server.models.user import User as _Base


class User(_Base):
    # programmes a «comune» user may check and lock (from the register's REFERENTI acts); None: all
    programmi: list[int] | None = None

    async def has_required_roles(self, required_roles: list[str] | None = None) -> bool:
        from xlwings_server.config import settings

        if not required_roles:
            return True
        if settings.auth_providers:
            try:
                ruoli.controlla_ruoli(self.roles, f"ruoli dell'utente «{self.name}»")
            except ruoli.ErroreRuoli as exc:
                raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
            if set(required_roles) <= set(self.roles):
                return True
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"Operazione riservata al ruolo «{'», «'.join(required_roles)}»: l'utente "
                                f"«{self.name}» ha i ruoli {', '.join(self.roles) or 'nessuno'}. "
                                "Usare il codice di accesso del Comune.")
        if ruoli.sviluppo_locale():
            return True
        raise HTTPException(status.HTTP_403_FORBIDDEN, ruoli.messaggio_senza_autenticazione(required_roles))
