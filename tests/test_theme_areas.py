"""Areas on the themes pages of a large site, names carried across builds (issue #15)."""

from __future__ import annotations

import json
import re
import shutil
from html import escape

import pytest
from conftest import serve

from bench import synth
from sitegen.build import build
from sitegen.errors import Diagnostics


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """1,100 synthetic papers: past ``max_full``, so the themes are clustered in areas."""
    content = tmp_path_factory.mktemp("areas") / "content"
    synth.generate(1100, seed=3).write(content)
    out = content.parent / "_site"
    result = build(content, out, diags=Diagnostics(), jobs=2)
    return content, result, out


def test_the_themes_index_shows_each_theme_under_its_named_area(large):
    _, result, out = large
    site = result.site
    assert len(site.areas) >= 2
    assert sorted(t.slug for a in site.areas for t in a.themes) == sorted(t.slug for t in site.themes)
    assert len({a.label for a in site.areas}) == len(site.areas)
    assert all(1 <= len(a.label.split(" · ")) <= 2 for a in site.areas)
    index = (out / "themes" / "index.html").read_text(encoding="utf-8")
    for area in site.areas:
        section = index.split(f'<section class="area" id="{area.anchor}"', 1)[1].split("</section>", 1)[0]
        assert escape(area.label) in section
        assert [m for m in re.findall(r'<h3><a href="\.\./(themes/[^"]+)"', section)] == [
            t.url for t in area.themes
        ]
        assert f'href="#{area.anchor}"' in index
    record = json.loads((out / "data" / "themes.json").read_text(encoding="utf-8"))
    named = [t for t in record if t.get("subject", True)]
    assert {t["slug"]: t["area_label"] for t in named} == {t.slug: t.area_label for t in site.themes}
    # The groups of papers of no theme are in no area.
    assert [t["area_label"] for t in record[len(named) :]] == [None] * len(site.leftover)


def test_a_theme_page_names_its_area_and_links_its_feed(large):
    _, result, out = large
    for theme in result.site.themes[:5]:
        html = (out / theme.url / "index.html").read_text(encoding="utf-8")
        assert f'<a href="../../themes/#{theme.area_anchor}">{escape(theme.area_label)}</a>' in html
        assert f'href="../../{theme.url}feed.xml"' in html and "Follow this theme (RSS)" in html


def test_areas_and_names_survive_a_seeded_rebuild(large, tmp_path):
    content, result, out = large
    seeded = tmp_path / "content"
    shutil.copytree(content, seeded)
    shutil.copy(out / "data" / "themes.json", seeded / "themes.json")
    again = build(seeded, None, diags=Diagnostics())
    assert [(a.label, [t.slug for t in a.themes]) for a in again.site.areas] == [
        (a.label, [t.slug for t in a.themes]) for a in result.site.areas
    ]
    assert again.files["themes/index.html"] == result.files["themes/index.html"]


@pytest.mark.browser
def test_areas_in_chromium(large, page):
    _, result, out = large
    area = result.site.areas[0]
    theme = area.themes[0]
    with serve(out, "/digest/") as base:
        page.goto(base + "themes/")
        assert page.locator("section.area").count() == len(result.site.areas)
        page.locator(".area-index a").first.click()
        page.wait_for_url(base + f"themes/#{area.anchor}")
        page.locator(f"#{area.anchor} .theme-card h3 a").first.click()
        page.wait_for_url(base + theme.url)
        assert page.locator("h1").inner_text() == theme.label
        link = page.get_by_role("link", name="Follow this theme (RSS)")
        assert link.is_visible() and link.get_attribute("href") == "../../" + theme.url + "feed.xml"
        page.get_by_role("link", name=area.label).last.click()
        page.wait_for_url(base + f"themes/#{area.anchor}")
        assert page.js_errors == []
