"""The bundled recordings: replayable, schema-valid, free of secrets, and reproducible."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

import testenv

sys.path.insert(0, str(testenv.REPO / "recordings"))
import make

RECORDINGS = testenv.REPO / "recordings"
BUNDLE_SCHEMA = json.loads((testenv.REPO / "schemas" / "bundle.schema.json").read_text())
EXPECTED = {
    "healthy": {},
    "plugin-missing": {"PLG-001": "fail"},
    "kubectl-skew": {"KCTL-002": "fail"},
    "cli-missing": {"CLI-001": "fail", "CLI-002": "skip", "PLG-001": "skip"},
}


def statuses(report: dict) -> dict[str, str]:
    return {c["nodeid"].split("::")[-1]: c["status"] for c in report["checks"]}


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_recording_replays_to_its_verdicts(run_suite, name: str) -> None:
    run = run_suite("--replay", str(RECORDINGS / name))
    assert run.report["mode"] == "replay"
    by_id = {c["id"]: c["status"] for c in run.report["checks"]}
    for check_id, status in EXPECTED[name].items():
        assert by_id[check_id] == status
    healthy = set(by_id) - set(EXPECTED[name]) - {"PLG-003", "PLG-004", "CLI-002"}
    assert {by_id[i] for i in healthy} <= {"pass", "skip"}
    assert run.result.ret == (0 if name == "healthy" else 1)


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_recording_manifest_follows_the_bundle_schema(name: str) -> None:
    manifest = json.loads((RECORDINGS / name / "manifest.json").read_text())
    jsonschema.validate(manifest, BUNDLE_SCHEMA)


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_re_recording_gives_the_same_verdicts(run_suite, tmp_path: Path, name: str) -> None:
    fresh = tmp_path / "fresh"
    done = make.record(name, fresh, root=tmp_path / "ws")
    assert (fresh / "manifest.json").exists(), done.stdout + done.stderr
    live = json.loads((tmp_path / "ws" / "health.json").read_text())
    replayed = run_suite("--replay", str(RECORDINGS / name)).report
    assert statuses(live) == statuses(replayed)
