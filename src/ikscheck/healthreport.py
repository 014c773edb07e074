"""ikscheck's own HTML health report, rendered from the JSON report document.

One self-contained page (``templates/health.html.j2``, with ``health.css`` and ``health.js``
inlined): a header with the verdict and the counts, the problems (fail, error, then warn) with
their remediation, every result grouped by cluster (or plug-in, or this workstation) and area,
and the environment from the document's structured fields. Nothing is loaded from anywhere.

The verdict line follows the document's ``verdict`` (judged by ``--fail-on``); the counts are
those of the results on the page:

- healthy: ``Healthy: 36 checks passed``, then ``, 1 warning`` when warnings remain;
- unhealthy: ``Unhealthy: 2 failing, 1 error, 1 warning`` (only the statuses present).

Safety: every value from the document is HTML-escaped (Jinja2 autoescape, or the same
MarkupSafe ``escape`` for the pass rows written in Python) after its control characters, lone
surrogates, non-characters and bidi overrides are shown as ``\\xNN``-style escapes; element
ids are built here from ``[A-Za-z0-9_-]`` only (a hash stands for anything else); no document
value reaches the script, whose SHA-256 is the only one the page's Content-Security-Policy
lets run.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

STATUSES = ("pass", "warn", "fail", "error", "skip")
#: Problems in the order a person should read them; ties by severity, then as they ran.
PROBLEMS = {"fail": 0, "error": 1, "warn": 2}
SEVERITIES = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
#: The areas in the order the setup guide goes, by ID prefix; others follow alphabetically.
AREAS = {
    "CLI": "IBM Cloud CLI",
    "PLG": "Plug-ins",
    "KCTL": "kubectl",
    "KCFG": "kubeconfig",
    "TOK": "Tokens",
    "CLK": "Clock",
    "NET": "Network",
    "API": "APIs",
}
#: How many clusters the header names before it says "and N more".
HEADER_CLUSTERS = 8
UNAVAILABLE = "unavailable"
NO_CLUSTER = "(current context)"

# Not valid (or not safe to show as is) in an HTML page: C0 controls other than tab, line feed
# and carriage return, DEL and C1, lone surrogates, non-characters, bidi embeddings/overrides.
_UNSHOWN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(p << 16 | 0xFFFE)}{chr(p << 16 | 0xFFFF)}" for p in range(17))
    + "]"
)
_ID_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: str) -> str:
    """Text as it may stand in a page: what HTML cannot hold is shown as an escape.

    >>> clean("a\\x00b\\u202ec")
    'a\\\\x00b\\\\u202ec'
    """
    if text.isascii() and text.isprintable():  # most text: nothing to look for
        return text
    return _UNSHOWN.sub(_escape_char, text)


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


@lru_cache(maxsize=4096)  # IDs and cluster names repeat in every row of a fleet
def _id_part(value: str) -> str:
    if _ID_PART.fullmatch(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", value)[:32].strip("_")
    return f"{readable}_{digest}" if readable else f"h{digest}"


def _params_key(params: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((_text(k), _text(v)) for k, v in params.items()))


@dataclass(slots=True)
class Row:
    """One result as the page shows it: every string as in the document (escaped later)."""

    rid: str
    id: str
    title: str
    severity: str
    status: str
    message: str
    remediation: str
    where: str
    traceback: str
    #: (blocking ID, the id of its row or "" when the run has no such result).
    blocked_by: tuple[tuple[str, str], ...] = ()
    #: How many skips name this result as their cause.
    blocks: int = 0
    #: Against --baseline: new, unchanged, fixed ("" without one).
    baseline: str = ""


@dataclass(slots=True)
class Area:
    code: str
    label: str
    rows: list[Row] = field(default_factory=list)
    #: Its rows as "All results" shows them: each run of passes as their HTML, any other
    #: result as its row, for the template to write (see :func:`_write_passes`).
    items: list[Row | Markup] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    """The results of one cluster, one plug-in, or this workstation."""

    label: str
    rank: int
    areas: dict[str, Area] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def problems(self) -> bool:
        return any(self.counts[s] for s in STATUSES if s != "pass")

    def sorted_areas(self) -> list[Area]:
        order = list(AREAS)
        return sorted(
            self.areas.values(),
            key=lambda a: (order.index(a.code), "") if a.code in AREAS else (len(order), a.code),
        )


def verdict_text(healthy: bool, counts: Mapping[str, int]) -> str:
    """The verdict in words (see the module's docstring)."""

    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    warnings = n(counts["warn"], "warning", "warnings") if counts["warn"] else ""
    if healthy:
        return ", ".join(
            filter(None, [f"Healthy: {n(counts['pass'], 'check', 'checks')} passed", warnings])
        )
    parts = [
        f"{counts['fail']} failing" if counts["fail"] else "",
        n(counts["error"], "error", "errors") if counts["error"] else "",
        warnings,
    ]
    return "Unhealthy: " + ", ".join(filter(None, parts)) if any(parts) else "Unhealthy"


def _group_of(params: Mapping[str, object]) -> tuple[int, str, str]:
    """(rank, key, label) of the group a result belongs to."""
    if "cluster" in params:
        name = _text(params["cluster"])
        return 2, f"c:{name}", f"Cluster {name or NO_CLUSTER}"
    if "plugin" in params:
        name = _text(params["plugin"])
        return 1, f"p:{name}", f"Plug-in {name}"
    return 0, "w", "This workstation"


def _where(params: Mapping[str, object]) -> str:
    if "cluster" in params:
        return f"cluster {_text(params['cluster']) or NO_CLUSTER}"
    if "plugin" in params:
        return f"plug-in {_text(params['plugin'])}"
    others = ", ".join(f"{k}={v}" for k, v in _params_key(params))
    return others or "this workstation"


def _params(check: Mapping[str, Any]) -> Mapping[str, object]:
    params = check.get("params")
    return params if isinstance(params, Mapping) else {}


def _rows(checks: Iterable[Mapping[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for check in checks:
        params = _params(check)
        key = _params_key(params)
        ident = _text(check.get("id"))
        base = "r-" + "-".join(_id_part(p) for p in (ident, *(v for _, v in key)))
        rid, n = base, 1
        while rid in seen:  # only for a document that repeats an (id, params) pair
            n += 1
            rid = f"{base}-{n}"
        seen.add(rid)
        row = Row(
            rid=rid,
            id=ident,
            title=_text(check.get("title")),
            severity=_text(check.get("severity")),
            # A status the schema does not know cannot be a pass: shown as an error.
            status=_text(check.get("status")) if check.get("status") in STATUSES else "error",
            message=_text(check.get("message")),
            remediation=_text(check.get("remediation")),
            where=_where(params),
            traceback=_text(check.get("traceback")),
            baseline=_text(check.get("baseline")),
        )
        rows.append(row)
    return rows


def _blockers(check: Mapping[str, Any]) -> list[Any]:
    blockers = check.get("blocked_by")
    return blockers if isinstance(blockers, list) else []


def _link_blockers(rows: list[Row], raw: list[Any]) -> None:
    """Point each skip's blockers at a row: same params, else unparametrized, else the first
    (a failing one first) with that ID."""
    if not any(map(_blockers, raw)):  # nothing to look up: spare indexing every result
        return
    keys = [_params_key(_params(check)) for check in raw]
    exact = {(r.id, k): r for r, k in zip(reversed(rows), reversed(keys), strict=True)}
    first = {r.id: r for r in reversed(rows)}
    first.update({r.id: r for r in reversed(rows) if r.status in PROBLEMS})
    for row, key, check in zip(rows, keys, raw, strict=True):
        links = []
        for name in map(_text, _blockers(check)):
            target = exact.get((name, key)) or exact.get((name, ())) or first.get(name)
            if target is not None and target is not row:
                target.blocks += 1
            links.append((name, target.rid if target is not None else ""))
        row.blocked_by = tuple(links)


def view(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the template shows, computed from a JSON report document."""
    raw = [c for c in document.get("checks") or [] if isinstance(c, Mapping)]
    rows = _rows(raw)
    _link_blockers(rows, raw)
    counts = dict.fromkeys(STATUSES, 0)
    groups: dict[str, Group] = {}
    for row, check in zip(rows, raw, strict=True):
        counts[row.status] += 1
        rank, key, label = _group_of(_params(check))
        group = groups.get(key)
        if group is None:  # made once a group, not (as setdefault would) once a row
            group = groups[key] = Group(label, rank)
        group.counts[row.status] += 1
        code = row.id.split("-", 1)[0]
        area = group.areas.get(code)
        if area is None:
            area = group.areas[code] = Area(code, AREAS.get(code, code))
        area.rows.append(row)
    _write_passes(a for g in groups.values() for a in g.areas.values())
    problems = sorted(
        (r for r in rows if r.status in PROBLEMS),
        key=lambda r: (PROBLEMS[r.status], SEVERITIES.get(r.severity, len(SEVERITIES))),
    )
    healthy = document.get("verdict") == "healthy"
    clusters = [_text(c) or NO_CLUSTER for c in document.get("clusters") or []]
    env = document.get("environment") or {}
    tool = document.get("tool") or {}

    def shown(value: object) -> str:
        return UNAVAILABLE if value is None else _text(value)

    def program(name: str) -> tuple[str, str]:
        found = env.get(name) or {}
        return shown(found.get("version")), shown(found.get("path"))

    plugins = [
        (
            _text(p.get("name")),
            "not installed" if p.get("installed_as") is None else _text(p["installed_as"]),
            "not installed" if p.get("version") is None else _text(p["version"]),
        )
        for p in env.get("plugins") or []
    ]
    env_clusters = [
        (
            _text(c.get("name")) or NO_CLUSTER,
            shown(c.get("context")),
            shown(c.get("server_version")),
        )
        for c in env.get("clusters") or []
    ]
    recorded = document.get("recorded_at")
    baseline = document.get("baseline")
    return {
        # --baseline: the results new or fixed since, first in the page (a gate's reason).
        "baseline": _baseline(baseline) if isinstance(baseline, Mapping) else None,
        "new": [r for r in rows if r.baseline == "new"],
        "fixed": [r for r in rows if r.baseline == "fixed"],
        "healthy": healthy,
        "verdict": verdict_text(healthy, counts),
        "counts": counts,
        "total": len(rows),
        "mode": _text(document.get("mode")),
        "evaluated_at": _text(document.get("evaluated_at")),
        "recorded_at": None if recorded is None else _text(recorded),
        "fail_on": _text(document.get("fail_on")),
        "version": _text(tool.get("version")),
        "clusters": clusters[:HEADER_CLUSTERS],
        "more_clusters": max(0, len(clusters) - HEADER_CLUSTERS),
        "problems": problems,
        "groups": sorted(groups.values(), key=lambda g: g.rank),
        "ibmcloud": program("ibmcloud"),
        "kubectl": program("kubectl"),
        "plugins": plugins,
        "env_clusters": env_clusters,
        "plan": _plan(document),
    }


def _baseline(found: Mapping[str, Any]) -> dict[str, str]:
    return {k: _text(found.get(k)) for k in ("path", "evaluated_at", "new", "unchanged", "fixed")}


def _plan(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The plan's steps and the block of shell to copy (:mod:`ikscheck.planscript`); None for a
    document without a plan (one written before plans were)."""
    raw = document.get("plan")
    if not isinstance(raw, list):
        return None
    from ikscheck.plan import Step
    from ikscheck.planscript import block

    steps = [Step.from_json(s) for s in raw if isinstance(s, Mapping)]
    return {"steps": steps, "block": block(steps), "by_hand": any(s.needs_person for s in steps)}


#: Text that :func:`clean` and MarkupSafe's ``escape`` both leave as it is: printable ASCII
#: but for the five characters ``escape`` replaces (``& < > " '``).
_PLAIN = re.compile(
    "[" + re.escape("".join(c for c in map(chr, range(0x20, 0x7F)) if c not in "&<>\"'")) + "]*"
)


def _write_passes(areas: Iterable[Area]) -> None:
    """Fill each area's items: its results in order, each run of passes written here as HTML.

    Most of a large report's rows are passes, and an f-string a row costs a fraction of the
    template's work for it (so a pass row's HTML is here, not in the template). Every value is
    escaped as the template's ``{{ value }}`` is: :func:`_finalize` (that is, :func:`clean`),
    then Jinja2's autoescape, which is MarkupSafe's ``escape``.
    """
    from markupsafe import Markup, escape  # here, not at module level: see _page

    def html(text: str) -> str:
        # Most text holds nothing that either would change: spare it both calls.
        return text if _PLAIN.fullmatch(text) else escape(clean(text))

    # IDs and titles repeat in every cluster: each is escaped once a page.
    same = cache(html)

    def passes(rows: Iterable[Row]) -> Markup:
        return Markup(
            "\n".join(
                f'<details id="{html(r.rid)}"><summary><i>{same(r.id)}</i> {same(r.title)}'
                f"</summary>{html(r.message)}</details>"
                for r in rows
            )
        )

    for area in areas:
        for is_pass, run in groupby(area.rows, key=lambda r: r.status == "pass"):
            if is_pass:
                area.items.append(passes(run))
            else:
                area.items.extend(run)


def _finalize(value: object) -> object:
    """Applied to every ``{{ value }}`` before escaping: what HTML cannot hold becomes visible.

    Markup is left alone: only this module's own style and script are marked safe.
    """
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return clean(value)
    return value


@dataclass(frozen=True, slots=True)
class _Page:
    template: jinja2.Template
    style: str
    script: str
    #: The script's CSP source, ``'sha256-...'`` of its exact text: the only script allowed.
    script_source: str


@cache
def _page() -> _Page:
    # Here, not at module level: importing the plugin stays fast.
    import base64
    from importlib import resources

    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ikscheck", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    folder = resources.files("ikscheck") / "templates"
    script = (folder / "health.js").read_text(encoding="utf-8")
    if "</script" in script.lower():  # it would end the element early, and its hash not match
        raise ValueError("templates/health.js must not contain </script")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return _Page(
        template=env.get_template("health.html.j2"),
        style=(folder / "health.css").read_text(encoding="utf-8"),
        script=script,
        script_source=f"'sha256-{digest}'",
    )


def render(document: Mapping[str, Any]) -> str:
    """The HTML health report of a JSON report document, as one self-contained page."""
    from markupsafe import Markup  # comes with Jinja2

    page = _page()
    return page.template.render(
        **view(document),
        statuses=STATUSES,
        style=Markup(page.style),
        script=Markup(page.script),
        script_source=page.script_source,
    )


def write_html(document: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Render the document to ``path`` (UTF-8), creating its folder; the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(document), encoding="utf-8")
    return target
