"""The end-of-run summary (summary.py, through Session.summary_lines and closing_lines): results
whose lines would differ only in their params, and the skips one failure blocked, fold into one
line naming the first few; the reports keep each. In memory over a real session, and end to end
on a test workstation's fleet."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from pathlib import Path

import pytest

from ikscheck.options import Options
from ikscheck.policy import Policy
from ikscheck.replay import ReplaySource
from ikscheck.results import Result, Status
from ikscheck.session import Session
from memory import Setup

MESSAGE = "not an OpenShift cluster (the IKS API says type kubernetes)"


def result(
    check_id: str = "OC-003",
    status: str = "skip",
    message: str = MESSAGE,
    remediation: str = "",
    traceback: str = "",
    baseline: str = "",
    **params: str,
) -> Result:
    return Result(
        id=check_id,
        nodeid=f"checks/test_x.py::test_{check_id}[{'-'.join(params.values())}]",
        title=check_id,
        severity="medium",
        status=Status(status),
        message=message,
        remediation=remediation,
        params=params,
        traceback=traceback,
        baseline=baseline,
    )


def session_of(results: list[Result], options: Options | None = None) -> Session:
    """A session over the healthy recording that has taken ``results`` as its run's."""
    setup = Setup()
    source = ReplaySource(copy.deepcopy(setup.records), setup.settings, setup.recorded_at)
    session = Session(options or Options(), Path.cwd(), Path.cwd(), source, Policy())
    for found in results:
        session.adopt(found)
    return session


def summary(*results: Result) -> list[str]:
    return session_of(list(results)).summary_lines()


def fleet(count: int, **fields: str) -> list[Result]:
    return [result(cluster=f"c{n}", **fields) for n in range(count)]


# -- folding -------------------------------------------------------------------------------------


def test_one_result_prints_as_it_always_did() -> None:
    fail = result("KCTL-002", "fail", "kubectl 1.33 vs server 1.31: skew 2", "install kubectl",
                  baseline="new", cluster="mycluster")  # fmt: skip
    assert summary(fail) == [
        "FAIL  KCTL-002[mycluster] (new): kubectl 1.33 vs server 1.31: skew 2  -> install kubectl"
    ]
    assert summary(result("CLI-001", "fail", "not found", "Install it")) == [
        "FAIL  CLI-001: not found  -> Install it"
    ]


def test_two_results_alike_but_for_their_cluster_are_one_line_naming_both() -> None:
    assert summary(*fleet(2)) == [f"SKIP  OC-003[c0, c1]: {MESSAGE}"]


def test_three_are_named_then_how_many_more() -> None:
    assert summary(*fleet(3)) == [f"SKIP  OC-003[c0, c1, c2]: {MESSAGE}"]
    assert summary(*fleet(4)) == [f"SKIP  OC-003[c0, c1, c2 and 1 more]: {MESSAGE}"]
    assert summary(*fleet(400)) == [f"SKIP  OC-003[c0, c1, c2 and 397 more]: {MESSAGE}"]


def test_the_folded_line_keeps_the_baseline_mark_and_the_remediation() -> None:
    lines = summary(*fleet(5, status="warn", remediation="ibmcloud update", baseline="new"))
    assert lines == [f"WARN  OC-003[c0, c1, c2 and 2 more] (new): {MESSAGE}  -> ibmcloud update"]


@pytest.mark.parametrize(
    "change",
    [
        {"message": "not an OpenShift cluster (type vpc-gen2)"},
        {"status": "warn"},
        {"remediation": "ibmcloud ks cluster get --cluster c1"},
        {"baseline": "new"},
        {"check_id": "OC-002"},
    ],
    ids=["message", "status", "remediation", "baseline-mark", "check"],
)
def test_results_that_differ_in_more_than_their_params_are_never_folded(change: dict) -> None:
    first, second = result(cluster="c0"), result(**{"cluster": "c1", **change})
    assert summary(first, second) == summary(first) + summary(second)
    assert summary(first) == [f"SKIP  OC-003[c0]: {MESSAGE}"]


def test_a_bug_is_never_folded_and_keeps_its_traceback() -> None:
    trace = "Traceback (most recent call last):\nKeyError: 'missing'\n"
    bugs = [
        result("ABC-006", "error", "internal error (KeyError)", traceback=trace, cluster=c)
        for c in ("c0", "c1")
    ]
    assert summary(*bugs) == [
        "ERROR ABC-006[c0]: internal error (KeyError)",
        "    Traceback (most recent call last):",
        "    KeyError: 'missing'",
        "ERROR ABC-006[c1]: internal error (KeyError)",
        "    Traceback (most recent call last):",
        "    KeyError: 'missing'",
    ]


def test_a_folded_line_stands_where_its_first_result_was_and_passes_are_not_shown() -> None:
    oc1, oc3 = (
        [result(check_id, cluster=c) for c in ("c0", "c1", "c2")]
        for check_id in ("OC-001", "OC-003")
    )
    passed = result("KCFG-001", "pass", "ok", cluster="c0")
    warned = result("KCFG-004", "warn", "context c1/1 is not current", "kubectl config use-context "
                    "c1/1", cluster="c1")  # fmt: skip
    tok = result("TOK-005", message="opt-in")
    ordered = [oc3[0], passed, oc1[0], warned, oc3[1], oc1[1], tok, oc3[2], oc1[2]]
    assert summary(*ordered) == [
        f"SKIP  OC-003[c0, c1, c2]: {MESSAGE}",
        f"SKIP  OC-001[c0, c1, c2]: {MESSAGE}",
        "WARN  KCFG-004[c1]: context c1/1 is not current  -> kubectl config use-context c1/1",
        "SKIP  TOK-005: opt-in",
    ]


def test_results_of_several_params_are_each_labelled_as_alone() -> None:
    blocked = "blocked by CLI-001 (a prerequisite failed)"
    both = [
        result("PLG-003", message=blocked, cluster=c, plugin="kubernetes-service")
        for c in ("c0", "c1", "c2", "c3")
    ]
    assert summary(*both) == [
        f"SKIP  PLG-003[c0][kubernetes-service], [c1][kubernetes-service], "
        f"[c2][kubernetes-service] and 1 more: {blocked}"
    ]
    plugins = [result("PLG-003", message=blocked, plugin=p) for p in ("ks", "cr")]
    assert summary(*plugins) == [f"SKIP  PLG-003[ks, cr]: {blocked}"]


def test_a_result_without_a_param_value_stands_alone() -> None:
    assert summary(result(cluster=""), result(cluster="c1")) == [
        f"SKIP  OC-003: {MESSAGE}",
        f"SKIP  OC-003[c1]: {MESSAGE}",
    ]


def blocked(check_id: str, root: str = "TOK-004", **params: str) -> Result:
    found = result(check_id, message=f"blocked by {root} (a prerequisite failed)", **params)
    return replace(found, blocked_by=[root])


def test_the_skips_one_failure_blocked_share_a_line_whatever_their_check() -> None:
    root = result("TOK-004", "fail", "IAM refused IBMCLOUD_API_KEY", "ibmcloud iam api-key-create")
    later = [blocked(check, cluster="c0") for check in ("API-003", "API-004", "API-007")]
    skips = [blocked("ACCT-001", cluster="c0"), blocked("API-002"), *later]
    assert summary(root, *skips) == [
        "FAIL  TOK-004: IAM refused IBMCLOUD_API_KEY  -> ibmcloud iam api-key-create",
        "SKIP  ACCT-001[c0], API-002, API-003[c0] and 2 more: blocked by TOK-004 (a prerequisite "
        "failed)",
    ]


def test_a_fleet_s_blocked_skips_name_each_check_once_with_its_clusters() -> None:
    skips = [blocked(check, cluster=c) for c in ("c0", "c1", "c2", "c3") for check in
             ("ACCT-001", "API-003")]  # fmt: skip
    assert summary(blocked("API-002"), *skips) == [
        "SKIP  API-002, ACCT-001[c0, c1, c2 and 1 more], API-003[c0, c1, c2 and 1 more]: blocked "
        "by TOK-004 (a prerequisite failed)"
    ]
    assert closing([blocked("API-002"), *skips], report_json=None)[-1] == (
        "Folded 9 results that differ only in their check and cluster into 1 line: --report-json "
        "PATH writes a report that lists each"
    )


def test_skips_blocked_by_different_failures_keep_their_own_lines() -> None:
    first, second = blocked("API-002"), blocked("NET-002", root="NET-001", cluster="c0")
    assert summary(first, second) == [
        "SKIP  API-002: blocked by TOK-004 (a prerequisite failed)",
        "SKIP  NET-002[c0]: blocked by NET-001 (a prerequisite failed)",
    ]


# -- where the full list is ----------------------------------------------------------------------


def closing(results: list[Result], **options: str | None) -> list[str]:
    return session_of(results, replace(Options(), **options)).closing_lines()


def test_the_closing_lines_say_what_was_folded_and_where_each_result_is() -> None:
    results = [*fleet(5), *fleet(3, check_id="OC-001"), result("TOK-005", message="opt-in")]
    assert closing(results, report_json="out/r.json") == [
        "JSON report: out/r.json",
        "HTML report: out/health.html",
        "Folded 8 results that differ only in their cluster into 2 lines: the JSON and HTML "
        "reports list each",
    ]
    assert closing(results, report_json=None, report_html="page.html")[1] == (
        "Folded 8 results that differ only in their cluster into 2 lines: the HTML report lists "
        "each"
    )
    assert closing(fleet(2), report_json=None) == [
        "Folded 2 results that differ only in their cluster into 1 line: --report-json PATH "
        "writes a report that lists each"
    ]


def test_the_closing_lines_name_the_params_that_differ() -> None:
    plugins = [result("PLG-003", plugin=p) for p in ("ks", "cr")]
    assert closing(plugins, report_json=None) == [
        "Folded 2 results that differ only in their plugin into 1 line: --report-json PATH "
        "writes a report that lists each"
    ]


def test_nothing_folded_nothing_said() -> None:
    results = [result(cluster="c0"), result(cluster="c1", message="other")]
    assert closing(results) == [
        "JSON report: reports/health.json",
        "HTML report: reports/health.html",
    ]


# -- end to end ----------------------------------------------------------------------------------


def literal(pattern: str) -> str:
    """``pattern`` for fnmatch_lines with its brackets as brackets (``*`` stays a wildcard)."""
    return re.sub(r"[][]", lambda found: f"[{found[0]}]", pattern)


def test_a_fleet_s_terminal_summary_is_folded_and_its_reports_keep_every_result(
    make_workstation, run_suite, pytester
) -> None:
    ws = make_workstation(fleet=4)  # mycluster and fleet-000..003, each checked with --cluster
    run = run_suite(*ws.args, "--plan-script", "fix.sh")
    clusters = ["mycluster", "fleet-000", "fleet-001", "fleet-002", "fleet-003"]
    contexts = [f"fleet-00{n}/fleet00{n}d0f6mvs4ab1c" for n in range(4)]
    oc = "not an OpenShift cluster (the IKS API says type kubernetes, masterKubeVersion *)"
    folded = "[mycluster, fleet-000, fleet-001 and 2 more]"
    expected = [
        "*ikscheck: * pass, 4 warn, 0 fail, 0 error, * skip*",
        # A message naming its cluster is a line each.
        *(f"WARN  KCFG-004[{c}]: context {c}/* exists, but the current context is *" for c in
          clusters[1:]),
        "SKIP  HELM-001: helm not installed; optional",
        f"SKIP  HELM-002{folded}: helm not installed; optional",
        *(f"SKIP  OC-00{n}{folded}: {oc}" for n in (1, 2, 3)),
        "SKIP  TOK-005: opt-in: *",
        "Plan (1 step, in this order; written as a shell script to fix.sh):",
        "  1. by hand: Make current the context of the cluster you work with (kubectl follows one "
        f"at a time): kubectl config use-context <one of {', '.join(contexts[:3])} and 1 more>  "
        "[fixes KCFG-004[fleet-000], KCFG-004[fleet-001], KCFG-004[fleet-002] and 1 more]",
        "JSON report: *health.json",
        "HTML report: *health.html",
        "Folded 20 results that differ only in their cluster into 4 lines: the JSON and HTML "
        "reports list each",
        "Plan script: fix.sh",
    ]  # fmt: skip
    run.result.stdout.fnmatch_lines([literal(line) for line in expected], consecutive=True)
    assert not any(line.startswith("SKIP  OC-001[fleet-0") for line in run.result.outlines)
    # The reports keep each result, and the plan its whole command.
    html = (pytester.path / "reports" / "health.html").read_text()
    for check_id in ("HELM-002", "OC-001", "OC-002", "OC-003"):
        found = [c["params"]["cluster"] for c in run.report["checks"] if c["id"] == check_id]
        assert found == clusters
        assert {run.status(check_id, cluster=c) for c in clusters} == {"skip"}
        assert all(f'id="r-{check_id}-{c}"' in html for c in clusters)
    [step] = run.report["plan"]
    assert step["command"].endswith(f"<one of {', '.join(contexts)}>")
    assert step["command"] in (pytester.path / "fix.sh").read_text()
    assert f"&lt;one of {', '.join(contexts)}&gt;" in html
