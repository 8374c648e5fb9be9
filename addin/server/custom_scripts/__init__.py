# The add-in scripts live in macros_py (this module only re-exports them).
from macros_py.scripts import *  # noqa: F401,F403
