"""Transitional alias: the use case moved to addin.casi.blocca (remove once no branch imports addin.lock)."""

import sys

from addin.casi import blocca as _moved

sys.modules[__name__] = _moved
