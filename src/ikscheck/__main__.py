"""``python -m ikscheck [pytest options]``: the packaged checks, where there is no checkout.

    python -m ikscheck --cluster mycluster
    python -m ikscheck --replay bundle.tar.gz --report-html health.html

Every argument is pytest's (ikscheck's options among them), as ``pytest checks/`` takes them
in a checkout. The checks are the ones installed with the engine, and their node ids read
``checks/test_kctl.py::...`` as in a checkout's reports. Policy comes from ``ikscheck.toml`` in
the working directory; reports land under it (``reports/`` by default).
"""

from __future__ import annotations

import sys
from pathlib import Path


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
    import pytest

    return int(pytest.main(pytest_args(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
