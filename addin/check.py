"""Transitional alias: the use case moved to addin.casi.verifica (remove once no branch imports addin.check)."""

import sys

from addin.casi import verifica as _moved

sys.modules[__name__] = _moved
