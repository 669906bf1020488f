"""The HTTP adapter: a FastAPI app over `despin.check`, plus the web page at ``/``.

Endpoints (schema at ``/openapi.json``):

- ``POST /v1/check``   ``{"text", "options"?}`` -> the `Report` JSON, exactly ``Report.to_dict()``
- ``POST /v1/restore`` ``{"text", "options"?}`` -> ``{"restored"}``
- ``POST /v1/trace``   ``{"text", "top"?}`` -> ``{"matches": [...]}`` (404 without ``--index``)
- ``GET /healthz``     liveness, version, what is loaded

Guards, all enforced here rather than by the deployment: a request-body limit checked
before anything parses the body (413, chunked bodies too), a per-request time limit (503),
422 with a one-line ``detail`` for malformed JSON or fields, CORS off unless origins are
given, and no request ever names a file (profiles and the index are fixed at start-up).

>>> from fastapi.testclient import TestClient
>>> from despin.report import empty_report
>>> app = create_app(checker=lambda text, config: empty_report(text))
>>> TestClient(app).post("/v1/check", json={"text": "Hello."}).json()
{'score': 0.0, 'verdict': 'clean', 'spans': [], 'restored': 'Hello.'}
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..config import DEFAULT, Config
from ..core import preload
from ..errors import DataError, DespinError
from ..report import Report

log = logging.getLogger("despin.server")

STATIC_DIR = Path(__file__).with_name("static")
DEFAULT_MAX_BODY = 1_000_000
# Generous next to the detector's cost on a news article (milliseconds once warm), tight
# enough that one pathological request cannot hold a worker for minutes.
DEFAULT_TIMEOUT_S = 10.0
# Waiting for a free worker: under a burst, requests queue this long before a 503 "busy".
DEFAULT_QUEUE_TIMEOUT_S = 60.0
# Environment variable carrying create_app's settings to `--workers N` processes.
SETTINGS_ENV = "DESPIN_SERVE_SETTINGS"
# An oversized body is read and discarded up to this size before the 413 (see BodyLimit):
# 64x the default limit, ~0.1 s on loopback; larger ones are answered and cut off.
DEFAULT_DRAIN_MAX = 64 * DEFAULT_MAX_BODY
# A client that stops sending mid-body gets its 413 and is cut off after this long idle,
# or after DEFAULT_DRAIN_TOTAL_S in all (64 MB at ~20 Mbit/s), whatever it declared.
DEFAULT_DRAIN_IDLE_S = 5.0
DEFAULT_DRAIN_TOTAL_S = 30.0

Checker = Callable[[str, Config], Report]
T = TypeVar("T")

_EXAMPLE_TEXT = "The Top Priest informed journalists on Tuesday that the inventory marketplace would recuperate swiftly."


# ----------------------------------------------------------------------------- schema
def _integral(v: Any) -> Any:
    # JSON Schema counts 10.0 as an integer; strict mode otherwise refuses it (and "10", true).
    return int(v) if isinstance(v, float) and v.is_integer() else v


class CheckOptions(BaseModel):
    """Per-request overrides of `despin.Config`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Flag a word when P(substituted) is at least this (default 0.5)."
    )
    max_suggestions: int | None = Field(None, ge=1, le=20, description="Suggestions per span (default 5).")

    _integral = field_validator("max_suggestions", mode="before")(_integral)


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"text": _EXAMPLE_TEXT}]})
    text: str = Field(..., description="The text to check (UTF-8; the request body is limited, 1 MB by default).")
    options: CheckOptions | None = None

    @field_validator("text")
    @classmethod
    def _valid_unicode(cls, text: str) -> str:
        return _valid_unicode(text)


class TraceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"text": _EXAMPLE_TEXT, "top": 3}]})
    text: str = Field(..., description="The text whose source to look up in the configured index.")
    top: int = Field(5, ge=1, le=100, description="How many candidate sources to return.")

    _integral = field_validator("top", mode="before")(_integral)

    @field_validator("text")
    @classmethod
    def _valid_unicode(cls, text: str) -> str:
        return _valid_unicode(text)


class SuggestionModel(BaseModel):
    text: str
    score: float


class SpanModel(BaseModel):
    start: int = Field(..., ge=0, description="Python str index (code points) into the submitted text.")
    end: int = Field(..., ge=0)
    text: str
    score: float = Field(..., description="P(this span was substituted).")
    suggestions: list[SuggestionModel]
    reason: str


class ReportModel(BaseModel):
    """The `Report` JSON contract (DESIGN.md)."""

    score: float = Field(..., ge=0.0, le=1.0)
    verdict: Literal["clean", "spun"]
    spans: list[SpanModel]
    restored: str
    source: dict[str, Any] | None = Field(None, description="Present when a source document was used.")


class RestoreResponse(BaseModel):
    restored: str


class TraceResponse(BaseModel):
    matches: list[dict[str, Any]]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    profiles: list[str]
    index: bool


class ErrorResponse(BaseModel):
    detail: str = Field(..., description="One line saying what was wrong.")
    errors: list[dict[str, Any]] | None = Field(None, description="Field-level details (422 only).")


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


_COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    413: _err("Request body over the configured limit."),
    422: _err("Malformed JSON, missing or invalid fields."),
    503: _err("The request took longer than the per-request time limit."),
}


# ------------------------------------------------------------------------ middleware
class BodyLimit:
    """Refuse request bodies over ``max_body`` bytes with 413 before the app parses them,
    and bodies that are not UTF-8 with 422.

    ``Content-Length`` is checked first; chunked bodies are counted while buffered, so a
    client cannot stream past the limit. The limit is small (1 MB), so buffering is fine.

    An oversized body is read and discarded before the 413 goes out (up to ``drain_max``
    bytes, each piece within ``drain_idle_s`` of the last, all within ``drain_total_s``):
    most HTTP clients (Python's ``urllib`` among them) send the whole body before they
    read the answer, and a server that answers and closes with unread bytes in its socket
    makes the kernel send a reset, so such a client sees ``ConnectionResetError`` instead
    of the 413. A client that asked ``Expect: 100-continue`` (curl does for large bodies)
    is answered at once and never sends the body; one that declares more than
    ``drain_max`` or stalls gets the 413 and the connection closed, so it cannot hold the
    server's attention for longer than the bounds.
    """

    def __init__(self, app: ASGIApp, max_body: int, drain_max: int = DEFAULT_DRAIN_MAX,
                 drain_idle_s: float = DEFAULT_DRAIN_IDLE_S, drain_total_s: float = DEFAULT_DRAIN_TOTAL_S) -> None:
        self.app = app
        self.max_body = max_body
        self.drain_max = max(drain_max, max_body)
        self.drain_idle_s = drain_idle_s
        self.drain_total_s = drain_total_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        expects_continue = False
        for name, value in scope.get("headers", ()):
            if name == b"expect" and value.lower() == b"100-continue":
                expects_continue = True
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # h11/httptools reject these first; count the bytes instead
                if declared > self.max_body:
                    # Nothing was sent yet to a client waiting for "100 Continue", and a
                    # body over drain_max is not worth reading: answer now.
                    drained = not expects_continue and declared <= self.drain_max and await self._drain(receive, 0)
                    await self._too_large(send, close=not drained)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                drained = not message.get("more_body", False) or await self._drain(receive, size)
                await self._too_large(send, close=not drained)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            # JSON is UTF-8 (RFC 8259); FastAPI would answer an unexplained 400 here.
            await self._reply(send, 422, f"request body is not valid UTF-8 (byte {e.start}); send UTF-8 JSON")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as usual

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, size: int) -> bool:
        """Read and drop the rest of the body; True when it was read to its end within the bounds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_total_s
        while size <= self.drain_max:
            wait = min(self.drain_idle_s, deadline - loop.time())
            if wait <= 0:
                return False
            try:
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                return False  # a stalled client: answer and close rather than wait forever
            if message["type"] == "http.disconnect":
                return False
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

    async def _too_large(self, send: Send, *, close: bool = True) -> None:
        await self._reply(send, 413, f"request body is over the {self.max_body} byte limit", close=close)

    @staticmethod
    async def _reply(send: Send, status: int, detail: str, *, close: bool = False) -> None:
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if close:
            headers.append((b"connection", b"close"))  # the rest of the body is not read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# The page loads nothing from elsewhere; say so to the browser too.
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        (
            b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        ),
    ),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *_SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ------------------------------------------------------------------------------- app
def create_app(
    profile: Any = None,
    index: Any = None,
    max_body: int = DEFAULT_MAX_BODY,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cors_origins: Sequence[str] = (),
    *,
    checker: Checker | None = None,
    threads: int = 2,
    processes: int = 0,
    queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S,
    warm: bool = True,
    drain_idle_s: float = DEFAULT_DRAIN_IDLE_S,
) -> FastAPI:
    """Build the app. ``profile``: loaded profile(s) or path(s); ``index``: an opened index or its directory.

    ``checker(text, config) -> Report`` replaces `despin.check` (tests inject a fake one).
    ``threads`` checks run at once (threads); a check running longer than ``timeout_s``, or waiting
    longer than ``queue_timeout_s`` for a free worker, gets 503. ``warm`` runs one check at
    start-up so the first user does not pay for loading the lexicon and language model.
    ``drain_idle_s``: how long a client sending an oversized body may pause before it is
    answered 413 and cut off (see `BodyLimit`).

    ``processes`` > 0 runs the checks in that many worker processes instead (one per core:
    a check is pure Python and holds the GIL), each loading the detector, ``profile`` and
    ``index`` itself (so those must be paths). Every request waits in this one process's
    first-come, first-served queue, so under load all requests wait alike; several uvicorn
    processes would each keep their own queue, and the operating system hands connections
    to them unevenly. Trace queries stay in this process's threads.

    >>> create_app(max_body=10).title
    'despin'
    """
    if processes and checker is not None:
        raise ValueError("processes need the default checker (each worker process builds its own)")
    if processes and not all(isinstance(p, (str, os.PathLike)) for p in _as_list(profile)):
        raise ValueError("with processes, give profiles as paths (each worker process loads them)")
    if processes and index is not None and not isinstance(index, (str, os.PathLike)):
        raise ValueError("with processes, give the index as a directory (each worker process opens it)")
    profiles = _load_profiles(profile)
    opened_index = _open_index(index)
    if checker is None:
        checker = _default_checker(profiles, opened_index)
    worker_args = (_as_list(profile), None if index is None else os.fspath(index))
    # Created on first use and dropped at shutdown, so one app object survives several
    # lifespans (test clients start and stop it repeatedly, each in its own event loop).
    pool: dict[str, Executor] = {}
    gate: dict[str, Any] = {}

    def executor() -> Executor:
        if "threads" not in pool:
            pool["threads"] = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="despin-check")
        return pool["threads"]

    def check_executor() -> Executor:
        if not processes:
            return executor()
        if "processes" not in pool:
            import multiprocessing

            # spawn, not fork: this process runs an event loop and threads.
            pool["processes"] = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_worker_init, initargs=worker_args)
        return pool["processes"]

    def slots() -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if gate.get("loop") is not loop:
            gate.update(loop=loop, slots=asyncio.Semaphore(max(1, threads)),
                        checks=asyncio.Semaphore(processes) if processes else None)
        return gate["slots"]

    def check_slots() -> asyncio.Semaphore:  # with processes: one slot a check process
        slots()
        return gate["checks"]

    async def run_check(text: str, config: Config) -> Report:
        if processes:
            return await run_limited(_worker_check, text, config, on=(check_executor(), check_slots()))
        return await run_limited(checker, text, config)

    def _worker_lost() -> HTTPException:
        # A check process died (killed, out of memory): the pool is broken for good, so the
        # next request starts a fresh one; this one is told to retry.
        broken = pool.pop("processes", None)
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
        log.warning("a check process died; starting new ones")
        return HTTPException(503, "a check process stopped unexpectedly; retry", headers={"Retry-After": "5"})

    async def run_limited(fn: Callable[..., T], *args: Any, on: tuple[Executor, asyncio.Semaphore] | None = None) -> T:
        # Two limits: waiting for a free worker (queue_timeout_s: the server is busy, not the
        # request's fault) and the work itself (timeout_s: this request is too costly).
        pool_, free = on or (executor(), slots())
        try:
            async with asyncio.timeout(queue_timeout_s):
                await free.acquire()
        except TimeoutError:
            raise HTTPException(
                503, f"the server is busy (no free worker within {queue_timeout_s:g} s); retry later",
                headers={"Retry-After": "5"},
            ) from None
        try:
            future = asyncio.get_running_loop().run_in_executor(pool_, functools.partial(fn, *args))
        except BrokenExecutor:
            free.release()
            raise _worker_lost() from None
        # A thread (or a worker process's task) cannot be killed: its slot frees when it
        # really finishes, not at the time-out, so a pathological text holds one worker.
        future.add_done_callback(lambda _: free.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except BrokenExecutor:
            raise _worker_lost() from None
        except TimeoutError:
            raise HTTPException(
                503,
                f"the request took longer than the {timeout_s:g} s limit; try a shorter text",
                headers={"Retry-After": "5"},
            ) from None
        except DespinError as e:
            raise HTTPException(422, str(e)) from None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            try:
                # No time limit here: loading takes what it takes, before the port opens.
                loop = asyncio.get_running_loop()
                if processes:
                    # One warm-up per process, all at once: each starts and loads before the port opens.
                    await asyncio.gather(*(loop.run_in_executor(check_executor(), _worker_warm)
                                           for _ in range(processes)))
                else:
                    await loop.run_in_executor(executor(), preload)
                    await loop.run_in_executor(executor(), checker, _EXAMPLE_TEXT, DEFAULT)
            except Exception as e:  # noqa: BLE001  (a broken detector should still let /healthz answer)
                log.warning("warm-up check failed: %s", e)
        yield
        for name in list(pool):
            # Worker processes finish the check in hand (bounded by the time limit) and exit.
            pool.pop(name).shutdown(wait=name == "processes", cancel_futures=True)

    app = FastAPI(
        title="despin",
        version=__version__,
        description="Find machine-spun text, show what was changed, restore the original wording.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load from a CDN; this server loads nothing from elsewhere.
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        return JSONResponse({"detail": _describe(exc.errors()), "errors": errors}, status_code=422)

    @app.post("/v1/check", response_model=ReportModel, responses=_COMMON_ERRORS,
              summary="Is this text spun, where, and what did it say?")
    async def check(req: CheckRequest) -> JSONResponse:
        report = await run_check(req.text, _config(req.options))
        # Exactly Report.to_dict(): the contract other tools parse (no nulls added).
        return JSONResponse(report.to_dict())

    @app.post("/v1/restore", response_model=RestoreResponse, responses=_COMMON_ERRORS,
              summary="The most likely original wording; only flagged spans change.")
    async def restore(req: CheckRequest) -> RestoreResponse:
        report = await run_check(req.text, _config(req.options))
        return RestoreResponse(restored=report.restored)

    @app.post("/v1/trace", response_model=TraceResponse,
              responses={**_COMMON_ERRORS, 404: _err("No trace index is configured on this server.")},
              summary="Which indexed documents was this text copied from?")
    async def trace(req: TraceRequest) -> TraceResponse:
        if opened_index is None:
            raise HTTPException(404, "no trace index is configured on this server; start it with --index DIR")
        found = await run_limited(opened_index.query, req.text, req.top)
        return TraceResponse(matches=[_match_dict(m) for m in found])

    @app.get("/healthz", response_model=HealthResponse, summary="Liveness and what is loaded.")
    async def healthz() -> HealthResponse:
        return HealthResponse(
            status="ok",
            version=__version__,
            profiles=[str(getattr(p, "name", "profile")) for p in profiles],
            index=opened_index is not None,
        )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Outermost last: CORS must also decorate a 413 so a cross-origin page can read it.
    app.add_middleware(BodyLimit, max_body=max_body, drain_idle_s=drain_idle_s)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["content-type"])
    app.add_middleware(SecurityHeaders)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` worker processes: settings come as JSON in an env variable."""
    settings = json.loads(os.environ.get(SETTINGS_ENV, "{}"))
    return create_app(**settings)


# ------------------------------------------------------------------ worker processes
# The checker of a worker process (``processes`` > 0), built once by its initializer.
_WORKER: dict[str, Checker] = {}


def _worker_init(profile: list[str], index: str | None) -> None:
    # A worker outlives nothing: if the server process dies (even by kill -9), it exits too.
    parent = os.getppid()

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="despin-parent-watch", daemon=True).start()
    _WORKER["checker"] = _default_checker(_load_profiles(profile or None), _open_index(index))
    preload()
    _worker_check(_EXAMPLE_TEXT, DEFAULT)


def _worker_warm() -> None:
    # A task per process makes the pool start them all at start-up (it starts them on demand);
    # the pause keeps one process from taking two of these while another is still loading.
    import time

    time.sleep(0.2)


def _worker_check(text: str, config: Config) -> Report:
    return _WORKER["checker"](text, config)


# --------------------------------------------------------------------------- helpers
def _as_list(profile: Any) -> list[Any]:
    if profile is None:
        return []
    return list(profile) if isinstance(profile, (list, tuple)) else [profile]


def _default_checker(profiles: Sequence[Any], index: Any) -> Checker:
    from ..core import check

    def run(text: str, config: Config) -> Report:
        return check(text, profile=list(profiles) or None, index=index, config=config)

    return run


def _config(options: CheckOptions | None) -> Config:
    if options is None:
        return DEFAULT
    changes = {k: v for k, v in options.model_dump().items() if v is not None}
    return DEFAULT.replace(**changes) if changes else DEFAULT


def _load_profiles(profile: Any) -> list[Any]:
    items = _as_list(profile)
    paths = [p for p in items if isinstance(p, (str, os.PathLike))]
    loaded = [p for p in items if not isinstance(p, (str, os.PathLike))]
    if paths:
        try:
            from ..profile import load_many
        except ImportError as e:  # pragma: no cover - profiles ship with the core
            raise DataError(f"cannot load profiles: {e}") from None
        loaded.extend(load_many(paths))
    return loaded


def _open_index(index: Any) -> Any:
    if index is None:
        return None
    if isinstance(index, (str, os.PathLike)):
        try:
            from ..trace import Index
        except ImportError as e:
            raise DataError(f"--index needs the trace extra (pip install 'despin[trace]'): {e}") from None
        index = Index.open(index)
    return _SerializedIndex(index)


class _SerializedIndex:
    """One query at a time: the index shares one SQLite connection between request threads."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self._lock = threading.Lock()

    def query(self, text: str, top: int = 5) -> Any:
        with self._lock:
            return self._index.query(text, top=top)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def _match_dict(m: Any) -> dict[str, Any]:
    if hasattr(m, "to_dict"):
        return dict(m.to_dict())
    if dataclasses.is_dataclass(m) and not isinstance(m, type):
        return jsonable_encoder(dataclasses.asdict(m))
    if isinstance(m, dict):
        return jsonable_encoder(m)
    if isinstance(m, (tuple, list)) and len(m) == 2:
        return {"id": str(m[0]), "similarity": float(m[1])}
    return {"match": jsonable_encoder(m)}


def _valid_unicode(text: str) -> str:
    # JSON may spell a lone surrogate ("\\ud800"); it is not text, and the reply could not encode it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"contains an unpaired surrogate at position {e.start}; send valid Unicode") from None
    return text


def _describe(errors: Sequence[Any]) -> str:
    """One line for a list of pydantic errors: what is wrong, and where."""
    parts = []
    for e in errors[:5]:
        loc = [str(x) for x in e.get("loc", ()) if x != "body"]
        kind = e.get("type", "")
        if kind == "json_invalid":
            why = (e.get("ctx") or {}).get("error", "")
            parts.append(f"request body is not valid JSON ({why})" if why else "request body is not valid JSON")
        elif not loc and kind == "missing":
            parts.append('request body is required: a JSON object with a "text" field')
        elif not loc:
            parts.append(f"request body: {e.get('msg', 'invalid')} (expected a JSON object)")
        else:
            parts.append(f"{'.'.join(loc)}: {str(e.get('msg', 'invalid')).removeprefix('Value error, ')}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts)
