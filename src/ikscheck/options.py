"""The suite's command-line options, as data: the plugin declares them, the session reads them.

The names are a contract (DESIGN.md): CI jobs and support scripts are written against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

FAIL_ON = ("fail", "warn", "new", "new-warn")


@dataclass(frozen=True)
class Options:
    """The values of the options below for one run."""

    clusters: tuple[str, ...] = ()
    all_clusters: bool = False
    kubeconfig: str | None = None
    ibmcloud_home: str | None = None
    iam_url: str | None = None
    containers_url: str | None = None
    replay: str | None = None
    record: str | None = None
    now: str | None = None
    report_json: str | None = "reports/health.json"
    report_html: str | None = None  # default: health.html beside the JSON report
    fail_on: str = "fail"
    baseline: str | None = None
    max_skew: int | None = None
    ibmcloud: str | None = None
    kubectl: str | None = None
    plan_script: str | None = None  # the remediation plan as a shell script (never run)
    explain: str | None = None  # describe this check and exit, running nothing

    @classmethod
    def from_values(cls, get: Any) -> Options:
        """Options from ``get(dest)``, as pytest's ``config.getoption`` answers."""
        values = {spec.dest: get(spec.dest) for spec in OPTIONS}
        values["clusters"] = tuple(values.pop("cluster") or ())
        return cls(**values)

    @property
    def html_path(self) -> str | None:
        """Where ikscheck's HTML report goes: ``--report-html``, else beside the JSON report.

        >>> Options(report_json="out/gate.json").html_path
        'out/health.html'
        """
        if self.report_html:
            return self.report_html
        if self.report_json:
            return str(PurePath(self.report_json).with_name("health.html"))
        return None


@dataclass(frozen=True)
class Option:
    """One command-line option: its flag and what argparse needs to know of it."""

    flag: str
    help: str
    metavar: str | None = None
    default: Any = None
    choices: tuple[str, ...] | None = None
    repeatable: bool = False
    integer: bool = False
    flag_only: bool = False  # takes no value: on when given

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def argparse(self) -> dict[str, Any]:
        """The keyword arguments of ``addoption`` for this option."""
        found: dict[str, Any] = {"help": self.help, "dest": self.dest}
        if self.repeatable:
            found.update(action="append", default=[])
        elif self.flag_only:
            found.update(action="store_true", default=False)
        elif self.default is not None:
            found["default"] = self.default
        for name in ("metavar", "choices"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        if self.integer:
            found["type"] = int
        return found


OPTIONS: tuple[Option, ...] = (
    Option("--cluster", "cluster to check; repeatable (default: the current context's cluster)",
           "NAME_OR_ID", repeatable=True),
    Option("--all-clusters", "every cluster the IKS API lists for the account (without API "
           "access: every IKS context of the kubeconfig)", flag_only=True),
    Option("--kubeconfig",
           "kubeconfig, or a ':'-separated list (default: $KUBECONFIG, else ~/.kube/config)",
           "PATH"),
    Option("--ibmcloud-home", "home of the IBM Cloud CLI config", "DIR"),
    Option("--iam-url",
           "IAM endpoint (default: $IKSCHECK_IAM_URL, else https://iam.cloud.ibm.com)", "URL"),
    Option("--containers-url", "IKS API endpoint (default: $IKSCHECK_CONTAINERS_URL, "
           "else https://containers.cloud.ibm.com)", "URL"),
    Option("--replay", "evaluate a recorded bundle (folder or .tar.gz)", "PATH"),
    Option("--record", "also write a redacted bundle of everything gathered", "PATH"),
    Option("--now", "evaluate times at this instant "
           "(default: now; replay: the recording's time)", "ISO8601"),
    Option("--report-json", "JSON report (default: %(default)s)", "PATH",
           default="reports/health.json"),
    Option("--report-html", "ikscheck's HTML health report, rendered from the JSON model "
           "(default: health.html beside --report-json; pytest-html's --html stays yours)",
           "PATH"),
    Option("--fail-on", "lowest status that makes the run exit non-zero; error counts as fail; "
           "new, new-warn: only results new against --baseline (default: %(default)s)",
           default="fail", choices=FAIL_ON),
    Option("--baseline", "an earlier JSON report: mark each result new, unchanged or fixed",
           "PATH"),
    Option("--max-skew", "kubectl/server minor version skew allowed (default: policy, 1)", "N",
           integer=True),
    Option("--ibmcloud", "the ibmcloud to run (default: the first on PATH)", "PATH"),
    Option("--kubectl", "the kubectl to run (default: the first on PATH)", "PATH"),
    Option("--plan-script", "write the remediation plan (root causes in prerequisite order) as "
           "a POSIX shell script; ikscheck never runs it", "PATH"),
    Option("--explain", "describe the check ID (what, from which evidence, why, statuses, "
           "prerequisites, remediation) and exit; runs nothing", "ID"),
)  # fmt: skip
