"""The HTML report of `despin papers`, opened in Debian's Chromium (headless) through Playwright.

No browser is downloaded: /usr/bin/chromium (``apt-get install chromium``) or a skip. The
papers and the list are invented for this test. ``DESPIN_UPDATE_SCREENSHOT=1`` refreshes
docs/papers-report.png.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from despin.papers.beyond import Substitution, UnlistedHit
from despin.papers.bundled import ATTRIBUTION
from despin.papers.html import render_report
from despin.papers.lists import parse_list_text
from despin.papers.matcher import ListMatcher
from despin.papers.screen import PaperResult, screen_text
from despin.report import Suggestion

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[1]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class FakeFinder:
    """Flags "prostate peril" as "prostate cancer" with the evidence the real detector gives."""

    def find(self, text: str) -> list[UnlistedHit]:
        i = text.find("prostate peril")
        if i < 0:
            return []
        subs = (Substitution("peril", "cancer", "listed", "listed 3 times: 'bosom peril' -> 'breast cancer'"),)
        return [UnlistedHit(i, i + 14, text[i:i + 14], (Suggestion("prostate cancer", 9.1), Suggestion("prostate risk", 6.0)),
                            0.91, 9.1, subs, ("the term reads about 9,000 times likelier than the phrase as written",))]


def _results() -> list[PaperResult]:
    matcher = ListMatcher(parse_list_text("irregular woodland\trandom forest\nprofound learning\tdeep learning\n", "ours.tsv"))
    papers = {
        "b_spun.pdf": "We fit an irregular woodland to <data> & screened men for prostate peril. "
                      "Profound learning did better.",
        "a_clean.txt": "We fit a random forest to the data.",
        "c_review.html": "Our method uses profound learning on the images.",
    }
    out = [screen_text(t, matcher, beyond=FakeFinder(), name=n) for n, t in papers.items()]
    return out + [PaperResult("d_broken.pdf", verdict="error", error="d_broken.pdf: not a PDF")]


def test_html_report_is_self_contained_readable_and_sortable(tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render_report(_results(), lists=["ours.tsv"], threshold=2.0, margin=8.0,
                                       attribution=ATTRIBUTION), encoding="utf-8")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            assert requested == [page_file.as_uri()]  # no external assets
            assert errors == []
            assert page.title().startswith("Tortured-phrase screening")
            overview = page.locator("table.overview tbody tr")
            assert overview.count() == 4
            # sorting the overview by verdict puts the suspect paper first, clicking again last
            page.locator("table.overview th", has_text="verdict").click()
            assert overview.first.locator("td").first.inner_text() == "b_spun.pdf"
            page.locator("table.overview th", has_text="verdict").click()
            assert overview.first.locator("td").first.inner_text() == "d_broken.pdf"
            findings = page.locator("#paper-0 + p + table tbody tr")
            assert findings.count() == 3
            marks = page.locator("#paper-0 + p + table mark").all_inner_texts()
            assert marks == ["irregular woodland", "prostate peril", "Profound learning"]
            # the text of the paper is escaped, not interpreted
            assert "<data> &" in page.locator("#paper-0 + p + table").inner_text()
            unlisted = findings.nth(1).inner_text()
            assert "prostate cancer" in unlisted and "peril ← cancer" in unlisted and "listed 3 times" in unlisted
            # sort the findings by confidence, descending: the unlisted finding (0.91) last
            th = page.locator("#paper-0 + p + table th", has_text="confidence")
            th.click()
            th.click()
            assert "prostate peril" in findings.last.inner_text()
            assert "Problematic Paper Screener" in page.locator("footer").inner_text()
            assert "Cabanac" in page.locator("footer").inner_text()
            shot = tmp_path / "papers-report.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("DESPIN_UPDATE_SCREENSHOT"):
                shutil.copy(shot, ROOT / "docs" / "papers-report.png")
        finally:
            browser.close()
