"""despin: find machine-spun text, show what was changed, restore it, trace its source.

>>> import despin
>>> despin.check("The cat sat on the mat.").verdict in ("clean", "spun")
True
"""
from .config import Config
from .core import check, preload, restore
from .errors import DespinError, InputError
from .report import Report, Span, Suggestion, apply

__all__ = ["check", "restore", "preload", "apply", "Report", "Span", "Suggestion", "Config", "DespinError", "InputError"]
__version__ = "0.1.0"
