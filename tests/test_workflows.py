"""The GitHub workflows: valid against the workflow JSON schema, and they do what the README says.

The schema is the one check-jsonschema ships (``--builtin-schema vendor.github-workflows``), so this
needs no network.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (pip install -e '.[test]')")


def _validate(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
    )


def _load(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def _uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in _steps(job) if "uses" in step]


def test_there_are_a_tests_and_a_deploy_workflow():
    assert [p.name for p in WORKFLOWS] == ["pages.yml", "tests.yml"]


def test_workflows_validate_against_the_schema():
    result = _validate(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    """The check above can fail: a job without runs-on and a misspelt trigger are caught."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on:\n  pusj: {}\njobs:\n  build:\n    steps:\n      - run: echo hi\n", encoding="utf-8"
    )
    result = _validate(broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered" in result.stdout + result.stderr


def test_deploy_triggers_on_content_templates_and_code_pushed_to_main():
    on = _load("pages.yml")["on"]
    assert on["push"]["branches"] == ["main"]
    assert {"content/**", "templates/**", "sitegen/**"} <= set(on["push"]["paths"])
    assert "workflow_dispatch" in on
    assert "pull_request" not in on


def test_deploy_tests_then_builds_strict_at_the_pages_url_then_deploys():
    flow = _load("pages.yml")
    jobs = flow["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/tests.yml"
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    build = jobs["build"]
    assert _uses(build) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-pages-artifact",
    ]
    pages = next(s for s in _steps(build) if s.get("uses", "").startswith("actions/configure-pages"))
    command = next(s for s in _steps(build) if "sitegen build" in s.get("run", ""))
    assert command["env"]["BASE_URL"] == "${{ steps." + pages["id"] + ".outputs.base_url }}"
    assert "--strict" in command["run"] and '--base-url "$BASE_URL"' in command["run"]
    upload = next(s for s in _steps(build) if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site"
    assert _uses(jobs["deploy"]) == ["actions/deploy-pages"]
    assert jobs["deploy"]["environment"]["name"] == "github-pages"


def test_least_permissions_and_one_deploy_at_a_time():
    flow = _load("pages.yml")
    assert flow["permissions"] == {}
    jobs = flow["jobs"]
    assert jobs["test"]["permissions"] == {"contents": "read"}
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert flow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert _load("tests.yml")["permissions"] == {"contents": "read"}


def test_tests_run_on_pull_requests_with_chromium_and_a_pip_cache():
    flow = _load("tests.yml")
    assert "pull_request" in flow["on"] and "workflow_call" in flow["on"]
    job = flow["jobs"]["test"]
    runs = " ".join(step.get("run", "") for step in _steps(job))
    assert "apt-get install -y -qq chromium" in runs
    assert "bash .ci/run" in runs
    cache = next(s for s in _steps(job) if s.get("uses", "").startswith("actions/cache"))
    assert "hashFiles('pyproject.toml')" in cache["with"]["key"]
    setup = next(
        s for s in _steps(_load("pages.yml")["jobs"]["build"]) if "setup-python" in s.get("uses", "")
    )
    assert setup["with"] == {
        "python-version": "3.11",
        "cache": "pip",
        "cache-dependency-path": "pyproject.toml",
    }


def test_deploy_restores_the_build_cache_before_building_and_saves_it_after():
    """A new dump changes the exact key, so the newest earlier cache is restored by prefix: the
    build is incremental and starts from the themes of the last deploy; saved after a build that
    succeeded, under the exact key, unless that key was restored."""
    steps = _steps(_load("pages.yml")["jobs"]["build"])
    names = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in steps]
    build = next(i for i, n in enumerate(names) if "sitegen build" in n)
    restore = names.index("actions/cache/restore")
    save = names.index("actions/cache/save")
    assert restore < build < save
    restored, saved, command = steps[restore], steps[save], steps[build]["run"]
    assert "--no-cache" not in command
    path = restored["with"]["path"]
    assert path == saved["with"]["path"] == ".sitegen-cache"
    assert "--cache" not in command or f"--cache {path}" in command
    key = restored["with"]["key"]
    for inputs in ("content/**", "templates/**", "sitegen/**", "pyproject.toml"):
        assert f"'{inputs}'" in key
    prefix = key.split("${{ hashFiles")[0]
    assert restored["with"]["restore-keys"].strip() == prefix
    assert saved["with"]["key"] == "${{ steps." + restored["id"] + ".outputs.cache-primary-key }}"
    assert saved["if"] == "steps." + restored["id"] + ".outputs.cache-hit != 'true'"
