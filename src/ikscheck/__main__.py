"""``python -m ikscheck [pytest options]``: the packaged checks, where there is no checkout.

    python -m ikscheck --cluster mycluster
    python -m ikscheck --replay bundle.tar.gz --report-html health.html
    python -m ikscheck merge shard-*/health.json --report-json reports/health.json
    python -m ikscheck explain KCTL-002

Every argument is pytest's (ikscheck's options among them), as ``pytest checks/`` takes them
in a checkout. The checks are the ones installed with the engine, and their node ids read
``checks/test_kctl.py::...`` as in a checkout's reports. Policy comes from ``ikscheck.toml`` in
the working directory; reports land under it (``reports/`` by default). ``merge`` merges the
JSON reports of sharded runs into one JSON and one HTML report (:mod:`ikscheck.merge`).
``explain ID`` describes a check, as ``--explain ID`` does (:mod:`ikscheck.explain`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn


def checks_dir() -> Path:
    """Where the installed checks are (``ikscheck/checks``)."""
    return Path(__file__).resolve().parent / "checks"


def pytest_args(argv: list[str]) -> list[str]:
    """pytest's arguments for a run of the packaged checks with the user's ``argv``.

    >>> args = pytest_args(["--cluster", "c1"])
    >>> args[0].startswith("--rootdir="), args[-3].endswith("checks"), args[-2:]
    (True, True, ['--cluster', 'c1'])
    """
    # Node ids relative to the package, as in a checkout; no cache written into site-packages.
    head = (
        [] if any(a.startswith("--rootdir") for a in argv) else [f"--rootdir={checks_dir().parent}"]
    )
    # `python -m ikscheck` imported the engine before pytest could mark it for rewriting:
    # nothing to rewrite there (the checks are rewritten as ever), so no warning about it.
    quiet = ["-W", "ignore:Module already imported so cannot be rewritten:pytest.PytestWarning"]
    return [*head, "-p", "no:cacheprovider", *quiet, str(checks_dir()), *argv]


def main(argv: list[str] | None = None) -> int:
    """Run the packaged checks; pytest's exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["merge"]:
        return merge_command(args[1:])
    if args[:1] == ["explain"]:
        return explain_command(args[1:])
    import pytest

    return int(pytest.main(pytest_args(args)))


def explain_command(argv: list[str]) -> int:
    """``explain ID``: describe the check, as ``--explain ID`` does, running nothing; 0, or 4
    (one line on stderr) for an unknown ID or other arguments."""
    from ikscheck.catalogue import explain_text
    from ikscheck.errors import UsageError

    if len(argv) != 1 or argv[0].startswith("-"):
        print("ERROR: usage: python -m ikscheck explain ID (e.g. KCTL-002)", file=sys.stderr)
        return 4
    try:
        text = explain_text(argv[0])
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 4
    sys.stdout.write(text)
    return 0


def merge_command(argv: list[str]) -> int:
    """``merge REPORT.json...``: one JSON and one HTML report from sharded runs' JSON reports
    (rules in :mod:`ikscheck.merge`); the merged verdict's exit code, 4 for a usage error."""
    import argparse

    from ikscheck import merge
    from ikscheck.errors import UsageError
    from ikscheck.healthreport import write_html
    from ikscheck.options import Options
    from ikscheck.reporting import write_json

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(message)

    parser = Parser(prog="python -m ikscheck merge", description=merge_command.__doc__)
    parser.add_argument("reports", nargs="+", metavar="REPORT.json")
    parser.add_argument("--report-json", default=Options.report_json, metavar="PATH")
    parser.add_argument("--report-html", metavar="PATH")
    try:
        found = parser.parse_args(argv)
        inputs = [(path, merge.read_report(path)) for path in found.reports]
        document = merge.merge(inputs)
        outputs = Options(report_json=found.report_json, report_html=found.report_html)
        html = outputs.html_path or "reports/health.html"
        try:
            write_json(document, found.report_json)
            write_html(document, html)
        except OSError as exc:
            raise UsageError(f"cannot write the report: {exc}") from None
    except UsageError as exc:
        print(f"ERROR: merge: {exc}", file=sys.stderr)
        return 4
    print(
        f"Merged {len(inputs)} reports: {len(document['checks'])} results, "
        f"{len(document['clusters'])} clusters: {document['verdict']}\n"
        f"JSON report: {found.report_json}\nHTML report: {html}"
    )
    return int(document["exit_code"])


if __name__ == "__main__":
    raise SystemExit(main())
