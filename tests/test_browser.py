"""A reader in Chromium: open the built site, follow its navigation, at a root and a sub-path."""

from __future__ import annotations

import re

import pytest
from conftest import CONTENT, serve

from sitegen.build import build
from sitegen.errors import Diagnostics

pytestmark = pytest.mark.browser


def test_navigation_from_home_to_a_paper_and_back(sample_build, page):
    _, out = sample_build
    with serve(out) as base:
        page.goto(base)
        assert page.title().startswith("Daily Papers Digest")
        first = page.locator(".card-title a").first
        title = first.inner_text()
        first.click()
        page.wait_for_load_state()
        assert re.search(r"/papers/[a-z0-9-]+/$", page.url)
        assert page.locator("h1").inner_text() == title
        page.get_by_role("link", name="Dec 24, 2025").first.click()
        assert page.url.endswith("/editions/2025-12-24/")
        page.locator('a[rel="prev"]').first.click()
        assert page.url.endswith("/editions/2025-11-19/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Archive").click()
        assert page.url.endswith("/archive/")
        page.get_by_role("link", name="October 2025").click()
        assert page.locator("h1").inner_text() == "October 2025"
        page.get_by_role("navigation", name="Main").get_by_role("link", name="About").click()
        assert page.locator("h1").inner_text() == "About"
        assert page.js_errors == []


def test_site_under_a_sub_path_with_styles_and_404(tmp_path, page):
    out = tmp_path / "site"
    build(CONTENT, out, base_url="https://example.org/digest/", diags=Diagnostics())
    with serve(out, "/digest/") as base:
        page.goto(base + "editions/")
        color = page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
        assert color == "solid"  # the stylesheet loaded
        page.locator("footer").get_by_role("link", name="Organizations").click()
        assert page.url == base + "orgs/"
        response = page.goto(base + "no/such/page/")
        assert response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        page.locator("main").get_by_role("link", name="archive").click()
        assert page.url == base + "archive/"
        assert page.js_errors == []


def test_papers_new_since_the_newest_edition_opened_are_marked(sample_build, page):
    """The newest edition a reader opened (the home page's or an edition's page) is where "new"
    counts from on the next visit; opening any other page (a paper's) does not move it."""
    _, out = sample_build
    context = page.context
    with serve(out) as base:
        page.goto(base + "editions/2025-11-19/")  # first visit: nothing is marked
        assert page.locator(".card.is-new").count() == 0
        last_seen = "localStorage.getItem('sitegen:last-seen-edition')"
        assert page.evaluate(last_seen) == "2025-11-19"
        href = page.locator(".card-title a").first.get_attribute("href")
        paper = context.new_page()  # a new tab: a new visit, straight to a paper's page
        paper.goto(base + "editions/2025-11-19/" + href)
        assert "/papers/" in paper.url and paper.locator("h1").count() == 1
        assert paper.evaluate(last_seen) == "2025-11-19"
        later = context.new_page()
        later.goto(base)
        newer = later.locator(".card[data-first-seen]").evaluate_all(
            "cards => cards.filter(c => c.dataset.firstSeen > '2025-11-19').length"
        )
        assert newer > 0
        assert later.locator(".card.is-new").count() == newer
        assert later.locator(".card.is-new .new-badge").first.text_content() == "new"
        assert later.evaluate(last_seen) == "2025-12-24"
        again = context.new_page()  # the next visit: the latest edition has been seen
        again.goto(base)
        assert again.locator(".card.is-new").count() == 0
        assert page.js_errors == []
