"""The remediation plan end to end: each bundled recording's plan in the terminal, the JSON
report and the HTML report; a live workstation with two problems; a fleet with one; and the
--plan-script script, checked by `sh -n` and shellcheck."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

import testenv
from ikscheck.plan import Step
from ikscheck.planscript import block

RECORDINGS = testenv.REPO / "recordings"
REPORT_SCHEMA = json.loads((testenv.REPO / "schemas" / "report.schema.json").read_text())
SHELLCHECK = shutil.which("shellcheck")
SH = shutil.which("sh") or "/bin/sh"  # found now: a test workstation's PATH has no sh
C = "mycluster"
CONFIG = f"ibmcloud ks cluster config --cluster {C}"
LIST = "ibmcloud ks cluster ls; ibmcloud target -c <account> -g <resource group> of the cluster"
#: Each bundled recording's plan: (command, fixes, needs_person) in order.
PLANS: dict[str, list[tuple[str, list[str], bool]]] = {
    "healthy": [],
    "openshift": [],
    "cli-missing": [
        (
            "Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli",
            ["CLI-001"],
            True,
        )
    ],
    "plugin-missing": [
        (
            "ibmcloud plugin install container-service "
            "(the Kubernetes Service plug-in; kubernetes-service and ks are its aliases)",
            ["PLG-001"],
            False,
        )
    ],
    "kubectl-skew": [
        (
            "Install kubectl 1.31: https://dl.k8s.io/release/v1.31.4/bin/linux/amd64/kubectl",
            [f"KCTL-002[{C}]"],
            True,
        )
    ],
    "context-missing": [(CONFIG, [f"KCFG-004[{C}]"], False)],
    "ca-missing": [(CONFIG, [f"KCFG-007[{C}]"], False)],
    "id-token-expired": [
        (CONFIG, [f"KCFG-008[{C}]"], False),
        ("ibmcloud login (with --sso for a federated ID)", ["TOK-003"], True),
    ],
    "stale-login": [
        (CONFIG, [f"TOK-002[{C}]"], False),
        ("ibmcloud target (any command renews the session)", ["TOK-003"], False),
    ],
    "api-key-invalid": [
        (
            "ibmcloud iam api-key-create <name> (in the account of the cluster); "
            "export IBMCLOUD_API_KEY=<the new key>",
            ["TOK-004"],
            True,
        )
    ],
    "cluster-not-found": [(LIST, [f"API-003[{C}]"], True)],
    "cluster-critical": [
        (
            f"ibmcloud ks cluster get --cluster {C} (see its state and status)",
            [f"API-004[{C}]"],
            False,
        )
    ],
    "master-moved": [(CONFIG, [f"API-005[{C}]"], False)],
    "clock-off": [
        (
            "Turn on network time: sudo timedatectl set-ntp true (Linux); "
            "automatic date and time in the system settings (macOS, Windows)",
            ["CLK-001"],
            True,
        )
    ],
    "oc-skew": [
        (
            "Install oc 4.16: https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable-4.16/"
            " (see also https://cloud.ibm.com/docs/openshift?topic=openshift-cli-install)",
            [f"OC-002[{C}]"],
            True,
        )
    ],
    "api-key-other-account": [
        # API-003 first: ACCT-001 and the API checks after it are blocked by it.
        (LIST, [f"API-003[{C}]"], True),
        (
            "ibmcloud target -c 3244a3dec846546ed2a1ad14b5c0a855; ibmcloud iam api-key-create "
            "<name>; export IBMCLOUD_API_KEY=<the new key>",
            [f"ACCT-001[{C}]"],
            True,
        ),
    ],
    "master-refuses-id-token": [
        (
            f"ibmcloud ks cluster config --cluster {C} (syncs your IAM access to the cluster's "
            "RBAC); give the API key's identity a role on the cluster: ibmcloud ks cluster ls "
            "must list it",
            [f"API-007[{C}]"],
            True,
        )
    ],
    "hostile-name": [(LIST, ["API-003[<img src=x onerror=alert(1)>]"], True)],
}


def test_every_bundled_recording_has_its_plan_asserted() -> None:
    bundled = {p.name for p in RECORDINGS.iterdir() if (p / "manifest.json").exists()}
    assert bundled == set(PLANS)


def steps_of(report: dict) -> list[tuple[str, list[str], bool]]:
    return [(s["command"], s["fixes"], s["needs_person"]) for s in report["plan"]]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_the_plan_of_each_recording(run_suite, pytester, name: str) -> None:
    run = run_suite("--replay", str(RECORDINGS / name), "--plan-script", "plan.sh")
    assert steps_of(run.report) == PLANS[name]
    jsonschema.validate(run.report, REPORT_SCHEMA)
    cluster = "<img src=x onerror=alert(1)>" if name == "hostile-name" else C
    for step in run.report["plan"]:
        assert step["clusters"] == ([cluster] if "[" in step["fixes"][0] else [])
    # The terminal numbers the same steps, after the results, before where the outputs went.
    out = run.result.outlines
    if not PLANS[name]:
        assert "Plan: nothing to fix (the plan is empty)" in out
    else:
        start = next(n for n, line in enumerate(out) if line.startswith("Plan ("))
        shown = out[start + 1 : start + 1 + len(PLANS[name])]
        for number, (line, (command, fixes, person)) in enumerate(
            zip(shown, PLANS[name], strict=True), 1
        ):
            who = "by hand: " if person else ""
            assert line == f"  {number}. {who}{command}  [fixes {', '.join(fixes)}]"
        assert out[start + 1 + len(PLANS[name])].startswith("JSON report: ")
    # The HTML report: the plan first, as one block to copy, the block the script's body.
    html = (pytester.path / "reports" / "health.html").read_text()
    main = html[html.index("<main>") :]
    assert main.index('<section id="plan">') < main.index('<section id="problems">')
    if not PLANS[name]:
        assert "Nothing to fix: the plan is empty" in main
    script = (pytester.path / "plan.sh").read_text()
    steps = [Step.from_json(s) for s in run.report["plan"]]
    assert script.endswith(block(steps))
    check_script(pytester.path / "plan.sh")  # sh -n and shellcheck


def test_the_cli_missing_and_a_kubectl_two_minors_off_cli_first_kubectl_after(
    make_workstation, run_suite, pytester
) -> None:
    make_workstation(cli=None, server_minor_offset=2)
    run = run_suite("--plan-script", "fix.sh")
    assert run.status("CLI-001") == "fail"
    assert run.status("KCTL-002", cluster=testenv.CLUSTER) == "fail"
    plan = run.report["plan"]
    assert [s["fixes"] for s in plan] == [["CLI-001"], [f"KCTL-002[{testenv.CLUSTER}]"]]
    assert plan[0]["command"].startswith("Install the IBM Cloud CLI: https://")
    assert plan[1]["command"].startswith("Install kubectl 1.")
    assert "/bin/linux/" in plan[1]["command"]  # the version, OS and architecture filled in
    assert all(s["needs_person"] for s in plan)
    assert [s["clusters"] for s in plan] == [[], [testenv.CLUSTER]]
    script = (pytester.path / "fix.sh").read_text()
    assert script.index("fixes CLI-001") < script.index("fixes KCTL-002")
    check_script(pytester.path / "fix.sh")


def test_several_clusters_with_the_same_problem_make_one_step_naming_them(
    make_workstation, run_suite, pytester
) -> None:
    make_workstation(fleet=2, server_minor_offset=2)
    run = run_suite("--all-clusters", "--plan-script", "fix.sh")
    clusters = sorted([testenv.CLUSTER, "fleet-000", "fleet-001"])
    skews = [c for c in run.report["checks"] if c["id"] == "KCTL-002"]
    assert sorted(c["params"]["cluster"] for c in skews if c["status"] == "fail") == clusters
    (step,) = [s for s in run.report["plan"] if any(f.startswith("KCTL-002") for f in s["fixes"])]
    assert sorted(step["clusters"]) == clusters
    assert sorted(step["fixes"]) == [f"KCTL-002[{c}]" for c in clusters]
    # (KCFG-004 warns for the clusters whose context is not the current one: steps of their own.)
    assert all(s["fixes"][0].startswith("KCFG-004[") for s in run.report["plan"] if s != step)
    check_script(pytester.path / "fix.sh")


def test_a_healthy_run_has_an_empty_plan_and_says_so(make_workstation, run_suite) -> None:
    make_workstation()
    run = run_suite()
    assert run.result.ret == 0
    assert run.report["plan"] == []
    run.result.stdout.fnmatch_lines(["Plan: nothing to fix (the plan is empty)"])


def test_without_plan_script_no_script_is_written(run_suite, pytester) -> None:
    run = run_suite("--replay", str(RECORDINGS / "context-missing"))
    assert run.report["plan"]
    assert not list(pytester.path.glob("*.sh"))
    assert not any(line.startswith("Plan script:") for line in run.result.outlines)


def check_script(path: Path) -> None:
    subprocess.run([SH, "-n", str(path)], check=True)
    text = path.read_text()
    assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text
    if SHELLCHECK is None:
        pytest.skip("no shellcheck on PATH (.ci/run installs Debian's shellcheck)")
    found = subprocess.run([SHELLCHECK, str(path)], capture_output=True, text=True)
    assert found.returncode == 0, found.stdout
