"""ikscheck's HTML health report in a real browser: headless Chromium, run as a subprocess.

What a person sees once the page's script ran (``--dump-dom``, after ``--virtual-time-budget``
lets it finish), what they see with JavaScript off, that hostile names stay text and run
nothing, that no request leaves the page, and a screenshot of each report for a person to look
at (``reports/browser/``, git-ignored). The only test module that starts a browser.

Every Chromium run gets a fresh profile and a loopback listener as its proxy (``Listener``):
a ``file://`` page is loaded without a proxy, so any connection it records is something the
page asked for. Chromium's own background requests (Google's time, account and search
services) are turned off by ``QUIET``, so that the listener hears nothing else.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import testenv
from htmltree import Node, tree
from ikscheck.healthreport import render

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (.ci/run installs Debian's chromium)"
)

RECORDINGS = ("healthy", "api-key-invalid", "hostile-name")
#: The cluster of the hostile-name recording (tests/testenv.py), as the page must show it.
HOSTILE = "<img src=x onerror=alert(1)>"
SCREENSHOTS = testenv.REPO / "reports" / "browser"
TITLE = "ikscheck health report: "
#: Chromium's own requests, off: its network time, the account check (pointed at a data: url,
#: it has no switch), the AI-mode eligibility fetch and the preconnect to the search engine.
QUIET = (
    *("--no-first-run", "--disable-background-networking", "--disable-component-update"),
    *("--disable-sync", "--disable-default-apps", "--disable-extensions"),
    "--disable-features=NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch",
    '--gaia-config-contents={"urls":{"list_accounts_url":{"url":"data:,"}}}',
)


# -- the browser ------------------------------------------------------------------------------


class Listener:
    """A loopback TCP port named as Chromium's proxy: it records each connection and closes it.

    With ``--proxy-bypass-list=<-loopback>`` even loopback goes through it; nothing goes on.
    """

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port: int = self.server.getsockname()[1]
        self.seen: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.record(conn)

    def record(self, conn: socket.socket) -> None:
        """The connection's request line (``CONNECT host:443 ...``, ``GET http://...``)."""
        with conn:
            conn.settimeout(1)
            try:
                first = conn.recv(512)
            except OSError:
                first = b""
        line = first.split(b"\r\n", 1)[0].decode("latin-1")
        self.seen.append(line or "(a connection that sent nothing)")

    def close(self) -> list[str]:
        """Stop; what was recorded, the connections still waiting to be accepted too."""
        self.done.set()
        self.thread.join(timeout=5)
        self.server.setblocking(False)
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                break
            self.record(conn)
        self.server.close()
        return self.seen


@dataclass
class Seen:
    """One page as Chromium left it: the DOM it dumped and every connection the page made."""

    html: str
    root: Node
    requests: list[str]

    def title(self) -> str:
        return self.root.find_all("title")[0].text()

    def verdict(self) -> str:
        return self.root.find_all("p", "verdict")[0].text()

    def counts(self) -> dict[str, int]:
        badges = self.root.find_all("p", "counts")[0].find_all("span", "b")
        return {b.text().split()[1]: int(b.text().split()[0]) for b in badges}

    def results(self) -> list[Node]:
        return self.root.by_id("all").results()

    def hidden(self) -> list[str]:
        """What is hidden in "All results" (the script hides only what a filter leaves out)."""
        section = self.root.by_id("all")
        return [n.attrs.get("id", n.tag) for n in section.iter() if "hidden" in n.attrs]

    def script_ran(self) -> bool:
        """The page's script shows its toolbar (status filters, search): hidden without it."""
        tools = self.root.by_id("tools")
        return "hidden" not in tools.attrs


def made_once(folder: Path, make: Callable[[Path], None]) -> Path:
    """``folder``, filled by ``make(folder)`` unless that was done: once per test session.

    Under pytest-xdist the workers share the folder (see ``shared``): the first to ask makes
    it while the others wait on its lock, so no report is built and no page opened twice.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released as the file closes
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".done").touch()
    return folder


class Browser:
    """Chromium's runs, each made once (``made_once``) and read by every test that needs it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[str, Seen] = {}

    def open(
        self, key: str, page: Path, *, script: bool = True, screenshot: Path | None = None
    ) -> Seen:
        """What Chromium made of ``page``; ``script=False``: with JavaScript off.

        ``screenshot``: where to keep the screenshot (1300 x 1600) as a test artifact.
        """
        if key not in self.seen:
            made = made_once(self.folder / key, lambda f: run_chromium(f, page, script, screenshot))
            html = (made / "dom.html").read_text(encoding="utf-8")
            builder = tree(html, strict=False)
            requests = json.loads((made / "requests.json").read_text())
            self.seen[key] = Seen(html, builder.root, requests)
        return self.seen[key]


def run_chromium(folder: Path, page: Path, script: bool, screenshot: Path | None) -> None:
    """Open ``page`` in headless Chromium: ``folder/dom.html`` (the DOM after scripts ran),
    ``folder/requests.json`` (the connections the proxy listener heard) and the screenshot."""
    profile = folder / "profile"
    if not script:
        # JavaScript off as a person turns it off (Settings, Site settings, JavaScript: "Don't
        # allow sites to use JavaScript"). --blink-settings=scriptEnabled=false turns it off too,
        # but then --dump-dom prints nothing: it serializes the page by running a script in it.
        prefs = {"profile": {"default_content_setting_values": {"javascript": 2}}}
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
    shot = folder / "screenshot.png"
    listener = Listener()
    try:
        run = subprocess.run(
            [
                *(str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu"),
                f"--user-data-dir={profile}",
                *QUIET,
                f"--proxy-server=http://127.0.0.1:{listener.port}",
                "--proxy-bypass-list=<-loopback>",
                "--virtual-time-budget=2000",
                *("--window-size=1300,1600", f"--screenshot={shot}", "--dump-dom"),
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            env={**os.environ, "HOME": str(folder)},
        )
    finally:
        requests = listener.close()
    # Chromium's stderr is noise (D-Bus, the launcher script): its exit code and stdout say.
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.lstrip().startswith("<!DOCTYPE html>"), run.stdout[:200]
    (folder / "dom.html").write_text(run.stdout, encoding="utf-8")
    (folder / "requests.json").write_text(json.dumps(requests))
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, folder / "kept.png")
        os.replace(folder / "kept.png", screenshot)  # whole, never half-written


# -- the reports ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this session's: the workers' common parent under pytest-xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return tmp_path_factory.getbasetemp().parent / "browser"
    return tmp_path_factory.mktemp("browser")


@dataclass
class Report:
    document: dict[str, Any]
    page: Path


def replay_recordings(folder: Path) -> None:
    """Replay each recording into ``folder/<name>/reports/health.{json,html}``, side by side."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")
    }
    runs = {}
    for name in RECORDINGS:
        (folder / name).mkdir()
        runs[name] = subprocess.Popen(
            [
                *(sys.executable, "-m", "pytest", str(testenv.REPO / "checks"), "-q"),
                *("-p", "no:cacheprovider", "--replay", str(testenv.REPO / "recordings" / name)),
                *("--report-json", str(folder / name / "reports" / "health.json")),
            ],
            cwd=folder / name,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        for name, run in runs.items():
            assert run.wait(timeout=300) == (0 if name == "healthy" else 1), name
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()


@pytest.fixture(scope="module")
def reports(shared: Path) -> dict[str, Report]:
    """The reports of replaying the recordings: the JSON document and the page beside it."""
    folder = made_once(shared / "runs", replay_recordings)
    found = {}
    for name in RECORDINGS:
        written = folder / name / "reports"
        document = json.loads((written / "health.json").read_text())
        found[name] = Report(document, written / "health.html")
    return found


@pytest.fixture(scope="module")
def browser(shared: Path) -> Browser:
    return Browser(shared / "chromium")


def with_script(browser: Browser, reports: dict[str, Report], name: str) -> Seen:
    return browser.open(name, reports[name].page, screenshot=SCREENSHOTS / f"{name}.png")


def without_script(browser: Browser, reports: dict[str, Report], name: str) -> Seen:
    shot = SCREENSHOTS / f"{name}-no-script.png"
    return browser.open(f"{name}-no-script", reports[name].page, script=False, screenshot=shot)


VERDICTS = {
    "healthy": "Healthy: {pass} checks passed",
    "api-key-invalid": "Unhealthy: 1 failing",
    "hostile-name": "Unhealthy: 1 failing",
}


# -- what a person sees -----------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_page_shows_the_verdict_and_the_counts_of_the_run(browser, reports, name) -> None:
    seen, document = with_script(browser, reports, name), reports[name].document
    verdict = VERDICTS[name].format(**document["summary"])
    assert seen.verdict() == verdict
    assert seen.title() == TITLE + verdict
    assert seen.counts() == document["summary"]
    assert seen.root.find_all("header", "ok" if name == "healthy" else "bad")
    problems = [c for c in document["checks"] if c["status"] in ("fail", "error", "warn")]
    assert len(seen.root.by_id("problems").find_all("article")) == len(problems)
    assert seen.requests == []


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_script_ran_and_added_its_toolbar_and_copy_buttons(browser, reports, name) -> None:
    seen = with_script(browser, reports, name)
    assert seen.script_ran()
    tools = seen.root.by_id("tools")
    boxes = [i.attrs["value"] for i in tools.find_all("input") if i.attrs["type"] == "checkbox"]
    assert boxes == ["pass", "warn", "fail", "error", "skip"]
    assert seen.root.by_id("q").attrs["type"] == "search"
    fixes = seen.root.find_all("pre", "fix")
    wrapped = seen.root.find_all("div", "fx")
    assert len(wrapped) == len(fixes) == len(seen.root.find_all("button", "copy"))
    for box in wrapped:  # the button, then the fix it copies
        assert [(k.tag, k.classes) for k in box.kids()] == [("button", ["copy"]), ("pre", ["fix"])]
    assert seen.hidden() == []  # no filter applied yet: every result shown
    assert len(seen.results()) == len(reports[name].document["checks"])


@pytest.mark.parametrize("name", RECORDINGS)
def test_with_javascript_off_every_result_is_still_there(browser, reports, name) -> None:
    seen, scripted = without_script(browser, reports, name), with_script(browser, reports, name)
    document = reports[name].document
    assert not seen.script_ran()
    assert "hidden" in seen.root.by_id("tools").attrs  # the toolbar is the script's, unseen
    assert seen.root.find_all("button") == seen.root.find_all("div", "fx") == []
    assert seen.verdict() == scripted.verdict()
    assert seen.counts() == document["summary"]
    ids = [r.attrs["id"] for r in seen.results()]
    assert len(ids) == len(set(ids)) == len(document["checks"])
    assert ids == [r.attrs["id"] for r in scripted.results()]
    assert seen.hidden() == ["tools"]
    fixes = [p.text() for p in seen.root.find_all("pre", "fix")]
    assert fixes == [p.text() for p in scripted.root.find_all("pre", "fix")]
    assert seen.requests == []


def test_a_failure_shows_its_remediation_in_a_code_block(browser, reports) -> None:
    seen = with_script(browser, reports, "api-key-invalid")
    (failed,) = [c for c in reports["api-key-invalid"].document["checks"] if c["status"] == "fail"]
    assert failed["id"] == "TOK-004"
    assert "ibmcloud iam api-key-create" in failed["remediation"]
    for where in (seen.root.by_id("p-TOK-004"), seen.root.by_id("r-TOK-004")):
        (box,) = where.find_all("div", "fx")
        button, pre = box.kids()
        assert button.attrs["aria-label"] == "Copy the remediation"
        assert [c.text() for c in pre.find_all("code")] == [failed["remediation"]]
    assert "open" in seen.root.by_id("r-TOK-004").attrs
    assert failed["message"] in seen.root.by_id("p-TOK-004").text()


# -- hostile names ----------------------------------------------------------------------------


def test_a_hostile_cluster_name_is_shown_as_text(browser, reports) -> None:
    seen = with_script(browser, reports, "hostile-name")
    assert reports["hostile-name"].document["clusters"] == [HOSTILE]
    assert "&lt;img src=x onerror=alert(1)&gt;" in seen.html
    assert "<img" not in seen.html
    assert not [n for n in seen.root.iter() if n.tag in ("img", "svg", "iframe")]
    assert not [(n.tag, a) for n in seen.root.iter() for a in n.attrs if a.startswith("on")]
    assert len(seen.root.find_all("script")) == 1  # the page's own
    header = seen.root.find_all("dl", "facts")[0].find_all("dd")[0]
    assert header.text() == HOSTILE
    groups = [h.text() for h in seen.root.by_id("all").find_all("h3")]
    assert groups[-1] == f"Cluster {HOSTILE}"
    # The problem names the cluster, as text.
    assert f"cluster {HOSTILE} is not among the clusters" in seen.root.by_id("problems").text()
    assert seen.script_ran()
    assert seen.title() == TITLE + "Unhealthy: 1 failing"


PWN_CLUSTER = "<img src=x onerror=\"document.title='pwned'\">"
PWN_MESSAGE = "</script><script>document.title='pwned2'</script>"
PWN_PLUGIN = '"><svg onload="document.title=\'pwned3\'">'
EXTERNAL = '<img src="http://example.invalid/x">'
#: Markup put into the page past the escaping, as if it had failed: the policy's turn.
INJECTED = (
    EXTERNAL,
    '<link rel="stylesheet" href="https://example.invalid/s.css">',
    '<script src="http://example.invalid/s.js"></script>',
    "<script>document.title='pwned4'</script>",
    '<img src="x" onerror="document.title=\'pwned5\'">',
)


def result(cid: str, status: str, params: dict[str, str], **more: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "nodeid": f"checks/test_x.py::test_{cid}",
        "title": f"{cid} holds",
        "severity": "high",
        "status": status,
        "message": f"observed for {cid}",
        "remediation": "",
        "params": params,
        "blocked_by": [],
        "duration": 0.01,
    } | more


@pytest.fixture(scope="module")
def pwn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A hand-built document whose payloads would change the page's title if they ran: the
    page rendered from it, the same with markup injected past the escaping, and that without
    its Content-Security-Policy (the control: there, the payloads must show)."""
    cluster = {"cluster": PWN_CLUSTER}
    checks = [
        result("CLI-001", "pass", {}),
        result(
            "KCFG-004",
            "fail",
            cluster,
            message=PWN_MESSAGE,
            remediation=f"ibmcloud ks cluster config --cluster {PWN_CLUSTER}",
        ),
        result("KCFG-005", "skip", cluster, blocked_by=["KCFG-004"]),
        result("PLG-003", "fail", {"plugin": PWN_PLUGIN}, remediation=PWN_PLUGIN),
        result("API-003", "pass", cluster, message=EXTERNAL),
    ]
    document = {
        "schema_version": "1",
        "tool": {"name": "ikscheck", "version": "0.1.0"},
        "mode": "live",
        "evaluated_at": "2026-11-28T22:26:37Z",
        "recorded_at": None,
        "verdict": "unhealthy",
        "exit_code": 1,
        "fail_on": "fail",
        "clusters": [PWN_CLUSTER],
        "environment": {
            "ibmcloud": {"path": "/usr/local/bin/ibmcloud", "version": "2.9.0"},
            "plugins": [{"name": PWN_PLUGIN, "installed_as": PWN_PLUGIN, "version": "1.0.0"}],
            "kubectl": {"path": None, "version": None},
            "clusters": [{"name": PWN_CLUSTER, "context": PWN_CLUSTER, "server_version": None}],
        },
        "summary": {"pass": 2, "warn": 0, "fail": 2, "error": 0, "skip": 1},
        "checks": checks,
    }
    folder = tmp_path_factory.mktemp("pwn")
    text = render(document)
    policy = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n')
    assert policy.search(text) and text.count("<main>") == 1
    injected = text.replace("<main>", "<main>" + "".join(INJECTED))
    pages = {
        "rendered": text,
        "injected": injected,
        "injected-without-policy": policy.sub("", injected),
    }
    for name, html in pages.items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    return {name: folder / f"{name}.html" for name in pages}


def test_payloads_in_a_document_run_nothing_and_load_nothing(browser, pwn) -> None:
    seen = browser.open("pwn", pwn["rendered"])
    assert seen.script_ran()  # scripts were on: a payload that ran would have left its trace
    assert seen.title() == TITLE + "Unhealthy: 2 failing"
    assert [n.tag for n in seen.root.iter() if n.tag in ("img", "svg", "script", "link")] == [
        "script"
    ]
    everything = seen.root.text()
    for payload in (PWN_CLUSTER, PWN_MESSAGE, PWN_PLUGIN, EXTERNAL):
        assert payload in everything
    cards = seen.root.by_id("problems").find_all("article")
    assert PWN_MESSAGE in [card.find_all("p")[1].text() for card in cards]
    fixes = seen.root.find_all("pre", "fix")
    assert len(seen.root.find_all("button", "copy")) == len(fixes) == 4  # 2 cards, 2 rows
    assert seen.requests == []


def test_the_policy_stops_markup_that_got_past_the_escaping(browser, pwn) -> None:
    seen = browser.open("pwn-injected", pwn["injected"])
    # There as elements, the escaping having been bypassed: the policy's to stop.
    assert len(seen.root.find_all("img")) == 2
    assert len(seen.root.find_all("script")) == 3  # two injected, and the page's own
    assert seen.title() == TITLE + "Unhealthy: 2 failing"
    assert seen.script_ran()  # the page's own script, allowed by its hash, still runs
    assert seen.requests == []


def test_without_the_policy_the_injected_markup_shows_itself(browser, pwn) -> None:
    """The control: the listener hears a load and the title shows a script that ran."""
    seen = browser.open("pwn-injected-without-policy", pwn["injected-without-policy"])
    assert "pwned" in seen.title()
    assert any("example.invalid" in r for r in seen.requests), seen.requests
    assert all("example.invalid" in r for r in seen.requests), seen.requests


# -- screenshots ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORDINGS)
def test_a_screenshot_of_each_report_is_kept(browser, reports, name) -> None:
    with_script(browser, reports, name)
    shot = SCREENSHOTS / f"{name}.png"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1300, 1600)  # IHDR: width, height
    assert len(data) > 10_000
    print(f"\n{shot}: {len(data):,} bytes")
