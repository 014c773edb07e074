"""Baselines for CI gates (baseline.py), and the suite end to end with --baseline and
--fail-on new / new-warn over the bundled recordings: which results are new, unchanged or
fixed, the exit code a gate sees, the report's fields and page, and the usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import testenv
from htmltree import tree
from ikscheck.baseline import change, load
from ikscheck.errors import UsageError
from ikscheck.results import result_key

RECORDINGS = testenv.REPO / "recordings"
SCHEMA = json.loads((testenv.REPO / "schemas" / "report.schema.json").read_text())
SKEW = ("KCTL-002", {"cluster": "mycluster"})


def report_of(run_suite, pytester: pytest.Pytester, recording: str, name: str) -> Path:
    """A JSON report of replaying ``recording``, kept as ``name`` to serve as a baseline."""
    run = run_suite("--replay", str(RECORDINGS / recording))
    kept = pytester.path / name
    kept.write_text(run.report_path.read_text())
    return kept


def edited(path: Path, change_doc) -> Path:
    doc = json.loads(path.read_text())
    change_doc(doc)
    path.write_text(json.dumps(doc))
    return path


def marks(run) -> dict[str, str]:
    return {result_key(c["id"], c["params"]): c.get("baseline", "") for c in run.report["checks"]}


# -- the comparison --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        ("pass", "fail", "new"),
        ("skip", "error", "new"),
        ("warn", "fail", "new"),
        (None, "warn", "new"),
        ("fail", "fail", "unchanged"),
        ("error", "fail", "unchanged"),
        ("pass", "skip", "unchanged"),
        (None, "pass", "unchanged"),
        ("fail", "warn", "fixed"),
        ("warn", "pass", "fixed"),
        ("error", "skip", "fixed"),
    ],
)
def test_a_result_is_new_unchanged_or_fixed_by_how_bad_it_is(before, now, expected) -> None:
    assert change(before, now) == expected


def test_results_are_matched_by_the_key_plans_name_them_by(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    checks = [
        {"id": "PLG-003", "params": {"plugin": "kubernetes-service"}, "status": "fail"},
        {"id": "PLG-003", "params": {"plugin": "container-registry"}, "status": "pass"},
    ]
    path.write_text(json.dumps({"schema_version": "1", "checks": checks}))
    baseline = load(str(path))
    assert baseline.statuses == {
        "PLG-003[kubernetes-service]": "fail",
        "PLG-003[container-registry]": "pass",
    }
    assert baseline.status_of("PLG-003", {"plugin": "kubernetes-service"}) == "fail"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "not a JSON report"),
        ('["a", "list"]', "not an ikscheck JSON report (an array, not an object)"),
        ('{"schema_version": "1"}', "not an ikscheck JSON report (no list of checks)"),
        ('{"schema_version": "2", "checks": []}', "a report of schema version '2'"),
        ('{"schema_version": "1", "checks": [{"status": "fail"}]}', "a result without a check id"),
    ],
)
def test_a_file_that_is_no_baseline_is_a_usage_error(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load(str(path))
    assert str(caught.value).startswith(f"--baseline {path}: ")
    assert said in str(caught.value)


def test_a_baseline_of_other_clusters_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"schema_version": "1", "clusters": ["a", "b"], "checks": []}')
    baseline = load(str(path))
    baseline.refuse_other_clusters(["b", "a"])  # the same set: fine
    with pytest.raises(UsageError, match="checked clusters a, b; this run checks a, c"):
        baseline.refuse_other_clusters(["a", "c"])


# -- the suite, end to end -------------------------------------------------------------------


def test_a_new_failure_fails_the_gate_and_is_shown_first(run_suite, pytester) -> None:
    healthy = report_of(run_suite, pytester, "healthy", "baseline.json")
    run = run_suite(
        "--replay", str(RECORDINGS / "kubectl-skew"), "--baseline", str(healthy), "--fail-on", "new"
    )
    assert run.result.ret == 1
    assert (run.report["verdict"], run.report["fail_on"]) == ("unhealthy", "new")
    jsonschema.validate(run.report, SCHEMA)
    found = marks(run)
    assert found[result_key(*SKEW)] == "new"
    assert set(found.values()) == {"new", "unchanged"}
    assert run.report["baseline"] == {
        "path": str(healthy),
        "evaluated_at": json.loads(healthy.read_text())["evaluated_at"],
        "new": 1,
        "unchanged": len(found) - 1,
        "fixed": 0,
    }
    run.result.stdout.fnmatch_lines(
        ["FAIL  KCTL-002[[]mycluster[]] (new): kubectl 1.33 vs server 1.31: skew 2*",
         f"Against the baseline {healthy}: 1 new, {len(found) - 1} unchanged, 0 fixed"]
    )  # fmt: skip
    page = tree(run.report_path.with_name("health.html").read_text(), strict=True)
    section = page.root.by_id("changes")
    assert "Changed since baseline" in section.text()
    assert "New (1)" in section.text() and "KCTL-002" in section.text()
    assert "Fixed" not in section.text()


def test_known_failures_pass_a_new_only_gate_and_fail_the_default_one(run_suite, pytester) -> None:
    skew = report_of(run_suite, pytester, "kubectl-skew", "baseline.json")
    args = ("--replay", str(RECORDINGS / "kubectl-skew"), "--baseline", str(skew))
    gate = run_suite(*args, "--fail-on", "new")
    assert gate.result.ret == 0
    assert gate.report["verdict"] == "healthy"
    assert set(marks(gate).values()) == {"unchanged"}
    page = tree(gate.report_path.with_name("health.html").read_text(), strict=True)
    assert "Nothing new or fixed since the baseline" in page.root.by_id("changes").text()
    # A baseline marks the results; the default gate still fails on every failure.
    plain = run_suite(*args)
    assert plain.result.ret == 1
    assert marks(plain)[result_key(*SKEW)] == "unchanged"


def test_a_fixed_result_is_marked_and_listed(run_suite, pytester) -> None:
    skew = report_of(run_suite, pytester, "kubectl-skew", "baseline.json")
    run = run_suite(
        "--replay", str(RECORDINGS / "healthy"), "--baseline", str(skew), "--fail-on", "new"
    )
    assert run.result.ret == 0
    assert marks(run)[result_key(*SKEW)] == "fixed"
    assert run.report["baseline"]["fixed"] == 1
    page = tree(run.report_path.with_name("health.html").read_text(), strict=True)
    assert "Fixed (1)" in page.root.by_id("changes").text()


def test_new_warn_also_fails_on_a_new_warning(run_suite, pytester) -> None:
    # stale-login: TOK-002 fails, TOK-003 warns. The baseline knew the failure, not the warning.
    stale = report_of(run_suite, pytester, "stale-login", "baseline.json")

    def warning_unknown(doc) -> None:
        for check in doc["checks"]:
            if check["id"] == "TOK-003":
                check["status"] = "pass"

    edited(stale, warning_unknown)
    args = ("--replay", str(RECORDINGS / "stale-login"), "--baseline", str(stale))
    assert run_suite(*args, "--fail-on", "new").result.ret == 0
    strict = run_suite(*args, "--fail-on", "new-warn")
    assert strict.result.ret == 1
    assert marks(strict)["TOK-003"] == "new"


@pytest.mark.parametrize(
    ("change_doc", "said"),
    [
        (lambda doc: doc.update(schema_version="2"), "a report of schema version '2'"),
        (lambda doc: doc.update(clusters=["other"]), "checked clusters other; this run checks "),
    ],
    ids=["schema-version", "clusters"],
)
def test_a_baseline_that_cannot_say_what_is_new_is_a_usage_error(
    run_suite, pytester, change_doc, said
) -> None:
    baseline = edited(report_of(run_suite, pytester, "healthy", "baseline.json"), change_doc)
    run = run_suite(
        "--replay", str(RECORDINGS / "healthy"), "--baseline", str(baseline), "--fail-on", "new"
    )
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert said in "\n".join(run.result.errlines)
    assert "Traceback" not in "\n".join(run.result.errlines + run.result.outlines)


def test_fail_on_new_without_a_baseline_is_a_usage_error(run_suite) -> None:
    run = run_suite("--replay", str(RECORDINGS / "healthy"), "--fail-on", "new")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--fail-on new needs --baseline" in "\n".join(run.result.errlines)
