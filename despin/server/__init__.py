"""`despin serve`: an HTTP API and a web page over `despin.check` (an adapter; no logic of its own).

>>> from despin.server import create_app
>>> create_app().title
'despin'
"""
from .app import create_app

__all__ = ["create_app"]
