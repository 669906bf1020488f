"""despin: find machine-spun text, show what was changed, restore it, trace its source.

>>> import despin
>>> despin.check("The cat sat on the mat.").verdict in ("clean", "spun")
True
"""
from . import _native

_native.use_fresh_sources()  # before anything imports the compiled modules

from .config import Config  # noqa: E402
from .core import check, preload, restore  # noqa: E402
from .errors import DespinError, InputError  # noqa: E402
from .report import Report, Span, Suggestion, apply  # noqa: E402

__all__ = ["check", "restore", "preload", "apply", "Report", "Span", "Suggestion", "Config", "DespinError", "InputError"]
__version__ = "0.1.0"
