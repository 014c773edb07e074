"""One run of the suite, without pytest: evidence source, policy, facts, results and outputs.

The pytest plugin (:mod:`ikscheck.pytest_plugin`) builds a :class:`Session` from the command
line and hands it each check's ending; the session turns endings into results, knows which
prerequisites block which check, and writes the JSON report and the bundle at the end.
"""

from __future__ import annotations

import inspect
import os
import shlex
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ikscheck import summary
from ikscheck.baseline import Baseline, count, passes
from ikscheck.baseline import change as baseline_change
from ikscheck.baseline import load as load_baseline
from ikscheck.check import CheckMeta, fill, meta_of, observation
from ikscheck.errors import UsageError
from ikscheck.evidence import Evidence, Settings, iso
from ikscheck.options import Options
from ikscheck.policy import Policy, load_policy
from ikscheck.results import Ending, Result, Status, blocked_by, judge
from ikscheck.workstation import Workstation

if TYPE_CHECKING:
    from ikscheck.plan import Step
    from ikscheck.recording import Recorder
    from ikscheck.replay import ReplaySource


class Session:
    """Per-run state: evidence, facts, results, and what is written at the end."""

    def __init__(
        self,
        options: Options,
        cwd: Path,
        rootdir: Path,
        evidence: Evidence | None = None,
        policy: Policy | None = None,
    ) -> None:
        """A run with these options; ``evidence`` and ``policy``, when given, replace the
        source and the configuration the options would choose (tests, tools)."""
        self.options = options
        if policy is None:
            policy = load_policy(cwd, rootdir).with_overrides(max_skew=options.max_skew)
        self.policy: Policy = policy
        now = parse_now(options.now)
        self.replay: ReplaySource | None = None
        self.recorder: Recorder | None = None
        self.evidence: Evidence
        if evidence is not None:
            self.evidence = evidence
        elif options.replay:
            if options.record:
                raise UsageError("--record and --replay cannot be combined")
            from ikscheck.replay import ReplaySource

            self.replay = ReplaySource.from_bundle(options.replay, now)
            self.evidence = self.replay
        else:
            from ikscheck.live import LiveSource

            self.evidence = LiveSource(self.settings_from(options), self.policy)
            if options.record:
                from ikscheck.recording import Recorder

                self.recorder = Recorder(self.evidence)
                self.evidence = self.recorder
        self.evaluated_at: datetime = now or self.evidence.now()
        self.workstation = Workstation(self.evidence, self.policy, self.evaluated_at)
        if options.all_clusters and options.clusters:
            raise UsageError("--all-clusters and --cluster cannot be combined: choose one")
        if self.replay is not None and options.clusters:
            self._select_recorded(options.clusters)
        self.cluster_source = ""  # with --all-clusters: where the list came from
        if options.all_clusters and self.replay is None:
            self._select_all()
        self.baseline: Baseline | None = None
        if options.baseline:
            self.baseline = load_baseline(options.baseline)
            self.baseline.refuse_other_clusters(self.workstation.clusters())
        elif options.fail_on in ("new", "new-warn"):
            raise UsageError(f"--fail-on {options.fail_on} needs --baseline (an earlier report)")
        self.results: list[Result] = []
        # Results by check ID, then by the names of their params, then by their values: the
        # prerequisites of a per-cluster check are found without scanning every cluster's.
        self._by_id: dict[str, dict[tuple[str, ...], dict[tuple[str, ...], list[Result]]]] = {}
        self._titles: dict[str, str] = {}  # by check ID: the same for each of its results
        self.needs: dict[str, tuple[str, ...]] = {}  # by check ID: its prerequisites (the plan)
        # A pytest-xdist worker's view of the checks other workers run (share_prerequisites).
        self._shared: dict[str, tuple[Callable[..., object], list[Any]]] = {}
        self._judged: dict[tuple[str, tuple[tuple[str, str], ...]], Result] = {}
        self.bundle_size: int | None = None
        self.document: dict[str, Any] = {}  # the JSON report, once the run has finished

    @staticmethod
    def settings_from(options: Options) -> Settings:
        return Settings(
            clusters=options.clusters,
            kubeconfig=options.kubeconfig,
            ibmcloud_home=options.ibmcloud_home,
            kubectl=options.kubectl,
            ibmcloud=options.ibmcloud,
            # Where the APIs are: configuration, not evidence (a replay uses the bundle's).
            iam_url=options.iam_url or os.environ.get("IKSCHECK_IAM_URL") or Settings.iam_url,
            containers_url=options.containers_url
            or os.environ.get("IKSCHECK_CONTAINERS_URL")
            or Settings.containers_url,
        )

    def _select_recorded(self, wanted: tuple[str, ...]) -> None:
        # In replay --cluster chooses among the recorded clusters; the rest is the bundle's.
        held = self.workstation.clusters()
        missing = [c for c in wanted if c not in held]
        if missing:
            raise UsageError(
                f"--cluster {', '.join(missing)}: the bundle {self.options.replay} holds no "
                f"recording of it; it holds: {', '.join(held) or '(no cluster)'}"
            )
        settings = replace(self.evidence.settings, clusters=wanted)
        self.evidence.settings = settings
        self.workstation = Workstation(self.evidence, self.policy, self.evaluated_at)

    def _select_all(self) -> None:
        """--all-clusters: every cluster the IKS API lists for the account, else (no API
        access) every IKS context of the kubeconfig. (A replay checks the recorded ones.)"""
        names, self.cluster_source = self.workstation.account_clusters()
        if not names:
            raise UsageError(f"--all-clusters: no cluster found ({self.cluster_source})")
        for holder in (self.evidence, getattr(self.evidence, "source", None)):
            if holder is not None:  # a recorder's bundle keeps the settings it holds
                holder.settings = replace(holder.settings, clusters=tuple(names))
        self.workstation = Workstation(self.evidence, self.policy, self.evaluated_at)

    # -- checks ------------------------------------------------------------------------------

    def title(self, meta: CheckMeta) -> str:
        """The check's title with policy values filled in ("within one minor version")."""
        title = self._titles.get(meta.id)
        if title is None:
            title = self._titles[meta.id] = fill(meta.title, self.policy.words())
        return title

    def _prerequisites(self, needed: str, params: dict[str, str]) -> list[Result]:
        """The results of ``needed`` that apply to a check with ``params`` (a shared cluster)."""
        return _matching(self._by_id.get(needed, {}), params)

    def share_prerequisites(
        self, checks: dict[str, tuple[Callable[..., object], list[Any]]]
    ) -> None:
        """Judge prerequisites this process has not run (a pytest-xdist worker's share of the
        checks is not all of them): ``checks`` gives each check ID's function and the params
        of each of its results. The results so judged block as in a serial run; they are not
        this process's to report."""
        self._shared = checks

    def _judged_here(self, needed: str, params: dict[str, str]) -> list[Result]:
        """The results of ``needed`` for ``params``, judged in this process as a serial run
        would have, where another process runs them (see :meth:`share_prerequisites`)."""
        func, param_sets = self._shared.get(needed, (None, []))
        found = []
        for wanted in param_sets:
            if func is None or not _compatible(wanted, params):
                continue
            key = (needed, tuple(sorted(wanted.items())))
            if key not in self._judged:
                meta = meta_of(func)
                assert meta is not None  # collection refused checks without metadata
                roots = self.blockers(meta, wanted)
                if roots:
                    ending = judge(blocked_by(roots), "")
                    self._judged[key] = self.conclude(meta, "", wanted, ending, keep=False)
                else:
                    self._judged[key] = self.evaluate(func, wanted, keep=False)
            found.append(self._judged[key])
        return found

    def blockers(self, meta: CheckMeta, params: dict[str, str]) -> tuple[str, ...]:
        """The root causes among ``meta.needs`` that failed or errored for these params."""
        roots: list[str] = []
        for needed in meta.needs:
            found = self._prerequisites(needed, params)
            if not found and self._shared:
                found = self._judged_here(needed, params)
            for result in found:
                if result.status.unhealthy:
                    roots.append(result.id)
                elif result.status is Status.SKIP and result.blocked_by:
                    roots += result.blocked_by
        return tuple(dict.fromkeys(roots))

    def conclude(
        self,
        meta: CheckMeta,
        nodeid: str,
        params: dict[str, str],
        ending: Ending,
        keep: bool = True,
    ) -> Result:
        """Record the result of one check call that ended with ``ending`` (``keep`` False:
        only make it)."""
        remediation = ""
        if ending.status in (Status.WARN, Status.FAIL) or ending.remediation:
            template = ending.remediation or meta.remediation
            # Quoted: a remediation is a command to paste, and a name may hold `;` or `$(`.
            quoted = {k: shlex.quote(v) for k, v in params.items() if v}
            remediation = fill(template, {**self.policy.words(), **quoted})
        result = Result(
            id=meta.id,
            nodeid=nodeid,
            title=self.title(meta),
            severity=meta.severity,
            status=ending.status,
            message=ending.message.strip(),
            remediation=remediation,
            params=params,
            blocked_by=list(ending.blocked_by),
            traceback=ending.traceback,
        )
        if self.baseline is not None:
            before = self.baseline.status_of(meta.id, params)
            result.baseline = baseline_change(before, result.status.value)
        self.needs.setdefault(meta.id, meta.needs)
        if keep:
            self.adopt(result)
        return result

    def adopt(self, result: Result) -> None:
        """Take ``result`` as one of this run's (a pytest-xdist controller's, from a worker)."""
        self.results.append(result)
        names = tuple(sorted(result.params))
        shapes = self._by_id.setdefault(result.id, {})
        values = tuple(result.params[n] for n in names)
        shapes.setdefault(names, {}).setdefault(values, []).append(result)

    def evaluate(
        self, func: Callable[..., object], params: dict[str, str] | None = None, keep: bool = True
    ) -> Result:
        """Run the check ``func`` once, outside pytest, with these params: its result.

        The fixtures it may ask for are ``workstation``, ``policy`` and its params. Checks are
        tested this way, facts to verdict in memory; prerequisites are not consulted.

        >>> from datetime import UTC, datetime
        >>> from ikscheck.check import check, expect
        >>> from ikscheck.replay import ReplaySource
        >>> source = ReplaySource({"which ibmcloud": []}, Settings(), datetime.now(UTC))
        >>> session = Session(Options(), Path("."), Path("."), source, Policy())
        >>> def test_cli_found(workstation): expect(workstation.ibmcloud_path, "not found")
        >>> meta = check("ABC-001", "found", severity="low", remediation="install it")
        >>> session.evaluate(meta(test_cli_found)).status
        <Status.FAIL: 'fail'>
        """
        meta = meta_of(func)
        if meta is None:
            raise ValueError(f"{func!r} is not a check: it has no @check metadata")
        params = params or {}
        fixtures = {"workstation": self.workstation, "policy": self.policy, **params}
        wanted = inspect.signature(func).parameters
        observation.set("")
        try:
            func(**{name: fixtures[name] for name in wanted})
        except Exception as exc:
            ending = judge(exc, "", func)
        else:
            ending = judge(None, observation.get())
        name = f"{func.__name__}[{'-'.join(params.values())}]" if params else func.__name__
        return self.conclude(meta, name, params, ending, keep)

    # -- the end -----------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """Whether the run passes its gate: no fail or error, nor warn under --fail-on warn;
        under --fail-on new (new-warn), none of them new against the baseline."""
        return passes(((r.status.value, r.baseline) for r in self.results), self.options.fail_on)

    def finish(self, collect_only: bool = False) -> None:
        """Write the JSON report and the bundle (if asked)."""
        from ikscheck import reporting

        self.document = reporting.build(self)
        if self.options.report_json and not collect_only:
            reporting.write_json(self.document, self.options.report_json)
        if self.options.html_path and not collect_only:
            from ikscheck.healthreport import write_html

            write_html(self.document, self.options.html_path)
        if self.options.plan_script and not collect_only:
            self._write_plan_script(self.options.plan_script)
        if self.recorder is not None and self.options.record:
            from ikscheck.bundle import write_bundle

            self.bundle_size = write_bundle(
                self.options.record,
                self.recorder.records(),
                self.recorder.settings,
                self.evaluated_at,
            )

    def plan(self) -> list[Step]:
        """The remediation plan of the results so far: root causes, in the order to fix them."""
        from ikscheck import plan

        needs = self.needs
        if any(r.id not in needs for r in self.results):  # a controller's, from its workers
            from ikscheck.catalogue import collect

            needs = {m.id: m.needs for m in collect()} | needs
        return plan.build(self.results, needs)

    def plan_lines(self) -> list[str]:
        """The plan as the end of the run shows it: numbered steps, or that there is nothing
        to fix (nothing at all when no check ran)."""
        from ikscheck import plan

        return plan.terminal_lines(self.plan(), self.options.plan_script) if self.results else []

    def _write_plan_script(self, path: str) -> None:
        from ikscheck import __version__
        from ikscheck.planscript import write_script

        write_script(self.plan(), path, __version__, iso(self.evaluated_at))

    def header(self) -> list[str]:
        """What the terminal says before the checks run: which setup is checked."""
        if self.replay is not None:
            recorded = iso(self.replay.recorded_at)
            return [f"ikscheck: replaying the bundle {self.options.replay}, recorded {recorded}"]
        clusters = ", ".join(c or "(no current context)" for c in self.workstation.clusters())
        source = f" ({self.cluster_source})" if self.cluster_source else ""
        return [f"ikscheck: checking this workstation live; clusters{source}: {clusters}"]

    def summary_lines(self) -> list[str]:
        """One line per result that is not a pass, alike ones folded (:mod:`ikscheck.summary`)."""
        return summary.lines(self.results)

    def closing_lines(self) -> list[str]:
        """Where the outputs went, and when the summary folded results, where each is."""
        lines = []
        if self.options.report_json:
            lines.append(f"JSON report: {self.options.report_json}")
        if self.options.html_path:
            lines.append(f"HTML report: {self.options.html_path}")
        lines += summary.folded_note(self.results, self.options.report_json, self.options.html_path)
        if self.bundle_size is not None:
            lines.append(f"Bundle: {self.options.record} ({_size(self.bundle_size)})")
        if self.options.plan_script and self.results:
            lines.append(f"Plan script: {self.options.plan_script}")
        if self.baseline is not None:
            counts = count(r.baseline for r in self.results)
            said = ", ".join(f"{n} {c}" for c, n in counts.items())
            lines.append(f"Against the baseline {self.baseline.path}: {said}")
        return lines


def _matching(
    shapes: dict[tuple[str, ...], dict[tuple[str, ...], list[Result]]], params: dict[str, str]
) -> list[Result]:
    """The results among ``shapes`` whose params agree with ``params`` where both have one."""
    found: list[Result] = []
    for names, by_values in shapes.items():
        try:
            values = tuple([params[n] for n in names])
        except KeyError:  # the prerequisite has a param the dependent lacks: compare each
            found += [r for rs in by_values.values() for r in rs if _compatible(r.params, params)]
        else:  # the usual case: one lookup
            found += by_values.get(values, ())
    return found


def _compatible(prerequisite: dict[str, str], dependent: dict[str, str]) -> bool:
    """Whether a prerequisite's result applies to a dependent's params (a shared cluster...)."""
    return all(dependent.get(k, v) == v for k, v in prerequisite.items())


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count / 1024:.1f} KiB"


def parse_now(value: str | None) -> datetime | None:
    """``--now``: an ISO 8601 instant with a time zone."""
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
