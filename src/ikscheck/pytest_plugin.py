"""The pytest plugin: options, fixtures, statuses and reports. The only module importing pytest.

Loaded through the ``pytest11`` entry point, it only adds options and fixtures; the suite's
``checks/conftest.py`` calls :func:`activate`, which turns on results, reports and exit codes.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ikscheck.errors import EvidenceError, ParseError, UsageError
from ikscheck.evidence import Settings
from ikscheck.results import (
    Blocked,
    CheckFailed,
    CheckMeta,
    CheckWarning,
    NotApplicable,
    Result,
    Status,
    meta_of,
    observation,
)

# The engine proper is imported when the suite is activated, not here: this module is loaded
# into every pytest session on a machine where ikscheck is installed.
if TYPE_CHECKING:
    from collections.abc import Generator

    from _pytest.nodes import Item
    from _pytest.reports import TestReport
    from _pytest.runner import CallInfo

    from ikscheck.evidence import Evidence
    from ikscheck.policy import Policy
    from ikscheck.workstation import Workstation

suite_key = pytest.StashKey["Suite"]()
# Inline, so that the report stays one self-contained file.
STYLE = (
    ".ik-id,.ik-severity,.ik-status{white-space:nowrap}"
    ".ik-pass{color:#1a7f37}.ik-warn{color:#9a6700;font-weight:bold}"
    ".ik-fail,.ik-error{color:#cf222e;font-weight:bold}.ik-skip{color:#6e7781}"
    ".ik-remediation{font-family:monospace}"
)
blocked_key = pytest.StashKey[tuple[str, ...]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ikscheck", "ikscheck: IBM Cloud Kubernetes Service workstation checks")
    add = group.addoption
    add(
        "--cluster",
        action="append",
        default=[],
        metavar="NAME_OR_ID",
        help="cluster to check; repeatable (default: the current context's cluster)",
    )
    add(
        "--kubeconfig",
        metavar="PATH",
        help="kubeconfig, or a ':'-separated list (default: $KUBECONFIG, else ~/.kube/config)",
    )
    add("--ibmcloud-home", metavar="DIR", help="home of the IBM Cloud CLI config")
    add(
        "--iam-url",
        metavar="URL",
        help="IAM endpoint (default: $IKSCHECK_IAM_URL, else https://iam.cloud.ibm.com)",
    )
    add(
        "--containers-url",
        metavar="URL",
        help="IKS API endpoint (default: $IKSCHECK_CONTAINERS_URL, else https://containers.cloud.ibm.com)",
    )
    add("--replay", metavar="PATH", help="evaluate a recorded bundle (folder or .tar.gz)")
    add("--record", metavar="PATH", help="also write a redacted bundle of everything gathered")
    add(
        "--now",
        metavar="ISO8601",
        help="evaluate times at this instant (default: now; replay: the recording's time)",
    )
    add(
        "--report-json",
        metavar="PATH",
        default="reports/health.json",
        help="JSON report (default: %(default)s)",
    )
    add(
        "--fail-on",
        choices=("fail", "warn"),
        default="fail",
        help="lowest status that makes the run exit non-zero; error counts as fail "
        "(default: %(default)s)",
    )
    add(
        "--max-skew",
        type=int,
        metavar="N",
        help="kubectl/server minor version skew allowed (default: policy, 1)",
    )
    add("--ibmcloud", metavar="PATH", help="the ibmcloud to run (default: the first on PATH)")
    add("--kubectl", metavar="PATH", help="the kubectl to run (default: the first on PATH)")


def activate(config: pytest.Config) -> None:
    """Turn the suite on for this run: called by the suite's own conftest at configure time."""
    if suite_key in config.stash:
        return
    try:
        suite = Suite(config)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[suite_key] = suite
    config.pluginmanager.register(suite, "ikscheck-suite")
    if config.pluginmanager.hasplugin("html") and not config.getoption("htmlpath", None):
        config.option.htmlpath = str(Path(config.getoption("report_json")).with_name("health.html"))
        config.option.self_contained_html = True


def _suite(request: pytest.FixtureRequest) -> Suite:
    suite = request.config.stash.get(suite_key, None)
    if suite is None:
        raise pytest.UsageError("ikscheck fixtures need the suite: run `pytest checks/`")
    return suite


@pytest.fixture(scope="session")
def workstation(request: pytest.FixtureRequest) -> Workstation:
    """The facts of the setup under check (live or replayed)."""
    return _suite(request).workstation


@pytest.fixture(scope="session")
def policy(request: pytest.FixtureRequest) -> Policy:
    """Thresholds in force: defaults, configuration, then command-line overrides."""
    return _suite(request).policy


class Suite:
    """Per-run state: the evidence source, results and reports."""

    def __init__(self, config: pytest.Config) -> None:
        from ikscheck.policy import load_policy
        from ikscheck.workstation import Workstation

        self.config = config
        opt = config.getoption
        self.policy = load_policy(Path.cwd(), config.rootpath).with_overrides(
            max_skew=opt("max_skew")
        )
        now = _parse_now(opt("now"))
        self.evidence: Evidence
        if opt("replay"):
            from ikscheck.bundle import ReplaySource

            if opt("record"):
                raise UsageError("--record and --replay cannot be combined")
            self.evidence = ReplaySource(opt("replay"), now)
            if opt("cluster"):
                self.evidence.settings = replace(
                    self.evidence.settings, clusters=tuple(opt("cluster"))
                )
        else:
            from ikscheck.live import LiveSource

            settings = Settings(
                clusters=tuple(opt("cluster")),
                kubeconfig=opt("kubeconfig"),
                ibmcloud_home=opt("ibmcloud_home"),
                kubectl=opt("kubectl"),
                ibmcloud=opt("ibmcloud"),
            )
            self.evidence = LiveSource(settings, self.policy)
        self.evaluated_at: datetime = now or self.evidence.now()
        self.workstation = Workstation(self.evidence, self.policy)
        self.results: list[Result] = []

    # -- collection ------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "cluster" in metafunc.fixturenames:
            clusters = self.workstation.clusters()
            metafunc.parametrize(
                "cluster", clusters, ids=[c or "current-context" for c in clusters]
            )
        if "plugin" in metafunc.fixturenames:
            from ikscheck.policy import CR_PLUGIN, KS_PLUGIN

            metafunc.parametrize("plugin", [KS_PLUGIN, CR_PLUGIN])

    def pytest_collection_modifyitems(self, items: list[Item]) -> None:
        problems: list[str] = []
        owners: dict[str, str] = {}
        for item in items:
            meta = _meta(item)
            if meta is None:
                problems.append(f"{item.nodeid}: a check without @check metadata")
                continue
            problems += meta.problems()
            function = getattr(item, "originalname", item.name)
            owner = f"{item.path.name}::{function}"
            if owners.setdefault(meta.id, owner) != owner:
                problems.append(f"duplicate check ID {meta.id}: {owners[meta.id]} and {owner}")
        if problems:
            raise pytest.UsageError(
                "invalid check metadata:\n  " + "\n  ".join(dict.fromkeys(problems))
            )
        # Prerequisites first, so that a check can see whether what it needs held.
        depth: dict[str, int] = {}
        metas = {m.id: m for m in (_meta(i) for i in items) if m}

        def level(check_id: str, seen: frozenset[str] = frozenset()) -> int:
            if check_id not in depth:
                meta = metas.get(check_id)
                needs = [n for n in (meta.needs if meta else ()) if n not in seen]
                depth[check_id] = 1 + max((level(n, seen | {check_id}) for n in needs), default=-1)
            return depth[check_id]

        modules = {path: n for n, path in enumerate(dict.fromkeys(i.path for i in items))}
        order = {item.nodeid: n for n, item in enumerate(items)}
        items.sort(key=lambda i: (modules[i.path], level(_meta(i).id), order[i.nodeid]))  # type: ignore[union-attr]

    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.items and not session.config.option.collectonly:
            self.workstation.prefetch()

    # -- running ----------------------------------------------------------------------------

    def pytest_runtest_setup(self, item: Item) -> None:
        meta = _meta(item)
        if meta is None:
            return
        params = _params(item)
        roots: list[str] = []
        for result in self.results:
            if result.id in meta.needs and _compatible(result.params, params):
                if result.status in (Status.FAIL, Status.ERROR):
                    roots.append(result.id)
                elif result.status is Status.SKIP and result.blocked_by:
                    roots += result.blocked_by
        item.stash[blocked_key] = tuple(dict.fromkeys(roots))
        observation.set("")

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> None:
        # Skipped in the call, not the setup, so that reports show the check, not its setup.
        roots = pyfuncitem.stash.get(blocked_key, ())
        if roots:
            raise Blocked(roots, f"blocked by {', '.join(roots)} (a prerequisite failed)")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: Item, call: CallInfo[None]
    ) -> Generator[None, TestReport, TestReport]:
        report = yield
        meta = _meta(item)
        if (
            meta is None
            or (report.when == "teardown" and report.passed)
            or (report.when == "setup" and report.passed)
        ):
            return report
        result = self._judge(item, meta, call)
        result.duration = report.duration
        self.results.append(result)
        # On the item, so that the teardown report, which JUnit reads them from, carries them.
        item.user_properties += [("check_id", meta.id), ("status", result.status.value)]
        report.ikscheck = result  # type: ignore[attr-defined]
        location = (str(item.path), item.location[1] or 0, result.message)
        if result.status is Status.SKIP:
            report.outcome = "skipped"
            report.longrepr = location
        elif result.status in (Status.FAIL, Status.ERROR):
            report.outcome = "failed"
            fix = f"\nremediation: {result.remediation}" if result.remediation else ""
            report.longrepr = f"{meta.id} {result.status.value}: {result.message}{fix}"
        else:
            report.outcome = "passed"
            report.longrepr = None
        return report

    def _judge(self, item: Item, meta: CheckMeta, call: CallInfo[None]) -> Result:
        excinfo = call.excinfo
        if excinfo is None:
            return self._result(item, meta, Status.PASS, observation.get() or "holds")
        exc = excinfo.value
        fix = getattr(exc, "fix", "")
        if isinstance(exc, CheckWarning):
            return self._result(item, meta, Status.WARN, str(exc), fix=fix)
        if isinstance(exc, CheckFailed):
            return self._result(item, meta, Status.FAIL, str(exc), fix=fix)
        if isinstance(exc, AssertionError):
            return self._result(item, meta, Status.FAIL, str(exc).split("\nassert ")[0])
        if isinstance(exc, Blocked):
            return self._result(
                item, meta, Status.SKIP, str(exc), blocked_by=list(exc.prerequisites)
            )
        if isinstance(exc, NotApplicable | pytest.skip.Exception):
            return self._result(item, meta, Status.SKIP, str(getattr(exc, "msg", exc)))
        if isinstance(exc, EvidenceError | ParseError):
            return self._result(item, meta, Status.ERROR, str(exc))
        where = f"{type(exc).__name__}: {exc}"
        return self._result(item, meta, Status.ERROR, f"internal error in the check ({where})")

    def _result(
        self,
        item: Item,
        meta: CheckMeta,
        status: Status,
        message: str,
        blocked_by: list[str] | None = None,
        fix: str = "",
    ) -> Result:
        params = _params(item)
        remediation = fix or meta.remediation.format_map(_Template(params))
        return Result(
            id=meta.id,
            nodeid=item.nodeid,
            title=meta.title,
            severity=meta.severity,
            status=status,
            message=message.strip(),
            remediation=remediation if status in (Status.WARN, Status.FAIL) else "",
            params=params,
            blocked_by=blocked_by or [],
        )

    def pytest_report_teststatus(self, report: TestReport) -> tuple[str, str, Any] | None:
        result = getattr(report, "ikscheck", None)
        if result is None:
            return None
        if result.status is Status.WARN:
            return "warned", "W", ("WARN", {"yellow": True})
        if result.status is Status.ERROR:
            return "error", "E", ("ERROR", {"red": True})
        return None

    # -- reports ----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from ikscheck import reporting

        opt = self.config.getoption
        environment = reporting.environment(self.workstation, self.evaluated_at)
        metadata = _metadata(self.config)
        if metadata is not None:
            metadata.clear()
            metadata.update(environment)
        document = reporting.build(self.results, self.workstation, self.evaluated_at, environment)
        if opt("report_json") and not self.config.option.collectonly:
            reporting.write_json(document, opt("report_json"))
        if opt("record"):
            from ikscheck.bundle import write_bundle

            live = self.evidence
            write_bundle(opt("record"), live.records(), live.settings, live.started)  # type: ignore[attr-defined]
        warned = any(r.status is Status.WARN for r in self.results)
        if opt("fail_on") == "warn" and exitstatus == pytest.ExitCode.OK and warned:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from ikscheck import reporting

        counts = reporting.summary(self.results)
        line = ", ".join(f"{n} {status}" for status, n in counts.items())
        terminalreporter.write_sep("-", f"ikscheck: {line}")
        if self.config.getoption("report_json"):
            terminalreporter.write_line(f"JSON report: {self.config.getoption('report_json')}")

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "ikscheck health report"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str]
    ) -> None:
        from ikscheck import reporting

        counts = reporting.summary(self.results)
        cells = "".join(f'<span class="ik-{s}">{n} {s}</span> ' for s, n in counts.items())
        prefix.append(f"<style>{STYLE}</style><p><strong>Checks:</strong> {cells}</p>")

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="id">ID</th>')
        cells.insert(2, "<th>Severity</th>")
        cells.insert(3, "<th>Status</th>")
        cells.insert(4, "<th>Message</th>")
        cells.insert(5, "<th>Remediation</th>")

    def pytest_html_results_table_html(self, report: TestReport, data: list[str]) -> None:
        result = getattr(report, "ikscheck", None)
        if result is not None and result.status is Status.SKIP:
            # pytest-html would print the skip's (path, line, reason) tuple: say it plainly.
            data[:] = [f'<div class="log">{html.escape(result.message)}</div>']

    def pytest_html_results_table_row(self, report: TestReport, cells: list[str]) -> None:
        result = getattr(report, "ikscheck", None)
        values = (
            [result.id, result.severity, result.status.value, result.message, result.remediation]
            if result
            else ["", "", "", "", ""]
        )
        kinds = ("id", "severity", "status", "message", "remediation")
        status = values[2]
        for offset, (kind, value) in enumerate(zip(kinds, values, strict=True), start=1):
            css = f"ik-{kind} ik-{status}" if kind == "status" else f"ik-{kind}"
            cells.insert(offset, f'<td class="{css}">{html.escape(value)}</td>')


def _metadata(config: pytest.Config) -> dict[str, Any] | None:
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return None
    return config.stash.get(metadata_key, None)


class _Template(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "<" + key + ">"


def _meta(item: Item) -> CheckMeta | None:
    return meta_of(getattr(item, "obj", None))


def _params(item: Item) -> dict[str, str]:
    callspec = getattr(item, "callspec", None)
    return {k: str(v) for k, v in callspec.params.items()} if callspec else {}


def _compatible(prerequisite: dict[str, str], dependent: dict[str, str]) -> bool:
    return all(dependent.get(k, v) == v for k, v in prerequisite.items())


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--now: {value!r} is not an ISO 8601 time (e.g. 2026-11-20T09:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise UsageError(f"--now: {value!r} needs a time zone (e.g. Z or +01:00)")
    return parsed
