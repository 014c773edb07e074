"""The pytest plugin: options, fixtures, ordering, and each outcome handed to the session.

The only module that imports pytest. Loaded through the ``pytest11`` entry point into every
pytest session on a machine where ikscheck is installed, it only adds options and fixtures;
the suite's ``checks/conftest.py`` calls :func:`activate`, which turns the suite on. Everything
else (evidence, results, reports) is the session's (:mod:`ikscheck.session`).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from ikscheck.check import depths, meta_of, module_ranks, observation, problems_of
from ikscheck.errors import UsageError
from ikscheck.results import NotApplicable, Result, Status, blocked_by, judge

# The engine proper is imported when the suite is activated, not here.
if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from _pytest.nodes import Item
    from _pytest.reports import TestReport
    from _pytest.runner import CallInfo

    from ikscheck.check import CheckMeta
    from ikscheck.policy import Policy
    from ikscheck.session import Session
    from ikscheck.workstation import Workstation

session_key = pytest.StashKey["Session"]()
blocked_key = pytest.StashKey[tuple[str, ...]]()
# Where an item stands in the suite's order: a pytest-xdist controller orders results by it.
position_key = pytest.StashKey[int]()
# A check item's metadata and params, read once at collection: each hook of each item asks.
check_key = pytest.StashKey[tuple["CheckMeta", dict[str, str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from ikscheck.options import OPTIONS

    group = parser.getgroup("ikscheck", "ikscheck: IBM Cloud Kubernetes Service workstation checks")
    for option in OPTIONS:
        group.addoption(option.flag, **option.argparse())


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--explain ID``: describe the check and exit before anything is collected or run."""
    wanted = config.getoption("explain", None)
    if not wanted:
        return None
    from ikscheck.catalogue import explain_text

    try:
        text = explain_text(wanted)
    except UsageError as exc:
        raise pytest.UsageError(f"--explain: {exc}") from None
    sys.stdout.write(text)
    return 0


def activate(config: pytest.Config) -> None:
    """Turn the suite on for this run: called by the suite's own conftest at configure time."""
    if session_key in config.stash:
        return
    from ikscheck.options import Options
    from ikscheck.session import Session

    options = Options.from_values(config.getoption)
    if options.record and getattr(config.option, "numprocesses", None):
        # Each pytest-xdist worker gathers its own evidence: one bundle needs one process.
        raise pytest.UsageError("--record gathers evidence in one process: run it without -n")
    try:
        session = Session(options, Path.cwd(), config.rootpath)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[session_key] = session
    config.pluginmanager.register(SuiteHooks(session, config), "ikscheck-suite")
    config.pluginmanager.register(_fixtures(session), "ikscheck-fixtures")
    # The end-of-run summary says what pytest's short summary and tracebacks would: say it once.
    if config.option.reportchars == "fE":
        config.option.reportchars = ""
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    if config.pluginmanager.hasplugin("html"):
        from ikscheck.htmlreport import PytestHtmlHooks

        # pytest-html's page only for those who ask for it (--html); ikscheck writes its own.
        config.pluginmanager.register(PytestHtmlHooks(session), "ikscheck-html")


def _session(request: pytest.FixtureRequest) -> Session:
    session = request.config.stash.get(session_key, None)
    if session is None:
        raise pytest.UsageError("ikscheck fixtures need the suite: run `pytest checks/`")
    return session


# Outside the suite these say how to run it; an active suite's own (_fixtures) take over.
@pytest.fixture(scope="session")
def workstation(request: pytest.FixtureRequest) -> Workstation:
    """The facts of the setup under check (live or replayed)."""
    return _session(request).workstation


@pytest.fixture(scope="session")
def policy(request: pytest.FixtureRequest) -> Policy:
    """Thresholds in force: defaults, configuration, then command-line overrides."""
    return _session(request).policy


def _fixtures(session: Session) -> ModuleType:
    """The fixtures of an active suite, as a plugin: they override the ones above.

    Without ``request``: pytest resolves a fixture's arguments for every item that uses it, even
    a cached session fixture's, and ``request`` costs a new FixtureDef each time (a module, not
    an instance, holds them: pytest deprecates session fixtures that are instance methods).
    """
    holder = ModuleType("ikscheck.suite_fixtures")

    @pytest.fixture(scope="session", name="workstation")
    def suite_workstation() -> Workstation:
        """The facts of the setup under check (live or replayed)."""
        return session.workstation

    @pytest.fixture(scope="session", name="policy")
    def suite_policy() -> Policy:
        """Thresholds in force: defaults, configuration, then command-line overrides."""
        return session.policy

    holder.workstation = suite_workstation  # type: ignore[attr-defined]
    holder.policy = suite_policy  # type: ignore[attr-defined]
    return holder


class SuiteHooks:
    """The hooks of an active suite: pytest's events, handed to the session."""

    def __init__(self, session: Session, config: pytest.Config) -> None:
        self.session = session
        self.config = config
        # Under pytest-xdist, workers run the checks and the controller, which runs none,
        # writes the one report from the results they send (with their collection order).
        self.worker = hasattr(config, "workerinput")
        distributed = getattr(config.option, "dist", "no") != "no"
        self.controller = distributed and not self.worker and not config.option.collectonly
        self._arrived: list[tuple[int, Result]] = []
        self.frozen = False

    def pytest_report_header(self) -> list[str]:
        return self.session.header()

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "cluster" in metafunc.fixturenames:
            clusters = self.session.workstation.clusters()
            metafunc.parametrize(
                "cluster", clusters, ids=[c or "current-context" for c in clusters]
            )
        if "plugin" in metafunc.fixturenames:
            from ikscheck.ibmcloud import PLUGIN_NAMES

            metafunc.parametrize("plugin", list(PLUGIN_NAMES))

    def pytest_collection_modifyitems(self, items: list[Item]) -> None:
        metas = [_meta(i) for i in items]
        names = [f"{i.path.name}::{getattr(i, 'originalname', i.name)}" for i in items]
        problems = problems_of(list(zip(names, metas, strict=True)))
        if problems:
            raise pytest.UsageError("invalid check metadata:\n  " + "\n  ".join(problems))
        checks = [(i, m) for i, m in zip(items, metas, strict=True) if m is not None]
        shared: dict[str, tuple[Callable[..., object], list[dict[str, str]]]] = {}
        for item, meta in checks:
            params = _params(item)
            item.stash[check_key] = (meta, params)
            shared.setdefault(meta.id, (item.obj, []))[1].append(params)  # type: ignore[attr-defined]
            # makereport tells every ending of a check by its result; pytest's traceback
            # formatting (~80 ms a failure) would be thrown away.
            item.repr_failure = _told_by_result  # type: ignore[method-assign]
        # Prerequisites first, so that a check can see whether what it needs held: modules after
        # the modules they need, and within a module, checks after the checks they need.
        level = depths([m for _, m in checks])
        ranks = module_ranks([(str(i.path), m) for i, m in checks])
        modules = {path: n for n, path in enumerate(dict.fromkeys(i.path for i in items))}
        keys = [
            (ranks[str(i.path)], modules[i.path], level[m.id], n) for n, (i, m) in enumerate(checks)
        ]
        items[:] = [checks[n][0] for *_, n in sorted(keys)]
        for position, item in enumerate(items):
            item.stash[position_key] = position
        if self.worker:  # another worker may run a check's prerequisites: judge them here too
            self.session.share_prerequisites(shared)

    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.items and not session.config.option.collectonly:
            self.session.workstation.prefetch()
            # What exists now (the items, the evidence, a fleet's documents) lives to the end of
            # the run: out of the collector's sight, each full collection no longer walks it all
            # again (a 400-cluster replay: about a sixth of its time). Undone at unconfigure.
            gc.freeze()
            self.frozen = True

    def pytest_unconfigure(self) -> None:
        if self.frozen:
            gc.unfreeze()

    def pytest_runtest_setup(self, item: Item) -> None:
        known = item.stash.get(check_key, None)
        if known is not None:
            item.stash[blocked_key] = self.session.blockers(*known)
        observation.set("")

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> None:
        # Skipped in the call, not the setup, so that reports show the check, not its setup.
        roots = pyfuncitem.stash.get(blocked_key, ())
        if roots:
            raise blocked_by(roots)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: Item, call: CallInfo[None]
    ) -> Generator[None, TestReport, TestReport]:
        report = yield
        known = item.stash.get(check_key, None)
        if known is None or (report.when != "call" and report.passed):
            return report
        meta, params = known
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, pytest.skip.Exception):
            exc = NotApplicable(exc.msg)
        ending = judge(exc, observation.get(), getattr(item, "obj", None))
        result = self.session.conclude(meta, item.nodeid, params, ending)
        result.duration = report.duration
        # On the item, so that the teardown report, which JUnit reads them from, carries them.
        item.user_properties += [("id", meta.id), ("status", result.status.value)]
        if result.status is not Status.PASS:
            # JUnit's own elements say a failure or a skip, but a warning passes: it would be lost.
            item.user_properties.append(("message", result.message))
        report.ikscheck = result  # type: ignore[attr-defined]
        report.ikscheck_position = item.stash.get(position_key, 0)  # type: ignore[attr-defined]
        if result.status is Status.SKIP:
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, result.message)
        elif result.status.unhealthy:
            report.outcome = "failed"
            fix = f"\nremediation: {result.remediation}" if result.remediation else ""
            detail = f"\n{result.traceback}" if result.traceback else ""
            report.longrepr = f"{meta.id} {result.status.value}: {result.message}{fix}{detail}"
        else:
            report.outcome = "passed"
            report.longrepr = None
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, report: TestReport) -> Generator[None, Any, Any]:
        data = yield
        result = getattr(report, "ikscheck", None)
        if isinstance(data, dict) and result is not None:  # a worker's, for the controller
            data["ikscheck"] = result.to_json()
            data["ikscheck_position"] = getattr(report, "ikscheck_position", 0)
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(self, data: Any) -> Generator[None, Any, Any]:
        report = yield
        if report is not None and isinstance(data, dict) and "ikscheck" in data:
            report.ikscheck = Result.from_json(data["ikscheck"])
            report.ikscheck_position = data.get("ikscheck_position", 0)
        return report

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        result = getattr(report, "ikscheck", None)
        if self.controller and result is not None:
            self._arrived.append((getattr(report, "ikscheck_position", 0), result))

    def pytest_report_teststatus(self, report: TestReport) -> tuple[str, str, Any] | None:
        result = getattr(report, "ikscheck", None)
        if result is None:
            return None
        if result.status is Status.WARN:
            return "warned", "W", ("WARN", {"yellow": True})
        if result.status is Status.ERROR:
            return "error", "E", ("ERROR", {"red": True})
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.worker:
            return  # its results went to the controller, which reports them
        for _, result in sorted(self._arrived, key=lambda arrived: arrived[0]):
            self.session.adopt(result)
        self.session.finish(collect_only=bool(self.config.option.collectonly))
        metadata = _metadata(self.config)
        if metadata is not None:
            # pytest-metadata's environment table: ours instead, so it holds no secrets.
            from ikscheck.htmlreport import environment_table

            metadata.clear()
            metadata.update(environment_table(self.session.document))
        for plugin in self.config.pluginmanager.get_plugins():
            # pytest-html's report (registered without a name) renders after this hook.
            if type(plugin).__module__.startswith("pytest_html.") and hasattr(plugin, "_report"):
                from ikscheck.htmlreport import align_with_checks

                align_with_checks(plugin._report, self.session.results)
        if exitstatus == pytest.ExitCode.OK and not self.session.healthy:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif exitstatus == pytest.ExitCode.TESTS_FAILED and self.session.healthy:
            # --fail-on new: the failures are all known from the baseline, the gate passes.
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker:
            return
        from ikscheck.reporting import summary

        counts = ", ".join(f"{n} {status}" for status, n in summary(self.session.results).items())
        terminalreporter.write_sep("-", f"ikscheck: {counts}")
        for line in self.session.summary_lines():
            terminalreporter.write_line(line)
        for line in self.session.plan_lines():
            terminalreporter.write_line(line)
        for line in self.session.closing_lines():
            terminalreporter.write_line(line)


def _told_by_result(excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
    """A check item's ``repr_failure``: a placeholder that formats nothing.

    makereport replaces it with the result: a verdict's message, or for a bug in a check or
    the engine, the message and the traceback ``judge`` formatted (from the check's frame on).
    """
    return str(excinfo.value)


def _metadata(config: pytest.Config) -> dict[str, Any] | None:
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return None
    return config.stash.get(metadata_key, None)


def _meta(item: Item) -> CheckMeta | None:
    return meta_of(getattr(item, "obj", None))


def _params(item: Item) -> dict[str, str]:
    callspec = getattr(item, "callspec", None)
    return {k: str(v) for k, v in callspec.params.items()} if callspec else {}
