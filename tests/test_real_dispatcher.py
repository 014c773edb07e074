"""KCTL-001..003 with the real Google Cloud SDK kubectl dispatcher, where the machine has one.

The dispatcher runs the ``kubectl.1.NN`` build beside it that matches the server; the
version to judge is the build it runs. Other tests use a shell stand-in of its layout; this
one runs the real thing (skipped on a machine without it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import testenv


def real_dispatcher() -> Path | None:
    """The kubectl on PATH when it is the Google Cloud SDK's dispatcher, with builds beside it."""
    found = shutil.which("kubectl", path=os.environ.get("PATH"))
    if found is None:
        return None
    target = Path(found).resolve()
    builds = list(target.parent.glob("kubectl.1.*"))
    if not builds or "dispatcher" not in testenv.kubectl_version(str(target)).git_version:
        return None
    return target


DISPATCHER = real_dispatcher()


@pytest.mark.skipif(DISPATCHER is None, reason="no Google Cloud SDK kubectl dispatcher here")
def test_the_real_dispatcher_is_judged_by_the_build_it_runs(make_workstation, run_suite) -> None:
    assert DISPATCHER is not None
    ws = make_workstation(server_minor_offset=-2)  # a server two minors below the newest build
    server_minor = ws.kubectl.minor - 2
    if not (DISPATCHER.parent / f"kubectl.1.{server_minor}").exists():
        pytest.skip(f"the dispatcher has no kubectl.1.{server_minor} build")
    (ws.bin / "kubectl").unlink()
    (ws.bin / "kubectl").symlink_to(DISPATCHER)
    run = run_suite(*ws.args, timeout=60)
    assert run.status("KCTL-001") == "pass"
    found = run.check("KCTL-002", cluster=testenv.CLUSTER)
    assert (found["status"], found["message"]) == (
        "pass",
        f"kubectl 1.{server_minor} vs server 1.{server_minor}: skew 0",
    )
    on_path = run.check("KCTL-003", cluster=testenv.CLUSTER)
    assert on_path["status"] == "pass"
    assert on_path["message"] == f"1 kubectl on PATH: {ws.bin / 'kubectl'} (1.{server_minor})"
