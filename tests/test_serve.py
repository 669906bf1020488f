"""The HTTP API: contract, guards (413, 422, 503, CORS), the page, the CLI, and a schemathesis run."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

fastapi = pytest.importorskip("fastapi", reason="needs the serve extra (pip install 'despin[serve]')")

from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

import despin
from despin.cli import main
from despin.config import Config
from despin.errors import InputError
from despin.report import Report, Span, Suggestion, apply, empty_report
from despin.server.app import SETTINGS_ENV, create_app, create_app_from_env

# Written for these tests (see tests/test_browser.py for the longer paragraph).
SPUN = ("The Top Priest informed journalists on Tuesday that the inventory marketplace would "
        "recuperate swiftly after the abrupt autumn in gas costs.")


def echo_checker(text: str, config: Config) -> Report:
    """Flags every 'quick' with the suggestion 'fast' at the configured threshold as score."""
    spans = []
    pos = text.find("quick")
    while pos >= 0:
        spans.append(Span(pos, pos + 5, "quick", config.threshold, (Suggestion("fast", 0.8),), "test"))
        pos = text.find("quick", pos + 5)
    return Report(0.9 if spans else 0.0, "spun" if spans else "clean", tuple(spans), apply(text, spans))


@pytest.fixture(scope="module")
def real() -> Iterator[TestClient]:
    with TestClient(create_app()) as client:  # the lifespan warms the detector once
        yield client


@pytest.fixture()
def fake() -> Iterator[TestClient]:
    with TestClient(create_app(checker=echo_checker, max_body=2_000, warm=False)) as client:
        yield client


# ------------------------------------------------------------------ contract
def test_check_is_exactly_the_report_json(real: TestClient) -> None:
    r = real.post("/v1/check", json={"text": SPUN})
    assert r.status_code == 200
    assert r.json() == despin.check(SPUN).to_dict()
    assert r.headers["content-type"] == "application/json"


def test_restore_matches_check(real: TestClient) -> None:
    r = real.post("/v1/restore", json={"text": SPUN})
    assert r.status_code == 200
    assert r.json() == {"restored": despin.check(SPUN).restored}


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_scores_zero_without_spans(real: TestClient, text: str) -> None:
    r = real.post("/v1/check", json={"text": text})
    assert r.status_code == 200
    assert r.json() == {"score": 0.0, "verdict": "clean", "spans": [], "restored": text}


def test_options_reach_the_checker(fake: TestClient) -> None:
    r = fake.post("/v1/check", json={"text": "a quick fox", "options": {"threshold": 0.25, "max_suggestions": 2}})
    assert r.status_code == 200
    assert r.json()["spans"][0]["score"] == 0.25
    assert r.json()["restored"] == "a fast fox"


def test_healthz(fake: TestClient) -> None:
    r = fake.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": despin.__version__, "profiles": [], "index": False}


# ------------------------------------------------------------------ 413
def test_oversized_body_is_413_before_parsing(fake: TestClient) -> None:
    r = fake.post("/v1/check", json={"text": "x" * 3_000})
    assert r.status_code == 413
    assert r.json() == {"detail": "request body is over the 2000 byte limit"}
    # Not JSON at all, and still 413: the limit comes before any parsing.
    assert fake.post("/v1/check", content=b"\xff" * 2_001).status_code == 413


def test_chunked_body_over_the_limit_is_413(fake: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        yield b'{"text": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    r = fake.post("/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_chunked_body_under_the_limit_is_read_whole(fake: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "a qu'
        yield b'ick fox"}'

    r = fake.post("/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["restored"] == "a fast fox"


def test_default_limit_is_one_megabyte() -> None:
    with TestClient(create_app(checker=echo_checker, warm=False)) as client:
        assert client.post("/v1/check", json={"text": "x" * 1_000_000}).status_code == 413
        assert client.post("/v1/check", json={"text": "x" * 999_000}).status_code == 200


# ------------------------------------------------------------------ 413 over a real socket
# The TestClient above never touches a socket; these run uvicorn on loopback, where a
# server that answers before reading the body makes the kernel reset the connection.
@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    """A real uvicorn on 127.0.0.1 (an ephemeral port); yields its base URL."""
    import socket
    import threading

    import uvicorn

    app = create_app(checker=echo_checker, warm=False, drain_idle_s=0.5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    host, port = sock.getsockname()
    yield f"http://{host}:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _post_with(client: str, url: str, body: bytes) -> int:
    headers = {"content-type": "application/json"}
    if client == "urllib":
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return e.code
    if client == "httpx":
        import httpx

        return httpx.post(url, content=body, headers=headers, timeout=30).status_code
    requests = pytest.importorskip("requests")
    return int(requests.post(url, data=body, headers=headers, timeout=30).status_code)


@pytest.mark.parametrize("size", [6_000_000, 60_000_000], ids=["6MB", "60MB"])
@pytest.mark.parametrize("client", ["urllib", "httpx", "requests"])
def test_every_common_client_gets_the_413(live: str, client: str, size: int) -> None:
    # 6x and 60x the default 1 MB limit; urllib used to get ConnectionResetError here.
    body = b'{"text": "' + b"x" * size + b'"}'
    assert _post_with(client, live + "/v1/check", body) == 413
    assert _post_with(client, live + "/v1/check", b'{"text": "a quick fox"}') == 200  # and the server still serves


def _raw_request(live: str, head: str, body: bytes = b"", wait_s: float = 10.0) -> tuple[bytes, float]:
    """Send ``head`` and ``body`` on a raw socket, then read until the server closes; (reply, seconds)."""
    import socket

    host, port = live.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as s:
        t0 = time.monotonic()
        s.sendall(head.encode() + b"\r\n" + body)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
        return reply, time.monotonic() - t0


def test_a_client_that_declares_a_huge_body_and_stops_gets_413_and_is_cut_off(live: str) -> None:
    head = ("POST /v1/check HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            "content-length: 50000000\r\n")
    reply, seconds = _raw_request(live, head, b'{"text": "' + b"x" * 1000)  # ... and nothing more
    assert reply.startswith(b"HTTP/1.1 413") and b"connection: close" in reply.lower()
    assert 0.4 < seconds < 5  # waited the 0.5 s idle bound, not forever
    # A declared size past what is worth draining is answered at once, without reading.
    reply, seconds = _raw_request(live, head.replace("50000000", "100000000000"))
    assert reply.startswith(b"HTTP/1.1 413") and seconds < 0.4


def test_expect_100_continue_gets_the_413_without_sending_the_body(live: str) -> None:
    head = ("POST /v1/check HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            "content-length: 6000000\r\nexpect: 100-continue\r\n")
    reply, seconds = _raw_request(live, head)
    assert reply.startswith(b"HTTP/1.1 413") and b"100 Continue" not in reply and seconds < 0.4


# ------------------------------------------------------------------ 422
@pytest.mark.parametrize(
    "body, needle",
    [
        (b"{", "not valid JSON"),
        (b"", "request body is required"),
        (b"[1, 2]", "expected a JSON object"),
        (b'"text"', "expected a JSON object"),
        (b"{}", "text: Field required"),
        (b'{"text": 3}', "text: Input should be a valid string"),
        (b'{"text": null}', "text: Input should be a valid string"),
        (b'{"text": "a", "colour": "red"}', "colour: Extra inputs are not permitted"),
        (b'{"text": "a", "options": {"threshold": 2}}', "options.threshold: Input should be less than or equal to 1"),
        (b'{"text": "a", "options": {"max_suggestions": 0}}', "options.max_suggestions"),
        (b'{"text": "\\ud800 x"}', "text: contains an unpaired surrogate at position 0"),
    ],
)
def test_malformed_requests_are_422_with_one_line(fake: TestClient, body: bytes, needle: str) -> None:
    r = fake.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert needle in detail and "\n" not in detail
    assert isinstance(r.json()["errors"], list)


def test_body_that_is_not_utf8_is_422(fake: TestClient) -> None:
    r = fake.post("/v1/check", content=b'{"text": "caf\xe9"}', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"] == "request body is not valid UTF-8 (byte 13); send UTF-8 JSON"


def test_input_error_from_the_checker_is_422() -> None:
    def refuse(text: str, config: Config) -> Report:
        raise InputError("text: too many control characters")

    with TestClient(create_app(checker=refuse, warm=False)) as client:
        r = client.post("/v1/check", json={"text": "\x01\x02"})
    assert r.status_code == 422 and r.json()["detail"] == "text: too many control characters"


# ------------------------------------------------------------------ 503
def test_slow_check_times_out_with_503() -> None:
    def slow(text: str, config: Config) -> Report:
        time.sleep(1.0)
        return empty_report(text)

    with TestClient(create_app(checker=slow, timeout_s=0.1, warm=False)) as client:
        t0 = time.monotonic()
        r = client.post("/v1/check", json={"text": "hello"})
        assert time.monotonic() - t0 < 0.9
    assert r.status_code == 503
    assert "0.1 s limit" in r.json()["detail"]
    assert r.headers["retry-after"] == "5"


def test_busy_server_answers_503_busy_not_a_hang() -> None:
    httpx = pytest.importorskip("httpx")
    import asyncio

    def slow(text: str, config: Config) -> Report:
        time.sleep(0.5)
        return empty_report(text)

    app = create_app(checker=slow, threads=1, timeout_s=5, queue_timeout_s=0.1, warm=False)

    async def two_at_once() -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/v1/check", json={"text": "x"}) for _ in range(2)))

    codes = sorted(r.status_code for r in asyncio.run(two_at_once()))
    assert codes == [200, 503]


# ------------------------------------------------------------------ trace
def test_trace_without_index_is_404(fake: TestClient) -> None:
    r = fake.post("/v1/trace", json={"text": "anything"})
    assert r.status_code == 404
    assert "--index" in r.json()["detail"]


def test_trace_and_check_with_a_real_index(tmp_path: Path) -> None:
    trace = pytest.importorskip("despin.trace", reason="needs the trace extra")
    source = ("The company said on Monday that profits rose steeply in March and April, and that it "
              "would open two new factories in the north before the end of the year.")
    other = "Heavy rain closed several roads in the valley on Sunday, and schools stayed shut."
    trace.Index.build(tmp_path / "ix", [("s1", source), ("s2", other)]).close()
    spun = source.replace("company", "firm").replace("steeply", "sharply")
    with TestClient(create_app(index=str(tmp_path / "ix"), warm=False)) as client:
        assert client.get("/healthz").json()["index"] is True
        r = client.post("/v1/trace", json={"text": spun, "top": 2})
        assert r.status_code == 200
        matches = r.json()["matches"]
        assert matches[0]["id"] == "s1" and matches[0]["similarity"] > 0.5
        report = client.post("/v1/check", json={"text": spun}).json()
        assert report["source"]["id"] == "s1"
        assert report["restored"] == source


def test_bad_index_path_is_a_one_line_cli_error(tmp_path: Path) -> None:
    pytest.importorskip("despin.trace", reason="needs the trace extra")
    r = CliRunner().invoke(main, ["serve", "--index", str(tmp_path / "nowhere")])
    assert r.exit_code == 1
    assert r.output.startswith("Error: ") and "Traceback" not in r.output


# ------------------------------------------------------------------ CORS, page, no file access
def test_cors_is_off_by_default(fake: TestClient) -> None:
    r = fake.post("/v1/check", json={"text": "a"}, headers={"origin": "https://example.org"})
    assert "access-control-allow-origin" not in r.headers
    pre = fake.options("/v1/check", headers={"origin": "https://example.org", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_when_configured() -> None:
    app = create_app(checker=echo_checker, cors_origins=["https://editor.example"], max_body=100, warm=False)
    with TestClient(app) as client:
        ok = client.post("/v1/check", json={"text": "a"}, headers={"origin": "https://editor.example"})
        assert ok.headers["access-control-allow-origin"] == "https://editor.example"
        other = client.post("/v1/check", json={"text": "a"}, headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # A refused body still carries CORS headers, so the page can show the 413.
        big = client.post("/v1/check", json={"text": "a" * 200}, headers={"origin": "https://editor.example"})
        assert big.status_code == 413
        assert big.headers["access-control-allow-origin"] == "https://editor.example"


def test_page_and_static_files_are_served_from_the_package(fake: TestClient) -> None:
    page = fake.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert fake.head("/").status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<label for="input-text"' in page.text
    assert "http" not in "".join(line for line in page.text.splitlines() if "src=" in line or "href=" in line
                                 if "openapi" not in line)
    for name, kind in [("app.js", "javascript"), ("app.css", "text/css")]:
        r = fake.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                  "/static//etc/passwd", "/docs", "/redoc"])
def test_no_file_access_outside_static_and_no_cdn_docs(fake: TestClient, path: str) -> None:
    r = fake.get(path)
    assert r.status_code == 404
    assert "create_app" not in r.text and "root:" not in r.text


def test_openapi_describes_the_api(fake: TestClient) -> None:
    spec = fake.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/v1/check", "/v1/restore", "/v1/trace", "/healthz"}
    req = spec["components"]["schemas"]["CheckRequest"]
    assert req["required"] == ["text"] and req["additionalProperties"] is False
    report = spec["components"]["schemas"]["ReportModel"]
    assert set(report["required"]) == {"score", "verdict", "spans", "restored"}
    assert {"413", "422", "503"} <= set(spec["paths"]["/v1/check"]["post"]["responses"])


# ------------------------------------------------------------------ CLI
def test_serve_cli_defaults_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    r = CliRunner().invoke(main, ["serve"])
    assert r.exit_code == 0, r.output
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8000

    calls.clear()
    r = CliRunner().invoke(main, ["serve", "--workers", "2", "--port", "9001", "--max-body", "500",
                                  "--cors-origin", "https://a.example"])
    assert r.exit_code == 0, r.output
    app = calls[0]["app"]
    assert calls[0]["port"] == 9001 and "workers" not in calls[0]  # one HTTP process, check processes inside
    with TestClient(app) as client:
        assert client.post("/v1/check", json={"text": "a" * 600}).status_code == 413
        r2 = client.options("/v1/check", headers={"origin": "https://a.example", "access-control-request-method": "POST"})
        assert r2.headers.get("access-control-allow-origin") == "https://a.example"


def test_create_app_from_env_reads_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SETTINGS_ENV, json.dumps({"max_body": 500, "warm": False}))
    with TestClient(create_app_from_env()) as client:
        assert client.post("/v1/check", json={"text": "a" * 600}).status_code == 413


@pytest.mark.slow
def test_worker_processes_share_one_queue_and_exit_with_the_server() -> None:
    """processes=2: checks run in two spawned worker processes, answers equal the in-process
    detector's, and the workers are gone after shutdown."""
    import despin

    app = create_app(processes=2, timeout_s=60)
    text = "The Top Priest informed journalists on Tuesday that the inventory marketplace would recuperate swiftly."
    import multiprocessing

    before = set(multiprocessing.active_children())
    with TestClient(app) as client:
        workers = set(multiprocessing.active_children()) - before
        assert len(workers) == 2
        got = client.post("/v1/check", json={"text": text})
        assert got.status_code == 200
        assert got.json() == despin.check(text).to_dict()
        assert client.post("/v1/restore", json={"text": text}).json()["restored"] == despin.check(text).restored
    for w in workers:
        w.join(timeout=30)
        assert not w.is_alive()


@pytest.mark.slow
def test_a_dead_check_process_costs_one_503_not_the_server() -> None:
    import multiprocessing
    import os
    import signal

    app = create_app(processes=1, timeout_s=60)
    text = "The minister informed journalists that the inventory marketplace would recuperate."
    before = set(multiprocessing.active_children())
    with TestClient(app) as client:
        (worker,) = set(multiprocessing.active_children()) - before
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
        r = client.post("/v1/check", json={"text": text})
        assert r.status_code == 503 and "retry" in r.json()["detail"]
        r = client.post("/v1/check", json={"text": text})  # a fresh process answers
        assert r.status_code == 200 and r.json() == despin.check(text).to_dict()


def test_processes_need_paths_and_the_default_checker() -> None:
    from despin.report import empty_report

    with pytest.raises(ValueError, match="default checker"):
        create_app(processes=2, checker=lambda text, config: empty_report(text))
    with pytest.raises(ValueError, match="paths"):
        create_app(processes=2, profile=[object()])


def test_serve_cli_bad_profile_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    for args in (["--profile", str(tmp_path / "missing.jsonl")], ["--profile", str(bad)]):
        r = CliRunner().invoke(main, ["serve", *args])
        assert r.exit_code == 1, r.output
        assert r.output.startswith("Error: ") and r.output.count("\n") == 1


def test_serve_cli_usage_errors_exit_2() -> None:
    assert CliRunner().invoke(main, ["serve", "--port", "99999"]).exit_code == 2
    assert CliRunner().invoke(main, ["serve", "--timeout", "0"]).exit_code == 2


# ------------------------------------------------------------------ schemathesis
schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (test extra)")
# The real detector behind the app: fuzzed text must never make it fail with a 5xx.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(warm=False, timeout_s=30))


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_fuzz_never_5xx(case: Any) -> None:
    case.call_and_validate()
