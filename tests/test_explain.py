"""--explain ID and `python -m ikscheck explain ID`: every check described from its own
metadata, as docs/checks.md describes it, without running anything; an unknown ID is a usage
error naming the closest IDs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import testenv
from ikscheck import __main__ as entry
from ikscheck import explain
from ikscheck.catalogue import collect, described
from ikscheck.check import STATUSES, CheckMeta, check
from ikscheck.errors import UsageError

CATALOGUE = {m.id: m for m in collect()}
DESCRIBED = described()
DOCS = (testenv.REPO / "docs" / "checks.md").read_text()


def words(text: str) -> str:
    """``text`` with its wrapping undone, to compare with the same text wrapped otherwise."""
    return " ".join(text.split())


def sections(found: explain.Explained) -> list[str]:
    return [
        found.title,
        found.what,
        found.why,
        found.prerequisites,
        found.remediation,
        *(meaning for _, meaning in found.statuses),
    ]


@pytest.mark.parametrize("check_id", sorted(CATALOGUE))
def test_every_check_describes_what_why_and_its_statuses(check_id: str) -> None:
    meta = CATALOGUE[check_id]
    assert len(meta.description) > 40 and len(meta.why) > 30, check_id
    declared = dict(meta.statuses)
    assert set(declared) <= set(STATUSES)
    assert "pass" in declared and ({"warn", "fail"} & set(declared)), check_id
    assert meta.problems() == []


@pytest.mark.parametrize("check_id", sorted(CATALOGUE))
def test_explain_of_every_check_exits_0_and_names_its_statuses(
    pytester: pytest.Pytester, check_id: str
) -> None:
    # A bundle that does not exist: nothing is read, collected or run.
    ran = pytester.runpytest(
        str(testenv.REPO / "checks"), "-p", "no:cacheprovider", "--explain", check_id,
        "--replay", str(pytester.path / "no-such-bundle"), "--report-json", "out.json",
    )  # fmt: skip
    assert ran.ret == 0
    out = ran.stdout.str()
    assert out.startswith(f"{check_id}: ")
    found = DESCRIBED[check_id]
    for status, meaning in found.statuses:
        assert f"  {status} " in out and words(meaning) in words(out)
    for part in sections(found):  # what docs/checks.md says, word for word
        assert words(part) in words(out) and words(part) in words(DOCS)
    assert words(explain.markdown(found)) in words(DOCS)
    assert not (pytester.path / "out.json").exists()  # no report: no check ran
    assert "passed" not in out and "collected" not in out


def test_explain_takes_any_case(pytester: pytest.Pytester) -> None:
    ran = pytester.runpytest(str(testenv.REPO / "checks"), "--explain", "kctl-002")
    assert ran.ret == 0 and ran.stdout.str().startswith("KCTL-002: ")


@pytest.mark.parametrize(
    ("wanted", "closest"),
    [
        ("KCTL-02", "KCTL-002"),
        ("KCTL-0002", "KCTL-002"),
        ("KTCL-002", "KCTL-002"),
        ("TOK-9", "TOK-005"),
        ("ZZZ", ""),
    ],
)
def test_an_unknown_id_is_a_usage_error_naming_the_closest(
    pytester: pytest.Pytester, wanted: str, closest: str
) -> None:
    ran = pytester.runpytest(str(testenv.REPO / "checks"), "--explain", wanted)
    assert ran.ret == pytest.ExitCode.USAGE_ERROR == 4
    errors = [line for line in ran.errlines if line.strip()]
    assert len(errors) == 1, errors  # one line, no traceback
    assert errors[0].startswith(f"ERROR: --explain: no check has the ID {wanted!r}; the closest: ")
    suggested = errors[0].split("the closest: ")[1].split(" (")[0].split(", ")
    assert 1 <= len(suggested) <= 3 and set(suggested) <= set(CATALOGUE)
    assert not closest or suggested[0] == closest


def test_python_m_ikscheck_explain(capsys: pytest.CaptureFixture[str]) -> None:
    for check_id in CATALOGUE:
        assert entry.main(["explain", check_id]) == 0
        assert capsys.readouterr().out == explain.text(DESCRIBED[check_id])
    assert entry.main(["explain", "PLG-01"]) == 4
    seen = capsys.readouterr()
    assert seen.out == "" and seen.err.count("\n") == 1
    assert "no check has the ID 'PLG-01'; the closest: PLG-001" in seen.err
    assert entry.main(["explain"]) == 4 and "usage" in capsys.readouterr().err


def test_python_m_ikscheck_explain_in_a_process() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "ikscheck", "explain", "NET-001"], capture_output=True, text=True
    )
    assert ran.returncode == 0 and ran.stdout.startswith("NET-001: ")
    ran = subprocess.run(
        [sys.executable, "-m", "ikscheck", "explain", "NET-01"], capture_output=True, text=True
    )
    assert ran.returncode == 4 and ran.stdout == "" and "NET-001" in ran.stderr


def test_statuses_a_check_does_not_declare_are_said_plainly() -> None:
    meta = CheckMeta("ABC-001", "it holds", "low", "fix it", ("ABC-000",), "what", "why",
                     (("pass", "holds"), ("fail", "does not")))  # fmt: skip
    found = dict(explain.explained(meta, {}).statuses)
    assert found["warn"] == explain.NEVER["warn"]
    assert found["error"] == explain.ERROR
    assert found["skip"].startswith("blocked: a prerequisite failed")
    alone = CheckMeta("ABC-002", "t", "low", "x", (), "w", "y", (("skip", "no helm"),))
    assert dict(explain.explained(alone, {}).statuses)["skip"] == "no helm"


def test_a_status_that_is_not_one_is_a_metadata_problem() -> None:
    decorated = check("ABC-001", "t", severity="low", remediation="x", statuses={"ok": "fine"})
    meta = decorated(lambda: None).__ikscheck__  # type: ignore[attr-defined]
    assert meta.problems() == ["ABC-001: 'ok' is not a status (pass, warn, fail, error, skip)"]


def test_resolve_raises_a_usage_error() -> None:
    with pytest.raises(UsageError, match="the closest: KCFG-001"):
        explain.resolve("kcfg-01", CATALOGUE)
    assert explain.resolve(" kcfg-001 ", CATALOGUE).id == "KCFG-001"
