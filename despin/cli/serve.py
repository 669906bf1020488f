"""`despin serve`: the HTTP API and web page under uvicorn (an adapter over despin.server)."""
from __future__ import annotations

import click

from ._common import user_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. The default is loopback only; use 0.0.0.0 to expose it.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--profile", "profiles", multiple=True, type=click.Path(exists=False),
              help="Spinner profile file or directory of profiles (repeatable).")
@click.option("--index", "index", default=None, type=click.Path(file_okay=False),
              help="Trace index directory: enables POST /v1/trace and source-aware checks.")
@click.option("--max-body", default=1_000_000, show_default=True, type=click.IntRange(min=1),
              help="Largest request body in bytes; larger ones get 413.")
@click.option("--timeout", "timeout_s", default=10.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Per-request time limit in seconds; slower requests get 503.")
@click.option("--queue-timeout", "queue_timeout_s", default=60.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Longest wait for a free worker under load before 503 'busy'.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Checks run at once in threads (with --workers 1; trace queries always).")
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="Allow browser pages from this origin to call the API (repeatable; off by default).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Check processes, one per core (each loads its own lexicon and language model); "
                   "all requests wait in one first-come, first-served queue.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@user_errors
def serve(host: str, port: int, profiles: tuple[str, ...], index: str | None, max_body: int, timeout_s: float,
          queue_timeout_s: float, threads: int, cors_origins: tuple[str, ...], workers: int, log_level: str) -> None:
    """Serve the HTTP API (/v1/check, /v1/restore, /v1/trace, /healthz) and the web page at /.

    \b
    Example:
      despin serve --port 8000 --profile spinner.jsonl
      curl -s localhost:8000/v1/check -H 'content-type: application/json' -d '{"text": "..."}'
    """
    try:
        import uvicorn

        from ..server.app import create_app
    except ImportError as e:
        raise click.ClickException(f"serve needs the serve extra (pip install 'despin[serve]'): {e}") from None
    settings = {"profile": list(profiles) or None, "index": index, "max_body": max_body, "timeout_s": timeout_s,
                "queue_timeout_s": queue_timeout_s, "threads": threads, "cors_origins": list(cors_origins)}
    if workers > 1:
        settings["processes"] = workers
    # A bad profile or index fails here, with one line, before anything listens.
    app = create_app(**settings)  # type: ignore[arg-type]
    click.echo(f"despin serve: http://{'[' + host + ']' if ':' in host else host}:{port}/", err=True)
    # One HTTP process (uvloop and httptools when installed: the serve extra brings them);
    # checks go to the worker processes.
    uvicorn.run(app, host=host, port=port, log_level=log_level)
