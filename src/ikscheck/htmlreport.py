"""pytest-html's page, for those who ask for it: ID, severity, status, message, remediation.

Plain hook implementations (pytest-html calls them by name), registered by the plugin when
pytest-html is installed. Every value comes from the session's results and JSON model, escaped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ikscheck.results import Result, Status

if TYPE_CHECKING:
    from ikscheck.session import Session

# Inline, so that the report stays one self-contained file. pytest-html's own run count
# ("N tests took ...") counts pytest outcomes, not checks: the Checks line above says it.
STYLE = (
    ".ik-id,.ik-severity,.ik-status{white-space:nowrap}"
    ".ik-pass{color:#1a7f37}.ik-warn{color:#9a6700;font-weight:bold}"
    ".ik-fail,.ik-error{color:#cf222e;font-weight:bold}.ik-skip{color:#6e7781}"
    ".ik-remediation{font-family:monospace}.run-count{display:none}"
)
#: pytest-html's result categories (its filters, counts and colours) for each status, in the
#: order the filters show them. It has no "warn": its "xpassed" category, relabelled, is warn.
CATEGORIES = {
    Status.PASS: ("passed", "Passed"),
    Status.WARN: ("xpassed", "XPassed"),
    Status.FAIL: ("failed", "Failed"),
    Status.ERROR: ("error", "Error"),
    Status.SKIP: ("skipped", "Skipped"),
}
COLUMNS = ("id", "severity", "status", "message", "remediation")


def environment_table(document: dict[str, Any]) -> dict[str, str]:
    """The environment of a JSON report as the rows of a table a person reads."""
    env = document.get("environment", {})

    def shown(value: object) -> str:
        return "unavailable" if value is None else str(value)

    table = {
        "ikscheck": document["tool"]["version"],
        "Mode": document["mode"],
        "Evaluated at": document["evaluated_at"],
        "Verdict": document.get("verdict", ""),
        "IBM Cloud CLI": shown(env.get("ibmcloud", {}).get("version")),
    }
    for plugin in env.get("plugins", ()):
        version = plugin["version"]
        table[f"Plug-in {plugin['name']}"] = "not installed" if version is None else version
    table["kubectl"] = shown(env.get("kubectl", {}).get("version"))
    for cluster in env.get("clusters", ()):
        name = cluster["name"] or "(current context)"
        table[f"Cluster {name}"] = f"server {shown(cluster['server_version'])}"
    return table


class PytestHtmlHooks:
    """pytest-html's hooks for an active suite."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "ikscheck health report"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str]
    ) -> None:
        from ikscheck.reporting import summary as counts

        cells = "".join(
            f'<span class="ik-{s}">{n} {s}</span> ' for s, n in counts(self.session.results).items()
        )
        prefix.append(f"<style>{STYLE}</style><p><strong>Checks:</strong> {cells}</p>")

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="id">ID</th>')
        for offset, name in enumerate(("Severity", "Status", "Message", "Remediation"), start=2):
            cells.insert(offset, f"<th>{name}</th>")

    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        if getattr(report, "ikscheck", None) is not None:
            # The row's Message and Remediation columns say it all: no detail box under it.
            data[:] = []

    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        result = getattr(report, "ikscheck", None)
        values = (
            [result.id, result.severity, result.status.value, result.message, result.remediation]
            if result
            else [""] * len(COLUMNS)
        )
        status = values[2]
        for offset, (kind, value) in enumerate(zip(COLUMNS, values, strict=True), start=1):
            css = f"ik-{kind} ik-{status}" if kind == "status" else f"ik-{kind}"
            cells.insert(offset, f'<td class="{css}">{html.escape(value)}</td>')


def align_with_checks(report_data: Any, results: list[Result]) -> None:
    """Make pytest-html's page count and filter what ikscheck counts: its categories become
    the five statuses (a warn is not "Passed", an error not "Failed"), with their counts.

    ``report_data`` is pytest-html's ``ReportData`` (4.x), changed before it renders. A
    pytest-html of another shape is left as it is: its page stays usable, only less aligned.
    """
    outcomes = getattr(report_data, "_outcomes", None)
    tests = getattr(report_data, "data", {}).get("tests")
    if not isinstance(outcomes, dict) or not isinstance(tests, dict):
        return
    by_nodeid = {r.nodeid: r for r in results}
    counts = dict.fromkeys(CATEGORIES, 0)
    for nodeid, entries in tests.items():
        result = by_nodeid.get(nodeid)
        if result is None:
            continue
        counts[result.status] += 1
        category = CATEGORIES[result.status][1]
        for entry in entries:
            entry["result"] = category
            row = entry.get("resultsTableRow")
            if row:
                row[0] = f'<td class="col-result">{result.status.value}</td>'
    outcomes.clear()
    for status, (key, _) in CATEGORIES.items():
        outcomes[key] = {"label": status.value, "value": counts[status]}
    report_data.data["renderCollapsed"] = [key for key, _ in CATEGORIES.values()]
