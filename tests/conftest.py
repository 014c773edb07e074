"""Fixtures for the engine's tests and the suite's end-to-end runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

# Imported here, before any in-process run: pytester forgets the modules a run imported, so
# later runs would import them again and hold two copies of a class (two `Version`s that do
# not compare, two cookie-jar types in requests). Modules of this process are kept.
import requests  # noqa: F401
import trustme
from pytest_httpserver import HTTPServer

import ikscheck.bundle
import ikscheck.live
import ikscheck.reporting
import ikscheck.session  # noqa: F401
import testenv
from ikscheck.evidence import ENV_NAMES

# pytester for the end-to-end runs: loaded here, so that it never reaches a user's run.
pytest_plugins = ["pytester"]

CHECKS = str(testenv.REPO / "checks")
# What the engine reads of the environment, less HOME (each workstation sets its own).
ENV_TO_CLEAR = (
    *(n for n in ENV_NAMES if n != "HOME"),
    *("https_proxy", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
    *("IKSCHECK_IAM_URL", "IKSCHECK_CONTAINERS_URL"),
)


class SuiteRun:
    """One end-to-end run of checks/ and what it left."""

    def __init__(self, result: pytest.RunResult, report_path: Path) -> None:
        self.result = result
        self.report_path = report_path
        self.report: dict[str, Any] = (
            json.loads(report_path.read_text()) if report_path.exists() else {}
        )

    def check(self, check_id: str, **params: str) -> dict[str, Any]:
        """The one result of ``check_id`` (with these params)."""
        found = [
            c
            for c in self.report["checks"]
            if c["id"] == check_id and all(c["params"].get(k) == v for k, v in params.items())
        ]
        assert len(found) == 1, f"{check_id} {params}: {len(found)} results in {self.statuses()}"
        return found[0]

    def status(self, check_id: str, **params: str) -> str:
        return str(self.check(check_id, **params)["status"])

    def statuses(self) -> dict[str, str]:
        return {c["nodeid"].split("::")[-1]: c["status"] for c in self.report.get("checks", [])}


@pytest.fixture
def run_suite(pytester: pytest.Pytester) -> Callable[..., SuiteRun]:
    """Run checks/ in-process with these arguments; the JSON report is parsed."""

    def run(*args: str, timeout: float = 15, policy: str = "") -> SuiteRun:
        """``policy``: more ikscheck.toml text, appended (top-level keys, then tables)."""
        report = pytester.path / "reports" / "health.json"
        pytester.makefile(
            ".toml", ikscheck=f"command-timeout = {timeout}\nhttp-timeout = {timeout}\n{policy}"
        )
        result = pytester.runpytest(
            CHECKS, "-p", "no:cacheprovider", "--report-json", str(report), *args
        )
        return SuiteRun(result, report)

    return run


@pytest.fixture
def make_workstation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., testenv.Sandbox]]:
    """Build a workstation of a scenario and point this process's environment at it."""
    with ExitStack() as stack:

        def make(scenario: testenv.Scenario | None = None, **changes: Any) -> testenv.Sandbox:
            chosen = (scenario or testenv.Scenario()).but(**changes)
            ws = stack.enter_context(testenv.workstation(tmp_path / "ws", chosen))
            for name in ENV_TO_CLEAR:
                monkeypatch.delenv(name, raising=False)
            for name, value in ws.environ.items():
                monkeypatch.setenv(name, value)
            return ws

        yield make


@pytest.fixture
def ca() -> trustme.CA:
    """A certificate authority for loopback HTTPS servers."""
    return trustme.CA()


@pytest.fixture
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    """A real HTTPS server on 127.0.0.1 with a certificate from ``ca``."""
    with testenv.https_server(ca) as server:
        yield server
