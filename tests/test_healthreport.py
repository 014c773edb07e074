"""ikscheck's own HTML health report: its structure, parsed, for real and hostile documents."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from htmltree import Node, tree
from ikscheck.healthreport import render, verdict_text, write_html

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = ("healthy", "api-key-invalid", "context-missing", "plugin-missing", "stale-login")
STATUSES = ("pass", "warn", "fail", "error", "skip")


@dataclass
class Page:
    html: str
    root: Node

    def section(self, ident: str) -> Node:
        return self.root.by_id(ident)

    def results(self) -> list[Node]:
        """The elements of "All results" that carry a result's id."""
        return self.section("all").results()

    def cards(self) -> list[Node]:
        return self.section("problems").find_all("article")

    def verdict(self) -> str:
        return self.root.find_all("p", "verdict")[0].text()

    def environment(self) -> dict[str, list[str]]:
        """Each environment row by its heading cell: the other cells' text."""
        rows = {}
        for row in self.section("environment").find_all("tr"):
            cells = [c for c in row.children if isinstance(c, Node)]
            if cells[0].attrs.get("scope") == "row":
                rows[cells[0].text()] = [c.text() for c in cells[1:]]
        return rows


def parse(text: str) -> Page:
    builder = tree(text, strict=True)
    assert builder.mismatched == []
    assert [n.tag for n in builder.stack] == ["#document"], "elements left open"
    return Page(text, builder.root)


def status_of(node: Node) -> str:
    """A result row's status: its class; a row without one is a pass."""
    return node.classes[-1] if node.classes else "pass"


# -- documents --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The JSON reports of replaying bundled recordings, run side by side."""
    folder = tmp_path_factory.mktemp("reports")
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")
    }
    runs = {
        name: subprocess.Popen(
            [
                *(sys.executable, "-m", "pytest", str(REPO / "checks"), "-q"),
                *("-p", "no:cacheprovider", "--replay", str(REPO / "recordings" / name)),
                *("--report-json", str(folder / name / "health.json")),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in RECORDINGS
    }
    for name, run in runs.items():
        assert run.wait(timeout=300) in (0, 1), name
    return {n: json.loads((folder / n / "health.json").read_text()) for n in RECORDINGS}


@pytest.fixture(scope="module")
def pages(documents: dict[str, dict[str, Any]]) -> dict[str, Page]:
    return {name: parse(render(document)) for name, document in documents.items()}


def result(cid: str, status: str, **overrides: Any) -> dict[str, Any]:
    check = {
        "id": cid,
        "nodeid": f"checks/test_x.py::test_{cid}",
        "title": f"{cid} holds",
        "severity": "high",
        "status": status,
        "message": f"observed for {cid}",
        "remediation": "" if status in ("pass", "skip") else f"fix {cid}",
        "params": {},
        "blocked_by": [],
        "duration": 0.01,
    }
    return check | overrides


def document(checks: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    counts = Counter(c["status"] for c in checks)
    bad = counts["fail"] + counts["error"]
    clusters = list(
        dict.fromkeys(c["params"]["cluster"] for c in checks if "cluster" in c["params"])
    )
    doc = {
        "schema_version": "1",
        "tool": {"name": "ikscheck", "version": "0.1.0"},
        "mode": "live",
        "evaluated_at": "2026-11-28T22:26:37Z",
        "recorded_at": None,
        "verdict": "unhealthy" if bad else "healthy",
        "exit_code": 1 if bad else 0,
        "fail_on": "fail",
        "clusters": clusters,
        "environment": {
            "ibmcloud": {"path": "/usr/local/bin/ibmcloud", "version": "2.9.0"},
            "plugins": [
                {"name": "kubernetes-service", "installed_as": None, "version": None},
                {
                    "name": "container-registry",
                    "installed_as": "container-registry",
                    "version": "1.3.11",
                },
            ],
            "kubectl": {"path": None, "version": None},
            "clusters": [{"name": c, "context": None, "server_version": None} for c in clusters],
        },
        "summary": {s: counts[s] for s in STATUSES},
        "checks": checks,
    }
    return doc | overrides


# -- the verdict and the counts ---------------------------------------------------------------


def test_a_healthy_run_says_so_and_finds_no_problems(documents, pages) -> None:
    page, summary = pages["healthy"], documents["healthy"]["summary"]
    assert page.verdict() == f"Healthy: {summary['pass']} checks passed"
    assert page.root.find_all("header", "ok")
    assert page.cards() == []
    assert "No problems found" in page.section("problems").text()


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_header_counts_each_status_as_the_summary_does(documents, pages, name) -> None:
    badges = pages[name].root.find_all("p", "counts")[0].find_all("span", "b")
    shown = {b.text().split()[1]: int(b.text().split()[0]) for b in badges}
    assert shown == documents[name]["summary"]
    for badge in badges:  # a status none has is shown muted
        status = badge.text().split()[1]
        assert badge.classes[-1] == (status if shown[status] else "zero")


def test_a_broken_run_names_its_failure_and_its_fix(documents, pages) -> None:
    page = pages["api-key-invalid"]
    assert page.verdict() == "Unhealthy: 1 failing"
    assert page.root.find_all("header", "bad")
    (card,) = page.cards()
    failed = next(c for c in documents["api-key-invalid"]["checks"] if c["status"] == "fail")
    assert card.attrs["id"] == "p-TOK-004"
    assert failed["id"] in card.text() and failed["title"] in card.text()
    assert failed["message"] in card.text()
    assert [c.text() for c in card.find_all("code") if c.text() == failed["remediation"]]
    assert "7 skipped checks wait on this" in card.text()


@pytest.mark.parametrize(
    ("healthy", "counts", "words"),
    [
        (True, {"pass": 36, "warn": 0, "fail": 0, "error": 0}, "Healthy: 36 checks passed"),
        (True, {"pass": 1, "warn": 1, "fail": 0, "error": 0}, "Healthy: 1 check passed, 1 warning"),
        (
            False,
            {"pass": 3, "warn": 1, "fail": 2, "error": 1},
            "Unhealthy: 2 failing, 1 error, 1 warning",
        ),
        (False, {"pass": 3, "warn": 2, "fail": 0, "error": 0}, "Unhealthy: 2 warnings"),
        (False, {"pass": 3, "warn": 0, "fail": 0, "error": 2}, "Unhealthy: 2 errors"),
    ],
)
def test_the_verdict_in_words(healthy, counts, words) -> None:
    assert verdict_text(healthy, counts | {"skip": 0}) == words


# -- problems ---------------------------------------------------------------------------------


def test_problems_come_fail_then_error_then_warn_each_with_its_fix() -> None:
    checks = [
        result("CLI-001", "warn", severity="critical"),
        result("CLI-002", "pass"),
        result("CLI-003", "error", severity="critical"),
        result("KCTL-001", "fail", severity="low"),
        result("KCTL-002", "skip", blocked_by=["KCTL-001"]),
        result("KCFG-001", "fail", severity="critical"),
    ]
    page = parse(render(document(checks)))
    cards = page.cards()
    assert [(status_of(c), c.attrs["id"]) for c in cards] == [
        ("fail", "p-KCFG-001"),  # by severity within a status
        ("fail", "p-KCTL-001"),
        ("error", "p-CLI-003"),
        ("warn", "p-CLI-001"),
    ]
    for card in cards:
        cid = card.attrs["id"][2:]
        assert [c.text() for c in card.find_all("pre")[0].find_all("code")] == [f"fix {cid}"]
    assert page.verdict() == "Unhealthy: 2 failing, 1 error, 1 warning"


def test_problems_of_a_real_run_come_fail_before_warn(pages) -> None:
    assert [status_of(c) for c in pages["stale-login"].cards()] == ["fail", "warn"]


def test_a_traceback_is_shown_for_an_internal_error() -> None:
    check = result("CLI-001", "error", traceback="Traceback (most recent call last):\n  boom")
    page = parse(render(document([check])))
    assert "  boom" in page.cards()[0].text()
    assert "  boom" in page.root.by_id("r-CLI-001").text()


# -- all results ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_result_appears_once_in_all_results(documents, pages, name) -> None:
    checks, rows = documents[name]["checks"], pages[name].results()
    ids = [r.attrs["id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(checks)
    shown = Counter((r.find_all("summary")[0].find_all("i")[0].text(), status_of(r)) for r in rows)
    assert shown == Counter((c["id"], c["status"]) for c in checks)


def test_result_ids_are_stable_and_name_the_params(pages) -> None:
    ids = {r.attrs["id"] for r in pages["healthy"].results()}
    assert {"r-TOK-004", "r-API-003-mycluster", "r-PLG-003-kubernetes-service"} <= ids


@pytest.mark.parametrize("name", RECORDINGS)
def test_passes_are_closed_and_the_rest_open(pages, name) -> None:
    for row in pages[name].results():
        assert row.tag == "details"
        assert ("open" in row.attrs) == (status_of(row) != "pass"), row.attrs["id"]


def test_results_are_grouped_by_cluster_plugin_and_workstation_then_area(pages) -> None:
    groups = pages["api-key-invalid"].section("all").find_all("details", "g")
    labels = [g.find_all("h3")[0].text() for g in groups]
    assert labels == [
        "This workstation",
        "Plug-in kubernetes-service",
        "Plug-in container-registry",
        "Cluster mycluster",
    ]
    assert ["open" in g.attrs for g in groups] == [True, False, False, True]
    cluster = groups[-1]
    for area in cluster.find_all("div", "a"):
        rows = [n for n in area.children if isinstance(n, Node) and n.tag == "details"]
        prefixes = {r.attrs["id"].split("-")[1] for r in rows}
        assert len(prefixes) == 1
    assert all(r.attrs["id"].endswith("-mycluster") for r in cluster.find_all("details")[1:])


NOT_APPLICABLE = (
    "r-HELM-001",
    "r-HELM-002-mycluster",
    "r-OC-001-mycluster",
    "r-OC-002-mycluster",
    "r-OC-003-mycluster",
    "r-TOK-005",
)


@pytest.mark.parametrize("name", ["api-key-invalid", "context-missing", "plugin-missing"])
def test_skips_link_to_the_results_that_block_them(documents, pages, name) -> None:
    page = pages[name]
    ids = {r.attrs["id"] for r in page.results()}
    skips = [r for r in page.results() if status_of(r) == "skip"]
    # Not applicable rather than blocked: no helm was recorded (helm is optional), and the
    # cluster is not OpenShift (unless a blocker came first: then it links to it).
    skips = [r for r in skips if r.attrs["id"] not in NOT_APPLICABLE or r.find_all("a")]
    assert skips
    for skip in skips:
        links = [a.attrs["href"] for a in skip.find_all("a")]
        assert links and all(h[0] == "#" and h[1:] in ids for h in links)
    if name == "context-missing":  # a per-cluster blocker: the same cluster's result
        assert [a.attrs["href"] for a in page.root.by_id("r-KCFG-005-mycluster").find_all("a")] == [
            "#r-KCFG-004-mycluster"
        ]
    if name == "api-key-invalid":  # an unparametrized blocker: that one
        assert [a.attrs["href"] for a in page.root.by_id("r-API-003-mycluster").find_all("a")] == [
            "#r-TOK-004"
        ]


def test_a_blocker_the_run_does_not_have_is_named_without_a_link() -> None:
    page = parse(render(document([result("API-002", "skip", blocked_by=["TOK-009"])])))
    row = page.root.by_id("r-API-002")
    assert "Root cause: TOK-009" in row.text()
    assert row.find_all("a") == []


def test_blockers_are_listed_with_commas_each_linked_when_the_run_has_it() -> None:
    checks = [result("TOK-004", "fail"), result("API-002", "skip", blocked_by=["TOK-004", "X-1"])]
    row = parse(render(document(checks))).root.by_id("r-API-002")
    assert "Root causes: TOK-004, X-1" in row.text()
    assert [(a.attrs["href"], a.text()) for a in row.find_all("a")] == [("#r-TOK-004", "TOK-004")]


# -- environment ------------------------------------------------------------------------------


def test_environment_comes_from_the_structured_fields(documents, pages) -> None:
    env = pages["healthy"].environment()
    source = documents["healthy"]["environment"]
    assert env["IBM Cloud CLI"] == [source["ibmcloud"]["version"], source["ibmcloud"]["path"]]
    assert env["kubectl"] == [source["kubectl"]["version"], source["kubectl"]["path"]]
    assert env["kubernetes-service"] == ["container-service", source["plugins"][0]["version"]]
    assert env["mycluster"] == [
        source["clusters"][0]["context"],
        source["clusters"][0]["server_version"],
    ]
    assert env["Mode"] == ["replay"]
    assert env["Recorded at"] == [documents["healthy"]["recorded_at"]]
    assert env["ikscheck"] == [documents["healthy"]["tool"]["version"]]


def test_environment_says_what_is_missing(pages) -> None:
    assert pages["plugin-missing"].environment()["kubernetes-service"] == [
        "not installed",
        "not installed",
    ]
    assert pages["context-missing"].environment()["mycluster"] == ["unavailable", "unavailable"]
    live = parse(render(document([result("CLI-001", "pass")]))).environment()
    assert live["kubectl"] == ["unavailable", "unavailable"]
    assert live["Recorded at"] == ["not recorded (live run)"]


# -- hostile input ----------------------------------------------------------------------------

HOSTILE_CLUSTER = "<img src=x onerror=alert(1)>"
HOSTILE_MESSAGE = "</script><script>alert(1)</script>"
PWN = "<img src=x onerror=\"document.title='pwned'\">"
CONTROLS = "bell\x07nul\x00esc\x1b[31mdel\x7fc1\x85bidi\u202eevil"


@pytest.fixture(scope="module")
def hostile() -> tuple[dict[str, Any], str]:
    checks = [
        result("KCFG-004", "fail", params={"cluster": HOSTILE_CLUSTER}, message=HOSTILE_MESSAGE),
        result(
            "KCFG-005",
            "skip",
            params={"cluster": HOSTILE_CLUSTER},
            blocked_by=["KCFG-004"],
            message="{{ 7*7 }}",
        ),
        result("KCFG-006", "warn", params={"cluster": HOSTILE_CLUSTER}, title="{{ 7*7 }}"),
        result("CLI-001", "pass", message="{% raw %}x{% endraw %}" + " long" * 2000),
        result("CLI-002", "error", message=CONTROLS, remediation="ibmcloud \ud800 éü 日本 🚀"),
        result("PLG-003", "fail", params={"plugin": '"><svg onload=alert(1)>'}),
        result("API-003", "pass", params={"cluster": "a.b"}),
        result("API-003", "pass", params={"cluster": "a_b"}),
        result("API-003", "pass", params={"cluster": "ctl\x01name"}),
        result("API-004", "pass", params={"cluster": PWN}),
        result('API-"><b>', "fail", title="javascript:alert(1)"),
    ]
    doc = document(checks, mode="replay", recorded_at="<i>then</i>")
    doc["environment"]["ibmcloud"]["path"] = "https://evil.example/ibmcloud"
    return doc, render(doc)


def test_hostile_values_are_text_and_nothing_breaks_out(hostile) -> None:
    _, text = hostile
    page = parse(text)  # asserts every end tag closes the element it should
    assert [n.tag for n in page.root.iter() if n.tag in ("img", "svg", "script")] == ["script"]
    assert not [(n.tag, a) for n in page.root.iter() for a in n.attrs if a.lower().startswith("on")]
    everything = page.root.text()
    assert HOSTILE_CLUSTER in everything
    assert HOSTILE_MESSAGE in everything
    assert '"><svg onload=alert(1)>' in everything
    assert "{% raw %}x{% endraw %}" in everything
    (skip,) = [r for r in page.results() if status_of(r) == "skip"]
    assert "{{ 7*7 }}" in skip.text() and "49" not in skip.text()
    warn_title = next(r for r in page.results() if status_of(r) == "warn").find_all("summary")[0]
    assert "{{ 7*7 }}" in warn_title.text() and "49" not in warn_title.text()


def test_the_one_script_is_the_one_the_policy_allows(hostile) -> None:
    _, text = hostile
    page = parse(text)
    (script,) = page.root.find_all("script")
    assert script.attrs == {}
    (policy,) = [
        m.attrs["content"]
        for m in page.root.find_all("meta")
        if m.attrs.get("http-equiv", "").lower() == "content-security-policy"
    ]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'unsafe-inline'"
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    # The policy comes before anything it governs.
    head = page.root.find_all("head")[0]
    assert [n.tag for n in head.children if isinstance(n, Node)][:2] == ["meta", "meta"]
    # No document value reaches the script: another document, the same script.
    other = parse(render(document([result("CLI-001", "pass")]))).root.find_all("script")[0]
    assert other.text() == script.text()


def test_the_page_loads_nothing_and_handles_nothing_inline(hostile) -> None:
    _, text = hostile
    page = parse(text)
    for node in page.root.iter():
        for name in ("src", "href", "action", "formaction", "srcset", "poster", "data"):
            assert name not in node.attrs or node.attrs[name].startswith("#"), (node.tag, name)
        assert node.tag not in ("link", "img", "iframe", "object", "embed", "base", "form")
    assert "style" not in {a for n in page.root.iter() for a in n.attrs}
    assert "http://" not in "".join(page.root.find_all("style")[0].text())


def test_ids_are_unique_and_safe(hostile) -> None:
    _, text = hostile
    ids = [n.attrs["id"] for n in parse(text).root.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", i) for i in ids)
    assert "r-API-003-a_b" in ids and len([i for i in ids if i.startswith("r-API-003-a")]) == 2


def test_control_characters_are_shown_not_sent(hostile, tmp_path: Path) -> None:
    doc, text = hostile
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e\ud800-\udfff]", text)
    everything = parse(text).root.text()
    assert "bell\\x07nul\\x00esc\\x1b[31mdel\\x7fc1\\x85bidi\\u202eevil" in everything
    assert "ibmcloud \\ud800 éü 日本 🚀" in everything
    assert "ctl\\x01name" in parse(text).root.find_all("dd")[0].text()  # the header's list
    written = write_html(doc, tmp_path / "deep" / "er" / "health.html")
    assert written == tmp_path / "deep" / "er" / "health.html"
    assert written.read_bytes().decode("utf-8") == text


@pytest.mark.parametrize(
    "value",
    [
        HOSTILE_CLUSTER,
        HOSTILE_MESSAGE,
        PWN,
        CONTROLS,
        "ibmcloud \ud800 éü 日本 🚀",
        "a&b 'q' \"q\"",
    ],
)
def test_a_pass_row_is_escaped_as_the_template_escapes_any_other(value: str) -> None:
    # Pass rows are written in Python (healthreport._write_passes), the others by the template.
    checks = [
        result(f"CLI-00{n}", s, title=value, message=value) for n, s in ((1, "pass"), (2, "warn"))
    ]
    text = render(document(checks))
    written = re.search(
        '<details id="r-CLI-001"><summary><i>CLI-001</i> (.*?)</summary>(.*?)</details>', text
    )
    templated = re.search(
        '<details class="warn" id="r-CLI-002" open><summary><b>warn</b> <i>CLI-002</i> (.*?) '
        "<small>high</small></summary>(.*?)\n",
        text,
    )
    assert written is not None and templated is not None
    assert written.groups() == templated.groups()
    assert value not in written.group(1)  # each value holds something to escape or to show


def test_text_taken_as_plain_is_what_neither_clean_nor_escape_changes() -> None:
    from markupsafe import escape

    from ikscheck.healthreport import _PLAIN, clean

    plain = {chr(c) for c in range(0x110000) if _PLAIN.fullmatch(chr(c))}
    assert all(escape(clean(c)) == c for c in plain)
    # Printable ASCII but the five escape replaces; anything else goes through both.
    assert plain == set(map(chr, range(0x20, 0x7F))) - set("&<>\"'")
    assert _PLAIN.fullmatch("") and not _PLAIN.fullmatch("a\nb")


def test_rendering_leaves_the_document_as_it_was(hostile) -> None:
    doc, _ = hostile
    before = copy.deepcopy(doc)
    render(doc)
    assert doc == before


# -- the module -------------------------------------------------------------------------------


def test_importing_the_module_does_not_import_jinja2() -> None:
    code = "import sys, ikscheck.healthreport; print('jinja2' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_an_unresolved_cluster_is_named_as_such() -> None:
    page = parse(render(document([result("KCFG-004", "pass", params={"cluster": ""})])))
    assert page.section("all").find_all("h3")[0].text() == "Cluster (current context)"
    assert len(page.results()) == 1


# -- a fleet ----------------------------------------------------------------------------------

PER_CLUSTER = [
    ("KCFG-004", "A context for the cluster exists and is current"),
    ("KCFG-005", "The cluster's context names existing cluster and user entries"),
    ("KCFG-006", "The cluster's server is an https://host:port URL, TLS verified"),
    ("KCFG-007", "The cluster CA is a valid, unexpired certificate"),
    ("KCFG-008", "The cluster's user has complete credentials"),
    ("KCTL-002", "kubectl is within one minor version of the cluster"),
    ("KCTL-003", "Every kubectl on PATH agrees on the minor version"),
    ("NET-001", "The cluster master answers GET /version"),
    ("TOK-001", "The cluster's OIDC id-token is valid"),
    ("TOK-002", "The cluster's OIDC refresh token is usable"),
    ("API-003", "The IKS API lists the cluster"),
    ("API-004", "The cluster is in a healthy state"),
    ("API-005", "The kubeconfig points at this cluster's master, at the version the API reports"),
    ("API-006", "The cluster's version is supported"),
    ("NET-004", "The cluster's ingress subdomain resolves"),
]


def fleet(clusters: int = 400) -> dict[str, Any]:
    """400 clusters x 15 checks; about 1 result in 20 not a pass, as in a real fleet."""
    checks = []
    for n in range(clusters):
        name = f"prod-eu-de-{n:03d}"
        for k, (cid, title) in enumerate(PER_CLUSTER):
            status = "pass"
            if (n * 15 + k) % 20 == 7:
                status = ("warn", "fail", "warn", "skip", "error")[n % 5]
            message = f"cluster {name}/c{n:017d}: {title.lower()}, as observed " + "." * 120
            checks.append(
                result(
                    cid,
                    status,
                    title=title,
                    message=message[:120],
                    params={"cluster": name},
                    remediation=f"ibmcloud ks cluster config --cluster {name}"
                    if status in ("warn", "fail", "error")
                    else "",
                    blocked_by=[PER_CLUSTER[0][0]] if status == "skip" else [],
                )
            )
    return document(checks)


def test_a_fleet_of_400_clusters_renders_under_2_mb() -> None:
    doc = fleet()
    assert len(doc["checks"]) == 6000
    text = render(doc)
    size = len(text.encode("utf-8"))
    print(f"\n6,000 results: {size:,} bytes ({doc['summary']})")
    assert size < 2_000_000
    page = parse(text)
    ids = [r.attrs["id"] for r in page.results()]
    assert len(ids) == len(set(ids)) == 6000
    assert page.root.find_all("dd")[0].text().endswith("and 392 more")
