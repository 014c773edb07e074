"""pytest-html's page, for those who ask for it: ID, severity, status, message, remediation.

Plain hook implementations (pytest-html calls them by name), registered by the plugin when
pytest-html is installed. Every value comes from the session's results and JSON model, escaped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ikscheck.results import Status

if TYPE_CHECKING:
    from ikscheck.session import Session

# Inline, so that the report stays one self-contained file.
STYLE = (
    ".ik-id,.ik-severity,.ik-status{white-space:nowrap}"
    ".ik-pass{color:#1a7f37}.ik-warn{color:#9a6700;font-weight:bold}"
    ".ik-fail,.ik-error{color:#cf222e;font-weight:bold}.ik-skip{color:#6e7781}"
    ".ik-remediation{font-family:monospace}"
)
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
        result = getattr(report, "ikscheck", None)
        if result is not None and result.status is Status.SKIP:
            # pytest-html would print the skip's (path, line, reason) tuple: say it plainly.
            data[:] = [f'<div class="log">{html.escape(result.message)}</div>']

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
