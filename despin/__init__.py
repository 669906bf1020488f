"""despin: find machine-spun text, show what was changed, restore it, trace its source.

>>> import despin
>>> despin.check("The cat sat on the mat.").verdict in ("clean", "spun")
True
"""
from . import _native

_native.use_fresh_sources()  # before anything imports the compiled modules

from .config import Config
from .core import check, preload, restore
from .errors import DespinError, InputError
from .report import Report, Span, Suggestion, apply

__all__ = ["check", "restore", "preload", "apply", "Report", "Span", "Suggestion", "Config", "DespinError", "InputError"]
__version__ = "0.1.0"
