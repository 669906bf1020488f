"""The web page, driven in Debian's Chromium (headless) through Playwright.

No browser is ever downloaded: the tests use /usr/bin/chromium (``.ci/run`` installs it
with apt) and skip cleanly without it. Set ``DESPIN_UPDATE_SCREENSHOT=1`` to refresh
docs/serve-screenshot.png from the real-detector run.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from despin.config import Config
from despin.report import Report, Span, Suggestion, apply

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install 'despin[serve]')")

# After the skips: the server needs fastapi and uvicorn.
from despin.server import create_app

# Written for these tests: common words replaced by rarer thesaurus neighbours, the way
# article spinners do it ("Prime Minister" -> "Top Priest", "stock market" -> "inventory
# marketplace", "bills" -> "invoices").
SPUN = (
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would "
    "recuperate swiftly after the abrupt autumn in gas costs. Authorities stated the "
    "administration intended to slash levies for tiny enterprises and to construct fresh "
    "highways in the north of the nation. Detractors contended that the scheme was overly "
    "pricey and would not assist households who battle to compensate their invoices."
)
# Substitutions obvious enough that any working detector should flag most of them.
EXPECTED = ["informed", "inventory", "marketplace", "recuperate", "swiftly", "abrupt", "slash",
            "construct", "pricey", "compensate", "invoices", "contended"]


# ----------------------------------------------------------------- a fake detector
FAKE_TABLE: dict[str, list[tuple[str, float]]] = {
    "quick": [("fast", 0.6), ("rapid", 0.3)],
    "sizable auto": [("big car", 0.7), ("large car", 0.2)],
    "informed": [("told", 0.93), ("notified", 0.04)],
    "recuperate": [("recover", 0.71), ("heal", 0.1)],
    "swiftly": [("quickly", 0.55), ("rapidly", 0.2)],
    "invoices": [("bills", 0.96)],
}
FAKE_SCORES = {"quick": 0.95, "sizable auto": 0.75, "informed": 0.97, "recuperate": 0.8, "swiftly": 0.6,
               "invoices": 0.98}


def fake_checker(text: str, config: Config) -> Report:
    """Flags the phrases of FAKE_TABLE wherever they occur (Python str offsets, like the API)."""
    spans = []
    for phrase, sugs in FAKE_TABLE.items():
        for m in re.finditer(rf"\b{re.escape(phrase)}\b", text):
            spans.append(Span(m.start(), m.end(), m.group(), FAKE_SCORES[phrase],
                              tuple(Suggestion(t, s) for t, s in sugs), f"fake: '{sugs[0][0]}' fits better"))
    spans.sort(key=lambda s: s.start)
    score = 0.9 if spans else 0.05
    source = {"id": "fake/1", "similarity": 0.87} if "fox" in text else None
    return Report(score, "spun" if spans else "clean", tuple(spans), apply(text, spans), source)


# ----------------------------------------------------------------- fixtures
def _serve(app: object) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on: no race with other tests
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # the real detector loads its data at start-up
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def real_url() -> Iterator[str]:
    yield from _serve(create_app())


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    yield from _serve(create_app(checker=fake_checker, max_body=5_000, warm=False))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _check(page: object, text: str) -> None:
    """Submit ``text`` and wait until this check (not an earlier one) is rendered."""
    page.fill("#input-text", text)  # type: ignore[attr-defined]
    with page.expect_response(lambda r: r.url.endswith("/v1/check")):  # type: ignore[attr-defined]
        page.click("#check-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#check-button:not([disabled])")  # type: ignore[attr-defined]
    page.wait_for_selector("#result:not([hidden])")  # type: ignore[attr-defined]


def _span_texts(page: object) -> list[str]:
    return page.locator("#doc button.span").all_inner_texts()  # type: ignore[attr-defined]


def _result(page: object) -> str:
    return page.evaluate("window.despinResult()")  # type: ignore[attr-defined]


# ----------------------------------------------------------------- tests
def test_real_detector_highlights_and_accepts(real_url: str, page: object, tmp_path: Path) -> None:
    page.goto(real_url + "/")  # type: ignore[attr-defined]
    _check(page, SPUN)
    assert page.inner_text("#verdict") == "Likely spun"  # type: ignore[attr-defined]
    flagged = " ".join(_span_texts(page)).split()
    found = [w for w in EXPECTED if w in flagged]
    assert len(found) >= len(EXPECTED) // 2, f"expected most of {EXPECTED} highlighted, got {flagged}"

    # Accept the best suggestion for one flagged word; the result text changes there only.
    word = found[-1]
    button = page.locator("#doc button.span", has_text=re.compile(rf"^{word}$"))  # type: ignore[attr-defined]
    button.first.click()
    page.wait_for_selector("#panel:not([hidden])")  # type: ignore[attr-defined]
    best = page.locator("#suggestions .sug-text").first.inner_text()  # type: ignore[attr-defined]
    assert page.inner_text("#panel-reason")  # type: ignore[attr-defined]
    page.screenshot(path=str(tmp_path / "serve-panel.png"), full_page=True)  # type: ignore[attr-defined]
    page.click("#accept")  # type: ignore[attr-defined]
    start = SPUN.index(word)
    assert _result(page) == SPUN[:start] + best + SPUN[start + len(word):]
    assert page.locator("#doc button.span.accepted").all_inner_texts() == [best]  # type: ignore[attr-defined]

    shot = tmp_path / "serve-screenshot.png"
    page.click("#doc button.span[data-status='pending']")  # type: ignore[attr-defined]
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    if os.environ.get("DESPIN_UPDATE_SCREENSHOT"):
        shutil.copy(shot, ROOT / "docs" / "serve-screenshot.png")


def test_keyboard_choice_accept_all_compare_and_reject(fake_url: str, page: object) -> None:
    # Emoji are two UTF-16 units but one Python index: offsets must still land on the words.
    text = "Hello 😀 the quick fox.\n🎉 A sizable auto, quick again."
    page.goto(fake_url + "/")  # type: ignore[attr-defined]
    _check(page, text)
    assert _span_texts(page) == ["quick", "sizable auto", "quick"]
    assert "3 suspected substitutions" in page.inner_text("#span-count")  # type: ignore[attr-defined]
    assert page.inner_text("#source") == "Source found in the index: fake/1 (similarity 87%)"  # type: ignore[attr-defined]
    classes = page.locator("#doc button.span").evaluate_all("bs => bs.map(b => b.className)")  # type: ignore[attr-defined]
    assert "conf-high" in classes[0] and "conf-mid" in classes[1]

    # Keyboard only: focus the span, Enter opens the panel, ArrowDown picks the second
    # suggestion, Enter accepts it; focus moves on to the next undecided span.
    page.focus("#doc button.span[data-index='1']")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("#panel:not([hidden])")  # type: ignore[attr-defined]
    assert page.locator("#suggestions .sug-text").all_inner_texts() == ["big car", "large car"]  # type: ignore[attr-defined]
    page.keyboard.press("ArrowDown")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.is_hidden("#panel")  # type: ignore[attr-defined]
    assert _result(page) == "Hello 😀 the quick fox.\n🎉 A large car, quick again."
    assert page.evaluate("document.activeElement.dataset.index") == "2"  # type: ignore[attr-defined]

    # Escape closes the panel without deciding and gives focus back to the span.
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    assert page.is_hidden("#panel")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.dataset.status") == "pending"  # type: ignore[attr-defined]

    # Accept all keeps the alternative chosen above and takes the best for the rest.
    page.click("#accept-all")  # type: ignore[attr-defined]
    assert _result(page) == "Hello 😀 the fast fox.\n🎉 A large car, fast again."

    page.click("#toggle-compare")  # type: ignore[attr-defined]
    assert page.get_attribute("#toggle-compare", "aria-pressed") == "true"  # type: ignore[attr-defined]
    assert page.inner_text("#restored") == _result(page)  # type: ignore[attr-defined]
    assert page.locator("#doc button.span").all_inner_texts() == ["quick", "sizable auto", "quick"]  # type: ignore[attr-defined]
    assert page.locator("#restored mark.changed").all_inner_texts() == ["fast", "large car", "fast"]  # type: ignore[attr-defined]

    page.click("#reject-all")  # type: ignore[attr-defined]
    assert _result(page) == text

    # Download gives exactly the result text.
    page.click("#accept-all")  # type: ignore[attr-defined]
    with page.expect_download() as dl:  # type: ignore[attr-defined]
        page.click("#download")  # type: ignore[attr-defined]
    assert Path(dl.value.path()).read_text(encoding="utf-8") == _result(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=fake_url)  # type: ignore[attr-defined]
    page.click("#copy")  # type: ignore[attr-defined]
    playwright_api.expect(page.locator("#status")).to_contain_text("copied")  # type: ignore[attr-defined]
    assert page.evaluate("navigator.clipboard.readText()") == _result(page)  # type: ignore[attr-defined]


def test_upload_clean_text_and_errors(fake_url: str, page: object, tmp_path: Path) -> None:
    page.goto(fake_url + "/")  # type: ignore[attr-defined]
    f = tmp_path / "letter.txt"
    f.write_text("\ufeffWe were informed that the invoices are due.\n", encoding="utf-8")
    page.set_input_files("#file-input", str(f))  # type: ignore[attr-defined]
    page.wait_for_selector("#doc button.span")  # type: ignore[attr-defined]
    assert _span_texts(page) == ["informed", "invoices"]
    page.click("#accept-all")  # type: ignore[attr-defined]
    with page.expect_download() as dl:  # type: ignore[attr-defined]
        page.click("#download")  # type: ignore[attr-defined]
    assert dl.value.suggested_filename == "letter.restored.txt"
    assert Path(dl.value.path()).read_text(encoding="utf-8") == "We were told that the bills are due.\n"

    _check(page, "Nothing to see here.")
    assert page.inner_text("#verdict") == "Looks clean"  # type: ignore[attr-defined]
    assert page.inner_text("#span-count") == "No words flagged."  # type: ignore[attr-defined]
    assert page.is_hidden("#source")  # type: ignore[attr-defined]
    assert page.is_disabled("#accept-all")  # type: ignore[attr-defined]

    page.fill("#input-text", "   ")  # type: ignore[attr-defined]
    page.click("#check-button")  # type: ignore[attr-defined]
    assert "Paste a text" in page.inner_text("#error")  # type: ignore[attr-defined]

    page.fill("#input-text", "word " * 2000)  # over this server's 5,000-byte limit  # type: ignore[attr-defined]
    page.click("#check-button")  # type: ignore[attr-defined]
    # (expect polls from Python: the page's CSP forbids the eval that wait_for_function uses)
    playwright_api.expect(page.locator("#error")).to_contain_text("too long")  # type: ignore[attr-defined]


def test_narrow_screen_has_no_sideways_scroll(fake_url: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(fake_url + "/")
        _check(page, "We were informed that the invoices are due. " * 5)
        page.click("#toggle-compare")
        page.click("#doc button.span >> nth=0")
        page.wait_for_selector("#panel:not([hidden])")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page is {width}px wide on a 360px screen"
        box = page.locator("#panel").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        # Every control has an accessible name.
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('button, input, textarea, meter')]
                 .filter(e => e.offsetParent !== null)
                 .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()))
                 .map(e => e.id || e.outerHTML.slice(0, 60))"""
        )
        assert unnamed == []
    finally:
        context.close()
