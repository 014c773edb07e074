"""The suite under pytest-xdist (``-n 2``): one merged JSON and HTML report, with the verdicts,
messages, prerequisites and order of a serial run.

A worker runs a share of the checks; a check whose prerequisite another worker runs judges that
prerequisite itself (as the serial run would have), so that blocking does not depend on which
worker ran what. The controller, which runs none, writes the one report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import testenv

RECORDINGS = testenv.REPO / "recordings"
#: Broken setups whose prerequisites block many checks, and a healthy one.
CASES = ("healthy", "cli-missing", "context-missing", "api-key-invalid", "kubectl-skew")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", str(testenv.REPO / "checks"), "-q"]
    argv += ["-p", "no:cacheprovider", "--report-json", "reports/health.json", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def results(folder: Path) -> list[tuple[str, str, str, list[str], str]]:
    document = json.loads((folder / "reports" / "health.json").read_text())
    return [
        (c["nodeid"], c["status"], c["message"], c["blocked_by"], c["remediation"])
        for c in document["checks"]
    ]


@pytest.mark.parametrize("name", CASES)
def test_two_workers_give_the_serial_run_s_report(tmp_path: Path, name: str) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    serial.mkdir()
    parallel.mkdir()
    bundle = str(RECORDINGS / name)
    one = run(serial, "--replay", bundle)
    two = run(parallel, "--replay", bundle, "-n", "2")
    assert two.returncode == one.returncode, two.stdout[-2000:] + two.stderr[-2000:]
    assert results(parallel) == results(serial)
    # One report, written by the controller; the ikscheck summary as a serial run prints it.
    assert sorted(p.name for p in (parallel / "reports").iterdir()) == [
        "health.html",
        "health.json",
    ]
    summary = [
        line for line in one.stdout.splitlines() if line.startswith("---") and "ikscheck" in line
    ]
    assert summary and summary[0] in two.stdout
    assert "INTERNALERROR" not in two.stdout + two.stderr


def test_record_with_workers_is_a_usage_error(tmp_path: Path) -> None:
    done = run(tmp_path, "-n", "2", "--record", str(tmp_path / "bundle"))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--record gathers evidence in one process: run it without -n" in done.stderr
    assert not (tmp_path / "bundle").exists()


def test_a_prerequisite_run_elsewhere_is_judged_here_and_blocks_as_in_a_serial_run() -> None:
    import copy

    from ikscheck.catalogue import checks
    from ikscheck.check import meta_of
    from ikscheck.options import Options
    from ikscheck.policy import Policy
    from ikscheck.replay import ReplaySource
    from ikscheck.session import Session
    from memory import Setup

    setup = Setup("cli-missing")
    source = ReplaySource(copy.deepcopy(setup.records), setup.settings, setup.recorded_at)
    session = Session(Options(), Path.cwd(), Path.cwd(), source, Policy())
    found = checks()
    cli_version = meta_of(found["CLI-002"])
    assert cli_version is not None and cli_version.needs == ("CLI-001",)
    assert session.blockers(cli_version, {}) == ()  # CLI-001 has not run in this process
    session.share_prerequisites({"CLI-001": (found["CLI-001"], [{}])})
    assert session.blockers(cli_version, {}) == ("CLI-001",)
    assert session.results == []  # judged to block, not reported: its worker reports it
