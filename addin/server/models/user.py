"""The xlwings Server user model of the add-in: roles (partner, comune, capofila) are enforced only
when authentication is on. Without an auth provider every caller is the anonymous local user, and
the scripts' required roles would otherwise refuse everybody."""

from __future__ import annotations

from xlwings_server.models.user import User as _Base


class User(_Base):
    async def has_required_roles(self, required_roles: list[str] | None = None) -> bool:
        from xlwings_server.config import settings

        if not settings.auth_providers:
            return True
        return await super().has_required_roles(required_roles)
