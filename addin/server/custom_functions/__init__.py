# The add-in functions live in macros_py (this module only re-exports them).
from macros_py.functions import *  # noqa: F401,F403
