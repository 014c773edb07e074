"""The check catalogue, generated from the checks' own metadata.

python -m ikscheck.catalogue > docs/checks.md

A table of every check, then each check described as ``--explain ID`` describes it (the same
sections, from :mod:`ikscheck.explain`): the two cannot disagree.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ikscheck import explain
from ikscheck.check import CheckMeta, fill, meta_of
from ikscheck.policy import Policy

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
#: A check's parameters that make one result per value (pytest parametrises them).
PARAMS = ("cluster", "plugin")


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


def described(checks_dir: Path = CHECKS_DIR) -> dict[str, explain.Explained]:
    """Every check's description (as ``--explain`` gives it), by ID, in ID order."""
    funcs = checks(checks_dir)
    metas = {i: m for i, m in ((i, meta_of(f)) for i, f in funcs.items()) if m is not None}
    return {
        check_id: explain.explained(meta, metas, _params(funcs[check_id]))
        for check_id, meta in metas.items()
    }


def explain_text(wanted: str, checks_dir: Path = CHECKS_DIR) -> str:
    """``--explain ID``'s text; a :class:`ikscheck.errors.UsageError` for an unknown ID."""
    funcs = checks(checks_dir)
    metas = {i: m for i, m in ((i, meta_of(f)) for i, f in funcs.items()) if m is not None}
    meta = explain.resolve(wanted, metas)
    return explain.text(explain.explained(meta, metas, _params(funcs[meta.id])))


def _params(func: Callable[..., object]) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(func).parameters if p in PARAMS)


def render(metas: list[CheckMeta], details: dict[str, explain.Explained] | None = None) -> str:
    """The catalogue as Markdown: the table, then each check described (``details``; by
    default, as the checks in :data:`CHECKS_DIR` describe themselves)."""
    if details is None:
        known = described()
        by_id = {m.id: m for m in metas}
        details = {
            m.id: known[m.id]
            if known.get(m.id) and _same(known[m.id], m)
            else explain.explained(m, by_id)
            for m in metas
        }
    lines = [
        "# Check catalogue",
        "",
        "Generated from the checks' metadata by `python -m ikscheck.catalogue`; do not edit.",
        "Each check is described below as `pytest checks/ --explain ID` describes it.",
        "",
        "| ID | title | severity | needs | remediation |",
        "| --- | --- | --- | --- | --- |",
    ]
    words = Policy().words()  # titles as the default policy words them
    for meta in metas:
        needs = ", ".join(meta.needs) or "-"
        title = fill(meta.title, words)
        fix = re.sub(r"\{(\w+)\}", r"<\1>", meta.remediation).replace("|", "\\|")
        lines.append(
            f"| [{meta.id}](#{_anchor(meta.id, title)}) | {title} | {meta.severity} "
            f"| {needs} | {fix} |"
        )
    text = "\n".join(lines) + "\n"
    for meta in metas:
        text += "\n" + explain.markdown(details[meta.id])
    return text


def _same(found: explain.Explained, meta: CheckMeta) -> bool:
    return found.id == meta.id and found.remediation == explain.template(meta.remediation)


def _anchor(check_id: str, title: str) -> str:
    """GitHub's anchor of the heading ``### ID: title``."""
    heading = f"{check_id}: {title}".lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def main() -> int:
    sys.stdout.write(render(collect(), described()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
