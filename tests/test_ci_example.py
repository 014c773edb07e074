"""The CI workflow examples in docs/ci/ parse, and every option they give ikscheck exists.

So that the examples never drift from the options: each ``pytest checks/`` command's options
are ikscheck's (src/ikscheck/options.py) or pytest's own ones named below, and each
``python -m ikscheck merge`` command's are merge's.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import testenv
from ikscheck.options import OPTIONS

CI = testenv.REPO / "docs" / "ci"
WORKFLOWS = sorted(CI.glob("*.yml"))
#: Options of pytest itself (or a plugin ikscheck depends on) that the examples use.
PYTEST_OWN = {"--junitxml"}
MERGE_OPTIONS = {"--report-json", "--report-html"}


def workflow(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def triggers(doc: dict[Any, Any]) -> dict[str, Any]:
    found = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(found, dict)
    return found


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def commands(doc: dict[str, Any]) -> list[list[str]]:
    """Each shell command of the workflow's `run` steps, as words (continuations joined)."""
    found = []
    for step in steps(doc):
        script = re.sub(r"\\\n", " ", step.get("run", ""))
        for line in script.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line:
                found.append(shlex.split(line))
    return found


def test_there_are_examples() -> None:
    assert [p.name for p in WORKFLOWS] == ["nightly-sharded.yml", "nightly.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_workflow_runs_nightly_with_the_api_key_from_a_secret(path: Path) -> None:
    doc = workflow(path)
    assert [t["cron"] for t in triggers(doc)["schedule"]]
    assert doc["env"]["IBMCLOUD_API_KEY"] == "${{ secrets.IBMCLOUD_API_KEY }}"
    for job in doc["jobs"].values():
        assert job["runs-on"] and job["steps"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    # The key is never on a command line.
    assert not any("IBMCLOUD_API_KEY" in word for c in commands(doc) for word in c)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_option_the_workflow_gives_ikscheck_exists(path: Path) -> None:
    ours = {option.flag for option in OPTIONS}
    runs = suite_runs(commands(workflow(path)))
    assert runs, "no `pytest checks/` in the workflow"
    for words in runs:
        used = {w.split("=", 1)[0] for w in words if w.startswith("--")}
        assert used - ours <= PYTEST_OWN, f"not options: {sorted(used - ours - PYTEST_OWN)}"
        # The gate and the three reports, every time.
        assert {"--baseline", "--fail-on", "--report-json", "--report-html", "--junitxml"} <= used
        assert words[words.index("--fail-on") + 1] == "new"
    for words in merges(commands(workflow(path))):
        used = {w.split("=", 1)[0] for w in words if w.startswith("--")}
        assert used <= MERGE_OPTIONS <= ours


def test_the_pytest_options_used_are_pytest_s(tmp_path: Path) -> None:
    """pytest takes each (exit 5: nothing collected), where an unknown option is exit 4."""
    for flag in PYTEST_OWN:
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only"]
        done = subprocess.run(
            [*argv, flag, str(tmp_path / "out.xml"), str(tmp_path)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 5, f"{flag}: {done.stderr}"


def test_the_sharded_example_merges_its_shards() -> None:
    doc = workflow(CI / "nightly-sharded.yml")
    shard, merge = doc["jobs"]["shard"], doc["jobs"]["merge"]
    assert len(shard["strategy"]["matrix"]["include"]) > 1
    assert merge["needs"] == "shard"
    (run,) = merges(commands(doc))
    assert run[run.index("merge") + 1] == "shards/*/health.json"
    uploads = [s for s in steps(doc) if str(s.get("uses", "")).startswith("actions/upload")]
    assert {u["with"]["path"] for u in uploads} == {"shard/", "reports/"}


def test_the_nightly_example_uploads_every_report() -> None:
    doc = workflow(CI / "nightly.yml")
    (upload,) = [s for s in steps(doc) if str(s.get("uses", "")).startswith("actions/upload")]
    assert upload["if"] == "always()"
    (run,) = suite_runs(commands(doc))
    for flag in ("--report-json", "--report-html", "--junitxml"):
        assert run[run.index(flag) + 1].startswith(upload["with"]["path"])


def suite_runs(found: list[list[str]]) -> list[list[str]]:
    """The runs of the checks: ``pytest checks/ ...``, or ``python -m ikscheck --...``."""
    return [
        c
        for c in found
        if c[:2] == ["pytest", "checks/"]
        or (c[:3] == ["python", "-m", "ikscheck"] and c[3:4] and c[3].startswith("-"))
    ]


def merges(found: list[list[str]]) -> list[list[str]]:
    return [c for c in found if c[:4] == ["python", "-m", "ikscheck", "merge"]]
