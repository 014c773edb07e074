"""The plugin: metadata validated at collection, prerequisites, statuses from outcomes."""

from __future__ import annotations

import gc
import json
import xml.etree.ElementTree as ET

import pytest

import testenv
from ikscheck import jsonschemas

CONFTEST = (
    "import pytest\nfrom ikscheck import pytest_plugin\n\n"
    "@pytest.hookimpl(tryfirst=True)\ndef pytest_configure(config):\n"
    "    pytest_plugin.activate(config)\n"
)
HEADER = "from ikscheck.check import blocked, check, expect, observe, warn\n\n"


def suite(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    """Run a suite of the given checks, replaying an empty bundle (no machine is touched)."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_checks=HEADER + body)
    bundle = pytester.mkdir("bundle")
    (bundle / "manifest.json").write_text(
        json.dumps(
            {
                "schema_version": "1",
                "tool": {"name": "ikscheck", "version": "0"},
                "recorded_at": "2026-11-20T09:00:00Z",
                "settings": {"clusters": ["c1"]},
                "evidence": [],
            }
        )
    )
    return pytester.runpytest("-p", "no:cacheprovider", "--replay", str(bundle), *args)


def report(pytester: pytest.Pytester) -> dict[str, dict]:
    doc = json.loads((pytester.path / "reports" / "health.json").read_text())
    return {c["nodeid"].split("::")[-1]: c for c in doc["checks"]}


META = 'severity="low", remediation="fix it"'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def test_a():\n    pass\n", "a check without @check metadata"),
        (f'@check("CLI-1", "t", {META})\ndef test_a():\n    pass\n', "malformed check ID 'CLI-1'"),
        (
            f'@check("ABC-001", "t", {META})\ndef test_a():\n    pass\n\n'
            f'@check("ABC-001", "u", {META})\ndef test_b():\n    pass\n',
            "duplicate check ID ABC-001",
        ),
        (
            '@check("ABC-001", "t", severity="dire", remediation="x")\ndef test_a():\n    pass\n',
            "severity 'dire' is not one of",
        ),
        (
            '@check("ABC-001", "t", severity="low", remediation="")\ndef test_a():\n    pass\n',
            "ABC-001: missing remediation",
        ),
    ],
)
def test_bad_metadata_fails_collection(pytester: pytest.Pytester, body: str, message: str) -> None:
    result = suite(pytester, body)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_statuses_follow_the_outcome(pytester: pytest.Pytester) -> None:
    body = f"""
@check("ABC-001", "passes", {META})
def test_pass():
    observe("observed 1")

@check("ABC-002", "warns", {META})
def test_warn():
    warn("observed 2")

@check("ABC-003", "fails", {META})
def test_fail():
    assert 1 == 2, "observed 3"

@check("ABC-004", "errs", {META})
def test_error(workstation):
    workstation.cli_version()

@check("ABC-005", "blocked", {META}, needs=("ABC-003",))
def test_blocked():
    raise AssertionError("never runs")

@check("ABC-006", "blocked in turn", {META}, needs=("ABC-005",))
def test_blocked_in_turn():
    pass

@check("ABC-007", "blocked by what it sees", {META})
def test_blocked_inside():
    raise blocked("ABC-001", "nothing to look at")

@check("ABC-008", "a bug in the check", {META})
def test_bug():
    {{}}["missing"]

@check("ABC-009", "needs one that errored", {META}, needs=("ABC-004",))
def test_after_error():
    raise AssertionError("never runs")
"""
    result = suite(pytester, body)
    found = report(pytester)
    assert {k: v["status"] for k, v in found.items()} == {
        "test_pass": "pass",
        "test_warn": "warn",
        "test_fail": "fail",
        "test_error": "error",
        "test_blocked": "skip",
        "test_blocked_in_turn": "skip",
        "test_blocked_inside": "skip",
        "test_bug": "error",
        "test_after_error": "skip",
    }
    assert found["test_pass"]["message"] == "observed 1"
    assert found["test_warn"]["message"] == "observed 2"
    assert found["test_fail"]["message"] == "observed 3"
    assert found["test_fail"]["remediation"] == "fix it"
    assert found["test_error"]["message"].startswith("the bundle has no recording of ")
    assert found["test_blocked"]["blocked_by"] == ["ABC-003"]
    assert found["test_blocked_in_turn"]["blocked_by"] == ["ABC-003"]
    assert found["test_blocked_inside"]["blocked_by"] == ["ABC-001"]
    assert found["test_bug"]["message"] == "internal error in the check (KeyError: 'missing')"
    # A bug keeps its traceback, for the report a user files; verdicts carry none.
    assert "KeyError: 'missing'" in found["test_bug"]["traceback"]
    assert "traceback" not in found["test_fail"] and "traceback" not in found["test_error"]
    # A prerequisite that could not be evaluated blocks what needs it, as a failed one does.
    assert found["test_after_error"]["blocked_by"] == ["ABC-004"]
    assert result.stdout.str().count("Traceback (most recent call last)") == 1  # the bug's
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_prerequisites_run_first_whatever_the_file_order(pytester: pytest.Pytester) -> None:
    body = f"""
@check("ABC-002", "needs the first", {META}, needs=("ABC-001",))
def test_second():
    pass

@check("ABC-001", "fails", {META})
def test_first():
    expect(False, "broken")
"""
    suite(pytester, body)
    found = report(pytester)
    assert found["test_second"]["blocked_by"] == ["ABC-001"]


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    for option in (
        "--cluster",
        "--kubeconfig",
        "--ibmcloud-home",
        "--iam-url",
        "--containers-url",
        "--replay",
        "--record",
        "--now",
        "--report-json",
        "--fail-on",
    ):
        result.stdout.fnmatch_lines([f"*{option}*"])


def test_bad_now_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = suite(
        pytester, f'@check("ABC-001", "t", {META})\ndef test_a():\n    pass\n', "--now", "yesterday"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--now: 'yesterday' is not an ISO 8601 time" in result.stderr.str()


def test_plugin_stays_quiet_outside_the_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert not (pytester.path / "reports").exists()


PASSING = f"""
@check("ABC-001", "passes", {META})
def test_pass():
    observe("observed 1")
"""
WARNING = (
    PASSING
    + f"""
@check("ABC-002", "warns", {META})
def test_warn():
    warn("observed 2")
"""
)


@pytest.mark.parametrize(
    ("body", "fail_on", "verdict", "code"),
    [
        (PASSING, "fail", "healthy", 0),
        (PASSING, "warn", "healthy", 0),
        (WARNING, "fail", "healthy", 0),
        (WARNING, "warn", "unhealthy", 1),
    ],
    ids=["pass-fail", "pass-warn", "warn-fail", "warn-warn"],
)
def test_fail_on_sets_the_exit_code_and_the_reports_verdict(
    pytester: pytest.Pytester, body: str, fail_on: str, verdict: str, code: int
) -> None:
    result = suite(pytester, body, "--fail-on", fail_on)
    assert result.ret == code
    doc = json.loads((pytester.path / "reports" / "health.json").read_text())
    assert (doc["verdict"], doc["exit_code"], doc["fail_on"]) == (verdict, code, fail_on)


def test_the_terminal_ends_with_each_non_pass_result_and_what_to_do(
    pytester: pytest.Pytester,
) -> None:
    body = f"""
@check("ABC-001", "passes", {META})
def test_pass():
    observe("all good")

@check("ABC-002", "fails", severity="low", remediation="run fix-it --now")
def test_fail():
    expect(False, "observed 3")

@check("ABC-003", "blocked", {META}, needs=("ABC-002",))
def test_blocked():
    pass
"""
    result = suite(pytester, body)
    result.stdout.fnmatch_lines(
        [
            "*ikscheck: 1 pass, 0 warn, 1 fail, 0 error, 1 skip*",
            "FAIL  ABC-002: observed 3  -> run fix-it --now",
            "SKIP  ABC-003: blocked by ABC-002 (a prerequisite failed)",
            "JSON report: *health.json",
        ]
    )
    assert "all good" not in result.stdout.str()  # passes stay dots
    assert "short test summary" not in result.stdout.str()  # said once, by ikscheck


def test_help_lists_no_pytester_options(pytester: pytest.Pytester) -> None:
    # pytester is the tests' plugin: a user's `pytest checks/ --help` must not offer it.
    result = pytester.runpytest_subprocess(str(testenv.REPO / "checks"), "--help")
    assert "--runpytest" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*--report-json*"])


ENDINGS = f"""
@check("ABC-001", "passes", {META})
def test_pass():
    observe("all good")

@check("ABC-002", "warns", {META})
def test_warn():
    warn("observed 2")

@check("ABC-003", "fails", {META})
def test_fail():
    expect(False, "observed 3")

@check("ABC-004", "errs", {META})
def test_error(workstation):
    workstation.cli_version()

@check("ABC-005", "blocked", {META}, needs=("ABC-003",))
def test_skip():
    pass

@check("ABC-006", "a bug in the check", {META})
def test_bug():
    return lookup({{}})

def lookup(table):
    return table["missing"]
"""
VERDICTS = ("test_warn", "test_fail", "test_error", "test_skip")


def test_a_verdict_is_told_by_its_message_and_a_bug_by_its_traceback(
    pytester: pytest.Pytester,
) -> None:
    result = suite(pytester, ENDINGS, "--junitxml", "junit.xml")
    bug = "internal error in the check (KeyError: 'missing')"
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "WARN  ABC-002: observed 2  -> fix it",
            "FAIL  ABC-003: observed 3  -> fix it",
            "ERROR ABC-004: the bundle has no recording of *",
            f"ERROR ABC-006: {bug}",
            "    Traceback (most recent call last):",
            '*File "*test_checks.py", line *, in test_bug',
            '*File "*test_checks.py", line *, in lookup',
            "    KeyError: 'missing'",
            "SKIP  ABC-005: blocked by ABC-003 (a prerequisite failed)",
            "JSON report: *health.json",
        ]
    )
    assert out.count("Traceback") == 1

    doc = json.loads((pytester.path / "reports" / "health.json").read_text())
    assert jsonschemas.problems(doc, "report") == []
    found = report(pytester)
    assert found["test_bug"]["message"] == bug
    trace = found["test_bug"]["traceback"]
    assert trace.startswith("Traceback (most recent call last):\n")
    assert trace.endswith("KeyError: 'missing'\n")
    # From the check's frame on: pytest's runner above it is the same for every bug.
    assert "_pytest" not in trace and "pluggy" not in trace
    assert [name for name, c in found.items() if "traceback" in c] == ["test_bug"]

    cases = {
        case.get("name"): case for case in ET.parse(pytester.path / "junit.xml").iter("testcase")
    }
    properties = {
        name: {p.get("name"): p.get("value") for p in case.iter("property")}
        for name, case in cases.items()
    }
    assert "message" not in properties["test_pass"]  # as in the terminal: a pass is a dot
    for name in VERDICTS:
        assert properties[name]["message"] == found[name]["message"], name
        assert "Traceback" not in ET.tostring(cases[name], encoding="unicode"), name
    for name, tag in {
        "test_fail": "failure",
        "test_error": "failure",
        "test_skip": "skipped",
    }.items():
        element = cases[name].find(tag)
        assert element is not None and found[name]["message"] in element.get("message", ""), name
    failure = cases["test_bug"].find("failure")
    assert failure is not None
    assert bug in (failure.get("message") or "")
    assert "Traceback (most recent call last)" in (failure.text or "")
    assert "KeyError: 'missing'" in (failure.text or "")


def test_no_ending_of_a_check_is_formatted_by_pytest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest's traceback formatting cost ~80 ms a failure, for text no report showed.
    formatted: list[BaseException] = []
    getrepr = pytest.ExceptionInfo.getrepr

    def recorded(self: pytest.ExceptionInfo[BaseException], *args: object, **kw: object) -> object:
        formatted.append(self.value)
        return getrepr(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pytest.ExceptionInfo, "getrepr", recorded)
    result = suite(pytester, ENDINGS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert formatted == []


def test_what_lives_through_the_run_is_frozen_for_it_and_thawed_after(
    pytester: pytest.Pytester,
) -> None:
    # The collector skips frozen objects: a fleet's items and evidence are not walked again on
    # each full collection. Thawed at the end, so a process that runs the suite again (these
    # tests, in-process) gets its memory back.
    body = f"""
import gc

@check("ABC-001", "sees the collector", {META})
def test_frozen():
    observe(f"frozen {{gc.get_freeze_count()}}")
"""
    before = gc.get_freeze_count()
    result = suite(pytester, body)
    assert result.ret == pytest.ExitCode.OK
    frozen = int(report(pytester)["test_frozen"]["message"].split()[1])
    assert frozen > before + 1000  # pytest's and the engine's objects, not a handful
    assert gc.get_freeze_count() == before


def test_a_run_that_checks_nothing_freezes_nothing(pytester: pytest.Pytester) -> None:
    before = gc.get_freeze_count()
    result = suite(pytester, f'@check("ABC-001", "t", {META})\ndef test_a():\n    pass\n', "--co")
    assert result.ret == pytest.ExitCode.OK
    assert gc.get_freeze_count() == before
