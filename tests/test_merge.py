"""``python -m ikscheck merge``: the JSON reports of sharded runs, merged into one JSON and HTML
report (rules in src/ikscheck/merge.py).

End to end: a fleet of three clusters is recorded from a test workstation, replayed in two
shards by ``--cluster`` and serially, and the shards' merge is the serial run. The other rules
are tested on reports of real replays of the bundled recordings, changed where a case needs it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import testenv
from ikscheck.errors import UsageError
from ikscheck.jsonschemas import problems
from ikscheck.merge import merge, read_report, validated
from ikscheck.results import result_key

RECORDINGS = testenv.REPO / "recordings"


def ikscheck_merge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "ikscheck", "merge", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {result_key(c["id"], c["params"]): c["status"] for c in document["checks"]}


def save(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The JSON reports of replaying recordings/healthy and recordings/kubectl-skew."""
    out = tmp_path_factory.mktemp("replays")
    found = {}
    for name in ("healthy", "kubectl-skew"):
        report = out / f"{name}.json"
        argv = [sys.executable, "-m", "pytest", str(testenv.REPO / "checks"), "-q"]
        argv += ["-p", "no:cacheprovider", "--replay", str(RECORDINGS / name)]
        argv += ["--report-json", str(report)]
        done = subprocess.run(argv, cwd=out, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
        found[name] = json.loads(report.read_text())
    return found


# -- end to end: shards by --cluster merge to the serial run ------------------------------------


def test_shards_by_cluster_merge_to_the_serial_run(make_workstation, run_suite, tmp_path) -> None:
    ws = make_workstation(testenv.Scenario(fleet=2))
    bundle = tmp_path / "fleet-bundle"
    recorded = run_suite(*ws.args, "--record", str(bundle))
    assert (bundle / "manifest.json").exists(), recorded.result.stdout.str()[-2000:]
    clusters = [testenv.CLUSTER, "fleet-000", "fleet-001"]

    serial = run_suite("--replay", str(bundle)).report
    assert serial["clusters"] == clusters
    shards = []
    for n, chosen in enumerate([clusters[:1], clusters[1:]]):
        run = run_suite("--replay", str(bundle), *(a for c in chosen for a in ("--cluster", c)))
        assert run.report["clusters"] == chosen
        shards.append(save(run.report, tmp_path / f"shard-{n}.json"))

    out = tmp_path / "merged"
    done = ikscheck_merge(
        *map(str, shards), "--report-json", str(out / "all.json"), "--report-html",
        str(out / "fleet.html"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == serial["exit_code"] == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"Merged 2 reports: {len(serial['checks'])} results, 3 clusters: healthy"
    )
    merged = json.loads((out / "all.json").read_text())
    assert problems(merged, "report") == []
    assert statuses(merged) == statuses(serial)
    # In the serial run's order, too: the shards split the clusters in its order.
    assert [c["nodeid"] for c in merged["checks"]] == [c["nodeid"] for c in serial["checks"]]
    fields = ("summary", "verdict", "exit_code", "clusters", "mode", "fail_on", "baseline", "plan")
    for field in fields:
        assert merged[field] == serial[field], field
    assert merged["environment"] == serial["environment"]
    assert merged["evaluated_at"] == serial["evaluated_at"]
    html = (out / "fleet.html").read_text()
    assert "fleet-001" in html and "<html" in html

    # The defaults: reports/health.json, and health.html beside it.
    again = ikscheck_merge(*map(str, shards), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "reports" / "health.json").read_text()) == merged
    assert (tmp_path / "reports" / "health.html").exists()


# -- results in more than one input --------------------------------------------------------------


def test_identical_results_in_every_input_are_kept_once(replays) -> None:
    healthy = replays["healthy"]
    merged = merge([("a.json", healthy), ("b.json", copy.deepcopy(healthy))])
    assert merged["checks"] == healthy["checks"]
    assert merged["summary"] == healthy["summary"]
    assert merged["clusters"] == healthy["clusters"] == [testenv.CLUSTER]
    assert merged["environment"]["clusters"] == healthy["environment"]["clusters"]


def test_inputs_that_disagree_give_the_worst_status_and_say_so(replays, tmp_path) -> None:
    healthy = save(replays["healthy"], tmp_path / "healthy.json")
    skew = save(replays["kubectl-skew"], tmp_path / "skew.json")
    done = ikscheck_merge(healthy.name, skew.name, "--report-json", "m.json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the skew fails, whichever input comes first
    merged = json.loads((tmp_path / "m.json").read_text())
    assert merged["verdict"] == "unhealthy"
    found = next(c for c in merged["checks"] if c["id"] == "KCTL-002")
    expected = next(c for c in replays["kubectl-skew"]["checks"] if c["id"] == "KCTL-002")
    assert found["status"] == "fail"
    assert found["message"] == f"{expected['message']} [merge: pass in healthy.json]"
    assert found["remediation"] == expected["remediation"]
    assert merged["summary"]["fail"] >= 1
    assert any(f"KCTL-002[{testenv.CLUSTER}]" in step["fixes"] for step in merged["plan"])
    assert sum(merged["summary"].values()) == len(merged["checks"])
    assert problems(merged, "report") == []


def test_the_latest_evaluation_and_recording_are_the_merge_s() -> None:
    early = minimal(evaluated_at="2026-11-28T22:00:00Z", recorded_at="2026-11-28T21:00:00Z")
    late = minimal(evaluated_at="2026-11-28T23:30:00+01:00", recorded_at="2026-11-28T21:30:00Z")
    merged = merge([("a", early), ("b", late)])
    assert merged["evaluated_at"] == "2026-11-28T23:30:00+01:00"  # 22:30Z: later than 22:00Z
    assert merged["recorded_at"] == "2026-11-28T21:30:00Z"


# -- baselines -------------------------------------------------------------------------------------


def test_baseline_marks_decide_a_new_gate_and_are_counted_once(replays) -> None:
    shard_a, shard_b = marked(replays["healthy"], "unchanged"), marked(replays["healthy"], "fixed")
    for doc in (shard_a, shard_b):
        doc["fail_on"] = "new"
    kctl = next(c for c in shard_b["checks"] if c["id"] == "KCTL-002")
    kctl.update(status="fail", baseline="new", remediation="install kubectl")
    cli_b = next(c for c in shard_b["checks"] if c["id"] == "CLI-001")
    cli_b["baseline"] = "new"  # still a pass: a new mark wins, and a pass never fails a gate
    merged = merge([("a.json", shard_a), ("b.json", shard_b)])
    assert merged["verdict"] == "unhealthy" and merged["exit_code"] == 1
    keys = statuses(merged)
    assert keys[result_key("KCTL-002", {"cluster": testenv.CLUSTER})] == "fail"
    cli = next(c for c in merged["checks"] if c["id"] == "CLI-001")
    assert cli["baseline"] == "new" and cli["message"] == shard_a["checks"][0]["message"]
    counts = {m: sum(c.get("baseline") == m for c in merged["checks"]) for m in ("new",)}
    assert merged["baseline"]["new"] == counts["new"] == 2
    total = sum(merged["baseline"][m] for m in ("new", "unchanged", "fixed"))
    assert total == len(merged["checks"])  # the shared results counted once
    assert merged["baseline"]["path"] == "a-baseline.json"
    assert problems(merged, "report") == []
    # The same findings, none new: the gate holds.
    kctl["baseline"] = "unchanged"
    assert merge([("a.json", shard_a), ("b.json", shard_b)])["verdict"] == "healthy"


def test_a_merge_of_reports_with_and_without_a_baseline_is_refused(replays) -> None:
    with pytest.raises(UsageError, match=r"^b.json was compared with a baseline and a.json was"):
        merge([("a.json", replays["healthy"]), ("b.json", marked(replays["healthy"], "fixed"))])


# -- usage errors: one line on stderr, exit 4, no report ------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "ERROR: merge: missing.json: cannot read it: No such file or directory"),
        ("a folder", "ERROR: merge: a folder: cannot read it: Is a directory"),
        ("not json", "ERROR: merge: not json: not a JSON report (Expecting value: line 1"),
        ("not a report", "ERROR: merge: not a report: not a valid report: $: 'summary' is a req"),
        ("schema 2", "ERROR: merge: schema 2: a report of schema version '2'; this ikscheck "),
        ("live", "ERROR: merge: live: mode 'live', but healthy.json: 'replay': merge reports"),
        ("warn", "ERROR: merge: warn: fail_on 'warn', but healthy.json: 'fail': merge reports"),
        ("no input", "ERROR: merge: the following arguments are required: REPORT.json"),
        ("--bogus", "ERROR: merge: unrecognized arguments: --bogus"),
    ],
)
def test_unusable_input_is_a_usage_error(replays, tmp_path, case, expected) -> None:
    healthy = save(replays["healthy"], tmp_path / "healthy.json")
    changed = copy.deepcopy(replays["healthy"])
    if case == "a folder":
        (tmp_path / case).mkdir()
    elif case == "not json":
        (tmp_path / case).write_text("<html>a report?</html>")
    elif case == "not a report":
        del changed["summary"]
    elif case == "schema 2":
        changed["schema_version"] = "2"
    elif case == "live":
        changed.update(mode="live", recorded_at=None)
    elif case == "warn":
        changed["fail_on"] = "warn"
    if case in ("not a report", "schema 2", "live", "warn"):
        save(changed, tmp_path / case)
    args = {"missing": ["missing.json"], "no input": [], "--bogus": ["--bogus", "healthy.json"]}
    done = ikscheck_merge(*args.get(case, [str(healthy.name), case]), cwd=tmp_path)
    assert done.returncode == 4
    assert done.stderr.startswith(expected), done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "reports").exists()


def test_validated_names_the_input_and_the_rule(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(UsageError, match=r"x.json: not an ikscheck JSON report \(an array, not an"):
        read_report(str(tmp_path / "x.json"))
    with pytest.raises(UsageError, match=r"^x.json: not a valid report: \$.checks: "):
        validated("x.json", {**minimal(), "checks": "all of them"})


# -- helpers -----------------------------------------------------------------------------------


def minimal(**changes: Any) -> dict[str, Any]:
    """The least report that validates: no results."""
    doc = {
        "schema_version": "1",
        "tool": {"name": "ikscheck", "version": "0.1.0"},
        "mode": "replay",
        "evaluated_at": "2026-11-28T22:00:00Z",
        "recorded_at": "2026-11-28T22:00:00Z",
        "verdict": "healthy",
        "exit_code": 0,
        "fail_on": "fail",
        "clusters": [],
        "environment": {
            "ibmcloud": {"path": None, "version": None},
            "plugins": [],
            "kubectl": {"path": None, "version": None},
            "clusters": [],
        },
        "summary": {"pass": 0, "warn": 0, "fail": 0, "error": 0, "skip": 0},
        "baseline": None,
        "checks": [],
    }
    doc.update(changes)
    assert validated("minimal", doc) is doc
    return doc


def marked(document: dict[str, Any], mark: str) -> dict[str, Any]:
    """``document`` as if compared with a baseline, every result ``mark``."""
    doc = copy.deepcopy(document)
    for check in doc["checks"]:
        check["baseline"] = mark
    doc["baseline"] = {"path": "a-baseline.json", "evaluated_at": doc["evaluated_at"]}
    doc["baseline"].update({m: len(doc["checks"]) * (m == mark) for m in ("new", "unchanged")})
    doc["baseline"]["fixed"] = len(doc["checks"]) * (mark == "fixed")
    return doc
