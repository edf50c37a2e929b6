"""The pages as a reader meets them (issue #16, items 5-9): each paper once on an edition, theme
filters in place, plural forms, a paper page without repetition, navigation, phones."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import CONTENT, serve
from markupsafe import escape

from sitegen.build import build
from sitegen.errors import Diagnostics


def _main(page_html: str) -> str:
    return page_html[page_html.index('<main id="main"') : page_html.index("</main>")]


# --- 5: each paper once; the home page presents the latest edition as the edition page does --


def test_edition_page_lists_each_paper_once(sample_build):
    result, out = sample_build
    for edition in result.site.editions:
        main = _main((out / edition.url / "index.html").read_text(encoding="utf-8"))
        assert main.count('<article class="card"') == len(edition.papers)
        for paper in edition.papers:
            title = f">{escape(paper.title)}</a>"
            assert main.count(title) == 1, (edition.slug, paper.title)
        assert "By theme</h2>" not in main


def _listing(page) -> dict:
    return page.evaluate(
        """() => ({
            cards: [...document.querySelectorAll('#edition-papers .card-title a')].map(a => a.href),
            chips: [...document.querySelectorAll('.theme-filter .theme-chip')].map(c => c.textContent.trim()),
            prev: (document.querySelector('main a[rel=prev]') || {}).href || null,
        })"""
    )


@pytest.mark.browser
def test_home_and_latest_edition_page_present_the_edition_alike(sample_build, page):
    result, out = sample_build
    with serve(out) as base:
        page.goto(base)
        home = _listing(page)
        page.goto(base + result.site.editions[0].url)
        edition = _listing(page)
    assert home == edition
    assert len(home["cards"]) == len(result.site.editions[0].papers)
    assert home["prev"] == base + result.site.editions[1].url


@pytest.mark.browser
def test_theme_chips_filter_the_edition_in_place(sample_build, page):
    result, out = sample_build
    edition = result.site.editions[1]
    with serve(out) as base:
        page.goto(base + edition.url)
        chips = page.locator(".theme-filter button.theme-chip")
        assert chips.count() > 1
        chip = chips.nth(1)
        slug = chip.get_attribute("data-theme")
        expected = [p.title for p in edition.papers if p.theme and p.theme.slug == slug]
        chip.click()
        assert chip.get_attribute("aria-pressed") == "true"
        assert page.locator("#edition-papers .card:visible .card-title").all_inner_texts() == expected
        assert page.url.endswith(f"#theme-{slug}")
        assert (
            f"Showing {len(expected)} of {len(edition.papers)} papers"
            in page.locator(".filter-status").inner_text()
        )
        # The filtered URL can be shared: opening it shows the same papers.
        page.reload()
        assert page.locator("#edition-papers .card:visible").count() == len(expected)
        page.get_by_role("link", name="Show all").click()
        assert page.locator("#edition-papers .card:visible").count() == len(edition.papers)
        page.go_back()
        assert page.locator("#edition-papers .card:visible").count() == len(expected)
        assert page.js_errors == []


@pytest.mark.browser
def test_without_javascript_every_paper_shows_and_chips_lead_to_the_themes(sample_build, browser):
    result, out = sample_build
    edition = result.site.editions[0]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with serve(out) as base:
        page.goto(base + edition.url)
        assert page.locator("#edition-papers .card:visible").count() == len(edition.papers)
        chip = page.locator(".theme-filter a.theme-chip").first
        chip.click()
        page.wait_for_load_state()
        assert re.search(r"/themes/[a-z0-9-]+/$", page.url)
    context.close()


# --- 6: plural forms ---------------------------------------------------------------------------


def test_no_page_says_1_papers(sample_build):
    result, out = sample_build
    wrong = re.compile(r"(?<![\d,.])1 (papers|authors|comments|editions|themes)\b")
    found = []
    for path in sorted(out.rglob("*.html")):
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(out)}: {m.group(0)}" for m in wrong.finditer(text)]
    assert found == []
    single = next(g for g in result.site.organizations if len(g.papers) == 1)
    assert "1 paper ·" in (out / single.url / "index.html").read_text(encoding="utf-8")


# --- 7: the paper page and the code badge -----------------------------------------------------


def test_paper_page_says_each_fact_once_and_leads_to_its_editions(sample_build):
    result, out = sample_build
    paper = next(p for p in result.site.papers if p.organization and p.published and len(p.editions) > 1)
    page_html = (out / paper.url / "index.html").read_text(encoding="utf-8")
    article = page_html[page_html.index('<article class="paper">') : page_html.index("<h2>Abstract</h2>")]
    assert article.count(f">{escape(paper.organization.name)}</a>") == 1
    assert article.count(paper.published.strftime("%b %-d, %Y")) == 1
    assert article.count(f">{escape(paper.theme.label)}</a>") == 1
    assert 'class="meta"' not in article
    crumbs = page_html[
        page_html.index('class="crumbs"') : page_html.index("</nav>", page_html.index('class="crumbs"'))
    ]
    assert f'href="../../{paper.editions[-1].url}"' in crumbs
    assert "archive/" not in crumbs


def test_code_badge_is_the_link_to_the_repository(sample_build):
    result, out = sample_build
    paper = next(p for p in result.site.papers if p.title.startswith("Str2Str"))
    edition = paper.editions[-1]
    main = _main((out / edition.url / "index.html").read_text(encoding="utf-8"))
    assert '<a class="code-mark" href="https://github.com/lujiarui/Str2Str"' in main
    assert '<span class="code-mark">' not in main
    page_html = (out / paper.url / "index.html").read_text(encoding="utf-8")
    assert '<dt>Code</dt><dd><a class="link-text" href="https://github.com/lujiarui/Str2Str"' in page_html


# --- 8: navigation, About, favicon ---------------------------------------------------------------


@pytest.mark.browser
def test_p_on_the_home_page_opens_the_previous_edition(sample_build, page):
    result, out = sample_build
    with serve(out) as base:
        page.goto(base)
        page.keyboard.press("p")
        page.wait_for_url(base + result.site.editions[1].url)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations").click()
        page.wait_for_url(base + "orgs/")
        assert page.locator("h1").inner_text() == "Organizations"


@pytest.mark.browser
def test_no_request_fails_favicon_included(sample_build, page):
    _, out = sample_build
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    with serve(out) as base:
        page.goto(base)
        page.wait_for_load_state("networkidle")
        icon = page.evaluate("document.querySelector('link[rel=icon]').href")
        response = page.request.get(icon)
        assert response.status == 200 and b"<svg" in response.body()
    assert failed == []


def test_about_page_links_no_placeholder_and_the_source_link_is_a_setting(sample_build, tmp_path):
    _, out = sample_build
    about = (out / "about/index.html").read_text(encoding="utf-8")
    assert 'href="https://github.com/"' not in about
    assert ">Source</a>" not in about
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    with (content / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("source_url: https://example.org/me/digest\n")
    files = build(content, None, diags=Diagnostics()).files
    assert '<a href="https://example.org/me/digest">Source</a>' in files["about/index.html"].decode()


# --- 9: phones ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_phone_header_is_one_compact_row_with_search_reachable(sample_build, browser):
    _, out = sample_build
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    with serve(out) as base:
        page.goto(base)
        header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        assert header <= 64
        tops = page.evaluate(
            "[...document.querySelectorAll('.site-header .brand, .site-header .nav li, .site-search')]"
            ".map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))"
        )
        assert max(tops) - min(tops) <= 4, tops  # one row (the navigation scrolls sideways)
        box = page.locator("#site-search-q")
        assert "/" not in box.get_attribute("placeholder")  # no keyboard to press it on
        box.tap()
        assert page.evaluate("document.activeElement.id") == "site-search-q"
        assert box.bounding_box()["width"] > 300  # the box opens over the row to type in
        page.keyboard.type("diffusion")
        page.locator(".search-panel .search-result").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()


@pytest.mark.browser
def test_desktop_placeholder_tells_the_shortcut(sample_build, page):
    _, out = sample_build
    with serve(out) as base:
        page.goto(base)
        assert page.locator("#site-search-q").get_attribute("placeholder") == "Press / to search"
