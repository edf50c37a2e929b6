"""The command line as a user meets it: exit codes, messages, summary, overrides, installs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CONTENT, ROOT, content_without_edition_dates

from sitegen.cli import _parser, main

ABSTRACT = "We propose a method that works well on many benchmarks and we release the code for it."


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitegen", *args], capture_output=True, text=True, cwd=cwd)


def _content(tmp_path: Path, dump: str, name: str = "2025-03-11.txt", site: str = "title: T\n") -> Path:
    content = tmp_path / "content"
    (content / "dumps").mkdir(parents=True)
    (content / "dumps" / name).write_text(dump, encoding="utf-8")
    (content / "site.yaml").write_text(site, encoding="utf-8")
    return content


def test_every_command_has_help():
    parser = _parser()
    commands = parser._subparsers._group_actions[0]
    assert commands.choices
    for name, sub in commands.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, f"{name} {action.dest}"


def test_build_prints_summary_and_writes(tmp_path):
    result = run("build", "--content", str(CONTENT), "--out", str(tmp_path / "out"), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("4 dumps, 296 paper blocks, 270 distinct papers, 4 editions, 0 warnings, ")
    assert "pages written in" in summary
    assert result.stderr == ""
    assert (tmp_path / "out" / "index.html").is_file()


def test_strict_passes_on_the_sample_content(tmp_path):
    result = run("build", "--strict", "--content", str(CONTENT), "--out", str(tmp_path / "out"), cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_strict_fails_on_warnings_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    content = content_without_edition_dates(tmp_path)
    result = run("build", "--strict", "--content", str(content), "--out", str(out), cwd=ROOT)
    assert "004_45889c18e00e42e1.txt:9: cannot infer the edition's year" in result.stderr
    assert result.returncode == 1
    assert "Error: 1 warning(s) with --strict; nothing written" in result.stderr
    assert not out.exists()


def test_bad_block_is_reported_and_others_still_build(tmp_path):
    dump = f"Mar 11\n\nGood One\n\n{ABSTRACT}\n\n  • 2 authors\n·\nSmarch 45\n\nGood Two\n\n{ABSTRACT}\n"
    content = _content(tmp_path, dump)
    out = tmp_path / "out"
    result = run("build", "--content", str(content), "--out", str(out))
    assert result.returncode == 0
    assert f"{content}/dumps/2025-03-11.txt:9: not a date: 'Smarch 45'; date ignored" in result.stderr
    assert "2 distinct papers" in result.stdout
    assert run("build", "--strict", "--content", str(content), "--out", str(out)).returncode == 1


def test_missing_content_folder_is_an_error_not_a_traceback(tmp_path):
    result = run("build", "--content", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr == f"Error: {tmp_path / 'nope'}: no such content folder\n"


def test_invalid_config_lists_every_problem(tmp_path):
    content = _content(
        tmp_path, f"Mar 11\n\nA\n\n{ABSTRACT}\n", site="base_url: nope\nfeed_size: -1\ncolour: red\n"
    )
    result = run("build", "--content", str(content), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "unknown setting 'colour' ignored" in result.stderr
    assert "base_url: expected an absolute http(s) URL, got 'nope'" in result.stderr
    assert "feed_size: expected a whole number from 1 to 10000" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_yaml_points_at_the_line(tmp_path):
    content = _content(tmp_path, f"Mar 11\n\nA\n\n{ABSTRACT}\n", site="title: [unclosed\n")
    result = run("build", "--content", str(content), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert f"Error: {content}/site.yaml:2: invalid YAML" in result.stderr


def test_user_template_overrides_and_extends_the_default(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "paper.html").write_text(
        '{% extends "default/paper.html" %}{% block description %}CUSTOM {{ paper.title }}{% endblock %}',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--content", str(CONTENT), "--templates", str(templates), "--out", str(out)]) == 0
    page = next((out / "papers").iterdir()) / "index.html"
    html = page.read_text(encoding="utf-8")
    assert '<meta name="description" content="CUSTOM ' in html
    assert "<h2>Abstract</h2>" in html  # the rest is the default template


def test_template_error_is_reported_with_its_file_and_line(tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("line one\n{% if %}\n", encoding="utf-8")
    assert (
        main(
            ["build", "--content", str(CONTENT), "--templates", str(templates), "--out", str(tmp_path / "o")]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert f"{templates / 'index.html'}:2: template syntax error" in err


def test_a_template_no_page_uses_may_be_broken(tmp_path, capsys):
    """Every template is compiled before the workers fork (``Renderer.load_all``); one that no
    page renders is not an error, as before (a draft beside the user's templates)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "draft.html").write_text("{% if %}\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main(["build", "--content", str(CONTENT), "--templates", str(templates), "--out", str(out)]) == 0
    assert (out / "index.html").is_file()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_installed_wheel_finds_its_templates(tmp_path):
    """Not only an editable checkout: a wheel carries the default templates inside the package."""
    dist = tmp_path / "dist"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 and "hatchling" in built.stderr:
        pytest.skip("hatchling is not installed in this environment")
    assert built.returncode == 0, built.stderr
    wheel = next(dist.glob("sitegen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "sitegen/templates/base.html" in names and "sitegen/templates/static/style.css" in names
    site_packages = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site_packages)
    work = tmp_path / "elsewhere"  # no templates/ folder here
    shutil.copytree(CONTENT, work / "content")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); from sitegen.cli import main; sys.exit(main(['build']))",
            str(site_packages),
        ],
        capture_output=True,
        text=True,
        cwd=work,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "_site" / "index.html").is_file()


@pytest.mark.parametrize("target", [".", "content", "tests", "/"])
def test_build_never_replaces_a_folder_it_did_not_write(tmp_path, target):
    work = tmp_path / "work"
    shutil.copytree(CONTENT, work / "content")
    (work / "tests").mkdir()
    (work / "tests" / "keep.py").write_text("x = 1\n", encoding="utf-8")
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    result = run("build", "--out", target, cwd=work)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: --out {(work / target).resolve()}: ")
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before


def test_build_replaces_its_own_output(tmp_path):
    out = tmp_path / "site"
    assert run("build", "--content", str(CONTENT), "--out", str(out), cwd=ROOT).returncode == 0
    assert (out / ".sitegen").is_file()
    (out / "stale.html").write_text("old", encoding="utf-8")
    assert run("build", "--content", str(CONTENT), "--out", str(out), cwd=ROOT).returncode == 0
    assert not (out / "stale.html").exists()


def test_impossible_date_in_site_yaml_is_an_error_not_a_traceback(tmp_path):
    content = _content(tmp_path, f"Mar 11\n\nA\n\n{ABSTRACT}\n", site="editions:\n  x.txt: 2025-02-30\n")
    result = run("build", "--content", str(content), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr == f"Error: {content}/site.yaml: invalid YAML: day is out of range for month\n"


def test_error_raised_inside_a_template_names_the_template_line(tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("line one\n{{ 1 // 0 }}\n", encoding="utf-8")
    code = main(
        ["build", "--content", str(CONTENT), "--templates", str(templates), "--out", str(tmp_path / "o")]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {templates / 'index.html'}:2: ZeroDivisionError: ")
    assert "Traceback" not in err


def test_two_pages_with_one_slug_are_reported(tmp_path):
    content = _content(tmp_path, f"Mar 11\n\nA\n\n{ABSTRACT}\n")
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text("# About\n", encoding="utf-8")
    (content / "pages" / "zz.md").write_text("---\nslug: about\n---\nOther\n", encoding="utf-8")
    result = run("build", "--content", str(content), "--out", str(tmp_path / "o"))
    assert result.returncode == 0
    assert f"{content}/pages/zz.md: another page already has the slug 'about'; skipped" in result.stderr
