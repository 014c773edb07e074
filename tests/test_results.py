"""ikscheck.results: statuses, judging how a check ended, and the result's JSON."""

from __future__ import annotations

import pytest

from ikscheck.errors import EvidenceError, ParseError
from ikscheck.results import Blocked, NotApplicable, Result, Status, Verdict, judge


def test_a_check_that_returns_passes_with_its_observation() -> None:
    assert judge(None, "ibmcloud 2.9.0") == judge(None, "ibmcloud 2.9.0")
    ending = judge(None, "ibmcloud 2.9.0")
    assert (ending.status, ending.message, ending.remediation) == (
        Status.PASS,
        "ibmcloud 2.9.0",
        "",
    )
    assert judge(None, "").message == "holds"


@pytest.mark.parametrize("status", [Status.WARN, Status.FAIL])
def test_a_verdict_keeps_its_status_message_and_remediation(status: Status) -> None:
    verdict = Verdict(status, "seen", "run this")
    assert str(verdict) == "seen"
    ending = judge(verdict, "ignored")
    assert (ending.status, ending.message, ending.remediation) == (status, "seen", "run this")
    assert judge(Verdict(status, "seen"), "").remediation == ""


def test_a_plain_assert_fails_with_its_message_only() -> None:
    try:
        assert 1 == 2, "observed 3"
    except AssertionError as exc:
        ending = judge(exc, "")
    assert (ending.status, ending.message) == (Status.FAIL, "observed 3")


def test_skips_name_what_blocked_them_or_why_they_do_not_apply() -> None:
    blocked = judge(Blocked(("CLI-001",), "blocked by CLI-001"), "")
    assert (blocked.status, blocked.message, blocked.blocked_by) == (
        Status.SKIP,
        "blocked by CLI-001",
        ("CLI-001",),
    )
    not_here = judge(NotApplicable("not an OpenShift cluster"), "")
    assert (not_here.status, not_here.message, not_here.blocked_by) == (
        Status.SKIP,
        "not an OpenShift cluster",
        (),
    )


def test_engine_errors_are_errors_keeping_a_known_remediation() -> None:
    missing = judge(EvidenceError("no kubeconfig", remediation="ibmcloud ks cluster config"), "")
    assert (missing.status, missing.message, missing.remediation) == (
        Status.ERROR,
        "no kubeconfig",
        "ibmcloud ks cluster config",
    )
    unreadable = judge(ParseError("not JSON"), "")
    assert (unreadable.status, unreadable.message, unreadable.traceback) == (
        Status.ERROR,
        "not JSON",
        "",
    )


def test_a_bug_is_an_error_with_its_whole_traceback() -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    try:
        broken()
    except RuntimeError as exc:
        ending = judge(exc, "")
    assert ending.status is Status.ERROR
    assert ending.message == "internal error in the check (RuntimeError: boom)"
    assert ending.traceback.startswith("Traceback (most recent call last):\n")
    assert "in broken\n" in ending.traceback
    assert ending.traceback.endswith("RuntimeError: boom\n")


def test_a_bugs_traceback_starts_at_the_check_when_it_is_in_it() -> None:
    def the_check() -> None:
        raise RuntimeError("boom")

    def the_runner() -> None:  # pytest's frames, in a run
        the_check()

    def another_check() -> None:
        pass

    try:
        the_runner()
    except RuntimeError as exc:
        from_check = judge(exc, "", the_check)
        whole = judge(exc, "", another_check)
    assert "in the_check\n" in from_check.traceback
    assert "in the_runner\n" not in from_check.traceback
    assert "in the_runner\n" in whole.traceback
    assert from_check.message == whole.message == "internal error in the check (RuntimeError: boom)"


def test_only_fail_and_error_are_unhealthy() -> None:
    assert {s for s in Status if s.unhealthy} == {Status.FAIL, Status.ERROR}


def test_result_json_has_every_field_and_rounds_the_duration() -> None:
    result = Result(
        id="KCTL-002",
        nodeid="checks/test_kctl.py::test_kubectl_skew[c1]",
        title="kubectl is within one minor version of the cluster",
        severity="high",
        status=Status.WARN,
        message="kubectl 1.33 vs server 1.32: skew 1",
        remediation="Install kubectl 1.32",
        params={"cluster": "c1"},
        duration=1.23456,
    )
    assert result.to_json() == {
        "id": "KCTL-002",
        "nodeid": "checks/test_kctl.py::test_kubectl_skew[c1]",
        "title": "kubectl is within one minor version of the cluster",
        "severity": "high",
        "status": "warn",
        "message": "kubectl 1.33 vs server 1.32: skew 1",
        "remediation": "Install kubectl 1.32",
        "params": {"cluster": "c1"},
        "blocked_by": [],
        "duration": 1.2346,
    }
    result.traceback = "Traceback ..."
    assert result.to_json()["traceback"] == "Traceback ..."
