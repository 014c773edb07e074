"""ikscheck.check: metadata beside each check, its validation, and the verdict helpers."""

from __future__ import annotations

import pytest

from ikscheck.check import (
    CheckMeta,
    blocked,
    check,
    conclude,
    depths,
    expect,
    fill,
    meta_of,
    observation,
    observe,
    problems_of,
    warn,
)
from ikscheck.results import Status, Verdict

META = CheckMeta("ABC-001", "holds", "low", "fix it")


def test_fill_names_what_it_knows_and_marks_what_it_does_not() -> None:
    assert fill("--cluster {cluster}", {"cluster": "c1"}) == "--cluster c1"
    assert (
        fill("--cluster {cluster} -g {group}", {"cluster": ""}) == "--cluster <cluster> -g <group>"
    )


def test_check_attaches_metadata_and_meta_of_reads_only_that() -> None:
    @check("ABC-002", "t", severity="low", remediation="r", needs=("ABC-001",))
    def test_a() -> None:
        pass

    assert meta_of(test_a) == CheckMeta("ABC-002", "t", "low", "r", ("ABC-001",))

    class Impostor:
        __ikscheck__ = "not metadata"

    assert meta_of(Impostor()) is None
    assert meta_of(None) is None


def test_problems_name_each_bad_field() -> None:
    bad = CheckMeta("CLI-1", " ", "dire", "", ("x",))
    assert bad.problems() == [
        "malformed check ID 'CLI-1' (expected AREA-NNN, e.g. CLI-001)",
        "CLI-1: missing title",
        "CLI-1: severity 'dire' is not one of ('info', 'low', 'medium', 'high', 'critical')",
        "CLI-1: missing remediation",
        "CLI-1: malformed prerequisite 'x'",
    ]
    assert META.problems() == []


def test_problems_of_a_suite_lists_every_problem_once() -> None:
    found = problems_of(
        [
            ("a.py::test_a", None),
            ("a.py::test_b", CheckMeta("ABC-001", "", "low", "r")),
            ("a.py::test_c", META),
            ("a.py::test_c", META),  # one check, parametrised: not a duplicate
            ("b.py::test_d", META),
        ]
    )
    assert found == [
        "a.py::test_a: a check without @check metadata",
        "ABC-001: missing title",
        "duplicate check ID ABC-001: a.py::test_b and a.py::test_c",
        "duplicate check ID ABC-001: a.py::test_b and b.py::test_d",
    ]


def test_depths_put_prerequisites_first_even_when_missing_or_circular() -> None:
    a = CheckMeta("A-001", "a", "low", "r")
    b = CheckMeta("B-001", "b", "low", "r", ("A-001",))
    c = CheckMeta("C-001", "c", "low", "r", ("B-001", "Z-999"))  # Z-999 is not in the suite
    assert depths([c, b, a]) == {"A-001": 0, "B-001": 1, "C-001": 2, "Z-999": 0}
    x = CheckMeta("X-001", "x", "low", "r", ("Y-001",))
    y = CheckMeta("Y-001", "y", "low", "r", ("X-001",))
    found = depths([x, y])
    assert set(found) == {"X-001", "Y-001"}  # a cycle ends, with some order


def test_expect_fails_with_its_remediation_or_leaves_the_observation() -> None:
    observation.set("")
    with pytest.raises(Verdict) as failed:
        expect(False, "seen", remediation="run this")
    assert (failed.value.status, failed.value.message, failed.value.remediation) == (
        Status.FAIL,
        "seen",
        "run this",
    )
    expect(True, "held")
    assert observation.get() == "held"


def test_warn_and_observe() -> None:
    with pytest.raises(Verdict) as warned:
        warn("look")
    assert (warned.value.status, warned.value.remediation) == (Status.WARN, "")
    with pytest.raises(Verdict) as precise:
        warn("look", remediation="r")
    assert precise.value.remediation == "r"
    observe("seen it")
    assert observation.get() == "seen it"


@pytest.mark.parametrize("status", [Status.WARN, Status.FAIL])
def test_conclude_ends_with_the_status_a_fact_computed(status: Status) -> None:
    with pytest.raises(Verdict) as ended:
        conclude(status, "kubectl 1.33 vs server 1.31: skew 2", remediation="install 1.31")
    assert (ended.value.status, ended.value.message, ended.value.remediation) == (
        status,
        "kubectl 1.33 vs server 1.31: skew 2",
        "install 1.31",
    )


def test_conclude_pass_observes_and_refuses_other_statuses() -> None:
    observation.set("")
    conclude(Status.PASS, "skew 0")
    assert observation.get() == "skew 0"
    for status in (Status.ERROR, Status.SKIP):
        with pytest.raises(ValueError, match="conclude\\(\\) takes pass, warn or fail"):
            conclude(status, "m")


def test_blocked_names_the_prerequisite() -> None:
    exc = blocked("PLG-001", "kubernetes-service is not installed")
    assert (exc.blocked_by, str(exc)) == (("PLG-001",), "kubernetes-service is not installed")
