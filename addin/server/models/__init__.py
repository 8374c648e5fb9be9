from .user import User  # noqa: F401
