"""Reports: the JSON report's schema, the HTML report's contents, JUnit, and exit codes."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

import testenv

REPORT_SCHEMA = json.loads((testenv.REPO / "schemas" / "report.schema.json").read_text())
RECORDINGS = testenv.REPO / "recordings"


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_json_report_follows_its_schema(run_suite, name: str) -> None:
    run = run_suite("--replay", str(RECORDINGS / name))
    jsonschema.validate(run.report, REPORT_SCHEMA)
    counts = {s: 0 for s in ("pass", "warn", "fail", "error", "skip")}
    for check in run.report["checks"]:
        counts[check["status"]] += 1
    assert run.report["summary"] == counts
    checked = testenv.RECORDINGS[name].context_for if name == "hostile-name" else testenv.CLUSTER
    assert run.report["clusters"] == [checked]


def test_report_schema_rejects_what_it_must(run_suite) -> None:
    report = run_suite("--replay", str(RECORDINGS / "kubectl-skew")).report
    failing = next(c for c in report["checks"] if c["status"] == "fail")
    failing["remediation"] = ""
    with pytest.raises(jsonschema.ValidationError, match="should be non-empty"):
        jsonschema.validate(report, REPORT_SCHEMA)


#: The test workstations and recordings have no helm: HELM-001 and HELM-002 skip (optional);
#: their clusters are community Kubernetes: the OC checks skip (not an OpenShift cluster);
#: TOK-005 is opt-in, off.
HELM = ("HELM-001", "HELM-002", "OC-001", "OC-002", "OC-003", "TOK-005")
HELM_SKIPS = len(HELM)
PYTEST_HTML = ("--html", "reports/pytest-html.html", "--self-contained-html")


def test_pytest_html_page_is_self_contained_with_every_result(run_suite, pytester) -> None:
    run = run_suite("--replay", str(RECORDINGS / "kubectl-skew"), *PYTEST_HTML)
    page = (pytester.path / "reports" / "pytest-html.html").read_text()
    # Nothing loaded from the network: no external scripts, styles or images.
    assert not re.search(
        r"""src=["']https?://|<link[^>]*href=["']https?://|url\(["']?https?:""", page
    )
    for header in ("ID", "Severity", "Status", "Message", "Remediation"):
        assert f">{header}</th>" in page
    for check in run.report["checks"]:
        assert check["id"] in page
        message = check["message"]
        # pytest-html keeps rows as JSON in an HTML attribute: a cell escaped once is
        # escaped again there (the browser undoes both).
        cell = json.dumps(html.escape(message))[1:-1]
        shown = (
            json.dumps(message)[1:-1].replace("/", "\\/"),
            message,
            html.escape(message),
            html.escape(cell),
        )
        assert any(form in page for form in shown), message
    passed = run.report["summary"]["pass"]
    assert run.report["summary"]["skip"] == HELM_SKIPS
    assert passed == len(run.report["checks"]) - 1 - HELM_SKIPS
    assert "1 fail" in page and f"{passed} pass" in page
    assert "Install kubectl 1." in page  # the remediation of the failing skew
    assert "Evaluated at" in page and "IBM Cloud CLI" in page


def test_pytest_html_counts_and_filters_the_five_statuses(run_suite, pytester) -> None:
    run = run_suite("--replay", str(RECORDINGS / "stale-login"), *PYTEST_HTML)
    page = (pytester.path / "reports" / "pytest-html.html").read_text()
    summary = run.report["summary"]
    assert summary["warn"] == 1 and summary["fail"] == 1
    # Its filter row is ikscheck's statuses with ikscheck's counts: a warn is not "Passed".
    for status, count in summary.items():
        assert re.search(rf">\s*{count} {status},?\s*<", page), status
    for foreign in ("Expected failures", "Unexpected passes", "Reruns", "Retried"):
        assert foreign not in page
    # No empty detail box under a row: the row's columns say it all.
    assert "No log output captured" not in page


def test_no_pytest_html_page_unless_asked(run_suite, pytester) -> None:
    run_suite("--replay", str(RECORDINGS / "healthy"))
    assert not (pytester.path / "reports" / "pytest-html.html").exists()
    assert "pytest-html" not in (pytester.path / "reports" / "health.html").read_text()


def test_junit_carries_the_check_id_of_every_case(run_suite, pytester) -> None:
    junit = pytester.path / "junit.xml"
    run = run_suite("--replay", str(RECORDINGS / "healthy"), f"--junitxml={junit}")
    cases = ET.parse(junit).getroot().iter("testcase")
    ids = []
    for case in cases:
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        ids.append(properties["id"])
        assert properties["status"] == ("skip" if properties["id"] in HELM else "pass")
    assert sorted(ids) == sorted(c["id"] for c in run.report["checks"])


def test_fail_on_warn_makes_warnings_fail_the_run(make_workstation, run_suite) -> None:
    ws = make_workstation(resource_group="")
    assert run_suite(*ws.args).result.ret == pytest.ExitCode.OK
    assert run_suite(*ws.args, "--fail-on", "warn").result.ret == pytest.ExitCode.TESTS_FAILED


def test_errors_fail_the_run(make_workstation, run_suite) -> None:
    ws = make_workstation(server_minor_offset=None)
    run = run_suite(*ws.args)
    assert run.status("KCTL-002", cluster=testenv.CLUSTER) == "error"
    assert run.result.ret == pytest.ExitCode.TESTS_FAILED


def test_terminal_shows_warnings_and_the_summary(make_workstation, run_suite) -> None:
    ws = make_workstation(resource_group="")
    run = run_suite(*ws.args)
    passed = len(run.report["checks"]) - 1 - HELM_SKIPS
    assert run.status("CLI-003") == "warn"
    run.result.stdout.fnmatch_lines(
        [f"*ikscheck: {passed} pass, 1 warn, 0 fail, 0 error, {HELM_SKIPS} skip*"]
    )
    run.result.stdout.fnmatch_lines([f"*{passed} passed, {HELM_SKIPS} skipped, 1 warned*"])


def test_report_paths_follow_the_option(run_suite, pytester, tmp_path: Path) -> None:
    target = tmp_path / "out" / "gate.json"
    pytester.runpytest(
        str(testenv.REPO / "checks"),
        "-p",
        "no:cacheprovider",
        "--replay",
        str(RECORDINGS / "healthy"),
        "--report-json",
        str(target),
    )
    written = json.loads(target.read_text())
    assert written["summary"]["skip"] == HELM_SKIPS
    assert written["summary"]["pass"] == len(written["checks"]) - HELM_SKIPS > 0
    assert (target.parent / "health.html").exists()


def test_json_environment_has_stable_keys(run_suite) -> None:
    env = run_suite("--replay", str(RECORDINGS / "healthy")).report["environment"]
    assert env["ibmcloud"] == {"path": "/tmp/ikscheck-recording/bin/ibmcloud", "version": "2.9.0"}
    assert env["plugins"] == [
        {"name": "kubernetes-service", "installed_as": "container-service", "version": "1.0.672"},
        {"name": "container-registry", "installed_as": "container-registry", "version": "1.3.11"},
    ]
    assert env["kubectl"]["path"] == "/tmp/ikscheck-recording/bin/kubectl"
    assert re.fullmatch(r"1\.\d+\.\d+", env["kubectl"]["version"])
    [cluster] = env["clusters"]
    assert cluster["name"] == testenv.CLUSTER
    assert cluster["context"] == f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"
    assert re.fullmatch(r"1\.\d+\.4", cluster["server_version"])


def test_json_environment_says_null_for_what_is_missing(run_suite) -> None:
    env = run_suite("--replay", str(RECORDINGS / "cli-missing")).report["environment"]
    assert env["ibmcloud"] == {"path": None, "version": None}
    assert [p["version"] for p in env["plugins"]] == [None, None]


def test_pytest_html_environment_is_rendered_from_the_json_environment(run_suite, pytester) -> None:
    run = run_suite("--replay", str(RECORDINGS / "plugin-missing"), *PYTEST_HTML)
    page = (pytester.path / "reports" / "pytest-html.html").read_text()
    server = run.report["environment"]["clusters"][0]["server_version"]
    assert f"server {server}" in page
    assert "not installed" in page  # the missing kubernetes-service plug-in
    assert "unhealthy" in page


def schema_properties(node: object) -> set[str]:
    """Every property name a schema defines, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found |= set(value)
            found |= schema_properties(value)
    elif isinstance(node, list):
        for value in node:
            found |= schema_properties(value)
    return found


def test_every_report_field_is_described_in_the_schema_and_the_docs() -> None:
    docs = (testenv.REPO / "docs" / "report.md").read_text()
    missing = sorted(name for name in schema_properties(REPORT_SCHEMA) if f"`{name}`" not in docs)
    assert missing == [], f"docs/report.md does not describe {missing}"

    def undescribed(node: object, path: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            for name, value in (node.get("properties") or {}).items():
                if "description" not in value and name not in (
                    "pass",
                    "warn",
                    "fail",
                    "error",
                    "skip",
                ):
                    found.append(f"{path}.{name}")
            for key, value in node.items():
                found += undescribed(value, f"{path}.{key}")
        return found

    assert undescribed(REPORT_SCHEMA, "$") == []


def test_a_cluster_named_twice_is_checked_once(run_suite) -> None:
    run = run_suite(
        "--replay", str(RECORDINGS / "healthy"), "--cluster", "mycluster", "--cluster", "mycluster"
    )
    keys = [(c["id"], tuple(sorted(c["params"].items()))) for c in run.report["checks"]]
    once = run_suite("--replay", str(RECORDINGS / "healthy"), "--cluster", "mycluster").report
    assert len(keys) == len(set(keys)) == len(once["checks"])
