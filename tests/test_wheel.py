"""Installable anywhere: the wheel carries the checks, and `python -m ikscheck` runs them.

A wheel is built from a copy of the project's sources, installed into a fresh virtual
environment (its dependencies from the configured package index), and run against a bundled
recording from a folder that holds no checkout: the verdicts are the checkout's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import testenv

BUILD_SECONDS = 600


def run(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=BUILD_SECONDS, env=env
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh virtual environment with only the built wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(testenv.REPO / name, source / name)
    shutil.copytree(
        testenv.REPO / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "--wheel-dir", str(root / "dist"), "./source"],
        root,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("ikscheck-*.whl")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    done = run([str(python), "-m", "pip", "install", "-q", str(wheel)], root)
    assert done.returncode == 0, done.stderr
    return python


def test_the_wheel_ships_the_checks_and_runs_them_like_the_checkout(
    installed: Path, tmp_path: Path, run_suite
) -> None:
    elsewhere = tmp_path / "anywhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    recording = testenv.REPO / "recordings" / "kubectl-skew"
    done = run([str(installed), "-m", "ikscheck", "--replay", str(recording), "-q"], elsewhere, env)
    assert done.returncode == 1, done.stdout + done.stderr  # the recording is unhealthy
    assert "FAIL  KCTL-002[mycluster]: kubectl 1.33 vs server 1.31: skew 2" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "warning" not in done.stdout.lower()
    report = json.loads((elsewhere / "reports" / "health.json").read_text())
    assert (elsewhere / "reports" / "health.html").is_file()
    checkout = run_suite("--replay", str(recording)).report
    assert [(c["nodeid"], c["status"], c["message"]) for c in report["checks"]] == [
        (c["nodeid"], c["status"], c["message"]) for c in checkout["checks"]
    ]
    # The engine and its checks came from the wheel, not from this checkout.
    where = run([str(installed), "-c", "import ikscheck; print(ikscheck.__file__)"], elsewhere, env)
    assert str(testenv.REPO) not in where.stdout
    assert "site-packages" in where.stdout


def test_python_m_ikscheck_lists_the_options(installed: Path, tmp_path: Path) -> None:
    done = run([str(installed), "-m", "ikscheck", "--help"], tmp_path)
    assert done.returncode == 0, done.stderr
    for option in ("--cluster", "--replay", "--record", "--report-json", "--report-html"):
        assert option in done.stdout
