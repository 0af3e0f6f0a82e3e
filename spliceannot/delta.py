"""The former name of :mod:`spliceannot.semantics.spliceai` (and of the generic
:mod:`spliceannot.records` types), kept so that code importing ``spliceannot.delta`` still works."""

import sys

from .semantics import spliceai as _spliceai

sys.modules[__name__] = _spliceai
