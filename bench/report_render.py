"""Size and render time of ikscheck's HTML report against pytest-html's, at about 6,000 results.

The results come from a live run, with ``--record``, against a test workstation with
``--clusters`` more clusters (tests/testenv.py: ``Scenario(fleet=N)``, all checked with
``--cluster``); 400 give 5,636 results and take about 3 minutes to record, since kubectl runs
per context. The bundle is kept (``--bundle``, by default under the temporary folder) and
reused when it exists, so that later runs skip the recording. One replay of it writes both
pages: ikscheck's ``health.html`` (beside ``--report-json``) and pytest-html's
``--html --self-contained-html``.

Render time, portably (no Selenium, websocket-client or Playwright is needed, nor was any
installed when this was written): each page is opened by a fresh headless Chromium
(``--headless --no-sandbox --disable-gpu``, a new profile each launch) with ``--screenshot``.
Chromium waits for the load event (all scripts run, including pytest-html's, which builds its
table rows from a JSON blob in a script at the end of the page, with no timer) and then
captures a composited frame, so style, layout and paint are in. The wall time of the same
launch on a trivial empty page (browser start-up and shutdown) is taken off.
``--virtual-time-budget`` is not used: no timer needs waiting for, and virtual time would
skew real work. Before timing, one untimed launch per page adds ``--dump-dom`` to prove that
the rows are in the DOM at that point (pytest-html's rows are not in its file; they are
counted in the dump). The three pages are launched in turn, the two reports alternating which
goes first, so that machine noise hits all alike; medians of ``--runs``.
Never used as a test assertion.

    python bench/report_render.py [--clusters 400] [--bundle PATH] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import testenv  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
PYTEST_HTML_ROW = '<tr class="collapsible" data-id='  # one per test, built by its script
IKSCHECK_ROW = ' id="r-'  # one per result (its <details> in "All results"), as written


def record(clusters: int, bundle: Path) -> None:
    """Record a live run against a test workstation with ``clusters`` more clusters."""
    partial = bundle.with_name(bundle.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    bundle.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake cloud's request log
    scenario = testenv.Scenario(fleet=clusters)
    with (
        tempfile.TemporaryDirectory(prefix="ikscheck-bench-fleet-") as root,
        testenv.workstation(Path(root), scenario) as ws,
    ):
        argv = [sys.executable, "-m", "pytest", str(REPO / "checks"), "-q"]
        argv += ["-p", "no:cacheprovider", *ws.args, "--record", str(partial)]
        argv += ["--report-json", str(Path(root) / "health.json")]
        done = subprocess.run(argv, env=ws.environ, cwd=root, capture_output=True, text=True)
    if not (partial / "manifest.json").exists():
        sys.exit(f"recording failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
    partial.rename(bundle)  # only a finished bundle is ever reused


def replay(bundle: Path, out: Path) -> tuple[Path, Path]:
    """One replay of ``bundle``: ikscheck's page and pytest-html's, both under ``out``."""
    ikscheck, pytest_html = out / "health.html", out / "pytest-html.html"
    argv = [sys.executable, "-m", "pytest", str(REPO / "checks"), "-q", "-p", "no:cacheprovider"]
    argv += ["--replay", str(bundle), "--report-json", str(out / "health.json")]
    argv += ["--html", str(pytest_html), "--self-contained-html"]
    done = subprocess.run(argv, cwd=out, capture_output=True, text=True)
    if not (ikscheck.exists() and pytest_html.exists()):
        sys.exit(f"replay wrote no reports (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return ikscheck, pytest_html


class Browser:
    """Headless Chromium launches, each with a fresh profile under ``work``."""

    def __init__(self, executable: str, work: Path) -> None:
        self.executable, self.work, self.launches = executable, work, 0

    def launch(self, page: Path, dump: bool = False) -> tuple[float, str]:
        """Open ``page`` until its screenshot is taken: the wall time, and the DOM if asked."""
        self.launches += 1
        profile = self.work / f"profile-{self.launches}"
        shot = self.work / f"shot-{self.launches}.png"
        argv = [self.executable, "--headless", "--no-sandbox", "--disable-gpu"]
        argv += [f"--user-data-dir={profile}", "--window-size=1280,800", f"--screenshot={shot}"]
        argv += ["--dump-dom"] if dump else []
        began = time.perf_counter()
        done = subprocess.run([*argv, page.as_uri()], capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - began
        if done.returncode != 0 or not shot.exists():
            sys.exit(f"{' '.join(argv)} {page} exited {done.returncode}:\n{done.stderr[-2000:]}")
        shot.unlink()
        shutil.rmtree(profile, ignore_errors=True)
        return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=400, help="more clusters to record")
    parser.add_argument("--bundle", type=Path, help="the recording, made if missing")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--browser", default=next(filter(shutil.which, BROWSERS), "chromium"))
    args = parser.parse_args()
    bundle = args.bundle or Path(tempfile.gettempdir()) / f"ikscheck-bench-fleet-{args.clusters}"
    if (bundle / "manifest.json").exists():
        print(f"bundle: {bundle} (reused)", flush=True)
    else:
        began = time.perf_counter()
        record(args.clusters, bundle)
        print(f"bundle: {bundle} (recorded in {time.perf_counter() - began:.0f} s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="ikscheck-bench-render-") as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        ikscheck, pytest_html = replay(bundle, work)
        replayed = time.perf_counter() - began
        results = len(json.loads((work / "health.json").read_text())["checks"])
        empty = work / "empty.html"
        empty.write_text("<!doctype html><title>empty</title>\n")
        pages = {"ikscheck": ikscheck, "pytest-html": pytest_html}
        sizes = {name: page.stat().st_size for name, page in pages.items()}
        print(f"results: {results} (one replay writing both reports: {replayed:.1f} s)")
        for name, size in sizes.items():
            print(f"{name + ':':13} {size:>10,} bytes = {size / 1e6:.2f} MB")
        browser = Browser(args.browser, work)
        browser.launch(empty)  # warm the browser's files in the page cache
        dom = {name: browser.launch(page, dump=True)[1] for name, page in pages.items()}
        rows = {
            "ikscheck": dom["ikscheck"].count(IKSCHECK_ROW),
            "pytest-html": dom["pytest-html"].count(PYTEST_HTML_ROW),
        }
        if rows["pytest-html"] != results or pytest_html.read_text().count(PYTEST_HTML_ROW):
            sys.exit(f"pytest-html's dumped DOM has {rows['pytest-html']} rows, not {results}")
        ours, theirs = rows["ikscheck"], rows["pytest-html"]
        print(f"rows in the DOM when shot: ikscheck {ours}, pytest-html {theirs} (by its script)")
        print(f"{args.browser}: {args.runs} launches of each page, window 1280x800", flush=True)
        times: dict[str, list[float]] = {"empty": [], "ikscheck": [], "pytest-html": []}
        for run in range(args.runs):
            order = ["ikscheck", "pytest-html"][:: 1 if run % 2 == 0 else -1]
            times["empty"].append(browser.launch(empty)[0])
            for name in order:
                times[name].append(browser.launch(pages[name])[0])
    median = {name: statistics.median(values) for name, values in times.items()}
    render = {name: median[name] - median["empty"] for name in pages}
    spread = f"{min(times['empty']):.3f}-{max(times['empty']):.3f} s"
    print(f"empty page (start-up): median {median['empty']:.3f} s  (spread {spread})")
    print(f"{'':12} {'size':>9} {'launch median':>14} {'render':>9}  launches")
    for name in pages:
        size, took = sizes[name], f"{median[name]:>12.3f} s {render[name]:>7.3f} s"
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f} s"
        print(f"{name:12} {size / 1e6:>6.2f} MB {took}  {spread}")
    print(f"results: {results}")
    print(f"size: ikscheck {sizes['ikscheck'] / 1e6:.2f} MB (target < 2 MB)")
    print(
        f"render ratio ikscheck/pytest-html: {render['ikscheck'] / render['pytest-html']:.3f}"
        " (target <= 0.25)"
    )


if __name__ == "__main__":
    main()
