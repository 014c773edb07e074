"""The check catalogue, generated from the checks' own metadata.

python -m ikscheck.catalogue > docs/checks.md
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ikscheck.check import CheckMeta, fill, meta_of
from ikscheck.policy import Policy

CHECKS_DIR = Path(__file__).resolve().parent / "checks"


def checks(checks_dir: Path = CHECKS_DIR) -> dict[str, Callable[..., object]]:
    """Every check function in ``checks_dir`` by ID, in ID order (imports the modules)."""
    found: dict[str, Callable[..., object]] = {}
    for path in sorted(checks_dir.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_ikscheck_catalogue_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            meta = meta_of(value)
            if meta is not None:
                found[meta.id] = value
    return dict(sorted(found.items()))


def collect(checks_dir: Path = CHECKS_DIR) -> list[CheckMeta]:
    """The metadata of every check in ``checks_dir``, in ID order (imports the modules)."""
    return [m for m in map(meta_of, checks(checks_dir).values()) if m is not None]


def render(metas: list[CheckMeta]) -> str:
    """The catalogue as Markdown."""
    lines = [
        "# Check catalogue",
        "",
        "Generated from the checks' metadata by `python -m ikscheck.catalogue`; do not edit.",
        "",
        "| ID | title | severity | needs | remediation |",
        "| --- | --- | --- | --- | --- |",
    ]
    words = Policy().words()  # titles as the default policy words them
    for meta in metas:
        needs = ", ".join(meta.needs) or "-"
        title = fill(meta.title, words)
        fix = re.sub(r"\{(\w+)\}", r"<\1>", meta.remediation).replace("|", "\\|")
        lines.append(f"| {meta.id} | {title} | {meta.severity} | {needs} | {fix} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(render(collect()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
