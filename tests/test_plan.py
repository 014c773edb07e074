"""The remediation plan, from results to ordered steps (ikscheck.plan), and its shell script
(ikscheck.planscript): pure, in memory; the script checked by `sh -n` and shellcheck."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ikscheck import plan, planscript
from ikscheck.catalogue import collect
from ikscheck.plan import Step, build, command_of, terminal_lines
from ikscheck.results import Result, Status, result_key

SHELLCHECK = shutil.which("shellcheck")
needs_shellcheck = pytest.mark.skipif(
    SHELLCHECK is None, reason="no shellcheck on PATH (.ci/run installs Debian's shellcheck)"
)
NEEDS = {m.id: m.needs for m in collect()}
CONFIG = "ibmcloud ks cluster config --cluster {}"


def result(
    check_id: str,
    status: str,
    remediation: str = "",
    severity: str = "high",
    blocked_by: tuple[str, ...] = (),
    message: str = "seen",
    **params: str,
) -> Result:
    return Result(
        id=check_id,
        nodeid=f"checks/x.py::{check_id}",
        title=check_id,
        severity=severity,
        status=Status(status),
        message=message,
        remediation=remediation,
        params=dict(params),
        blocked_by=list(blocked_by),
    )


def commands(steps: list[Step]) -> list[str]:
    return [s.command for s in steps]


# -- what a step is ----------------------------------------------------------------------------


def test_a_result_key_is_the_id_and_its_params_in_brackets() -> None:
    assert result_key("KCTL-002", {"cluster": "c1"}) == "KCTL-002[c1]"
    assert result_key("PLG-003", {"plugin": "container-registry"}) == "PLG-003[container-registry]"
    assert result_key("KCFG-004", {"cluster": ""}) == "KCFG-004"  # no cluster resolved


@pytest.mark.parametrize(
    ("remediation", "runnable"),
    [
        ("ibmcloud ks cluster config --cluster mycluster", True),
        ("ibmcloud ks cluster config --cluster a; ibmcloud ks cluster config --cluster b", True),
        ("ibmcloud plugin update container-service", True),
        ("ibmcloud target (any command renews the session)", True),
        ("chmod 600 /home/u/.kube/config", True),
        ("kubectl config use-context 'a b;$(rm -rf ~)'", True),  # quoted: one harmless word
        ("kubectl config unset clusters.c1.insecure-skip-tls-verify", True),
        # a person must act: prose, a download, a name to choose, an interactive login
        ("Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli", False),
        ("Install kubectl 1.31: https://dl.k8s.io/release/v1.31.4/bin/linux/amd64/kubectl", False),
        ("Turn on network time: sudo timedatectl set-ntp true (Linux); macOS ...", False),
        ("Report the answer to IBM Cloud support (IAM's token endpoint changed shape)", False),
        ("ibmcloud login (with --sso for a federated ID)", False),
        ("ibmcloud login --sso", False),
        ("ibmcloud target -r <region> -g <resource group>", False),
        ("ibmcloud ks cluster config --cluster c1; check the network path to it", False),
        ("ibmcloud ks cluster config --cluster c1 (syncs RBAC); give the key a role: x", False),
        ("kubectl config use-context a$(id)", False),  # unquoted expansion
        ("kubectl config use-context 'open", False),  # an open quote
        ("", False),
    ],
)
def test_a_remediation_is_a_command_or_a_persons_step(remediation: str, runnable: bool) -> None:
    assert (command_of(remediation) is not None) is runnable


def test_a_trailing_remark_is_a_note_not_part_of_the_command() -> None:
    assert command_of(
        "ibmcloud plugin install container-service (the plug-in; ks is an alias)"
    ) == (
        "ibmcloud plugin install container-service",
        "the plug-in; ks is an alias",
    )


def test_every_catalogued_remediation_is_judged_and_the_obvious_ones_right() -> None:
    judged = {m.id: command_of(m.remediation) is None for m in collect()}
    assert judged["CLI-001"] and judged["KCTL-001"] and judged["CLK-001"]  # install, turn on
    assert judged["TOK-003"]  # ibmcloud login: a password prompt or a browser
    assert not judged["CLI-002"]  # ibmcloud update


# -- which results make steps, and how they merge ------------------------------------------------


def test_only_root_causes_make_steps_never_a_skip() -> None:
    steps = build(
        [
            result("CLI-001", "fail", "Install the IBM Cloud CLI: https://x", "critical"),
            result("CLI-002", "skip", blocked_by=("CLI-001",), message="blocked by CLI-001"),
            result("HELM-001", "skip", message="helm not installed; optional"),
            result("KCTL-001", "pass"),
        ],
        NEEDS,
    )
    assert steps == [Step("Install the IBM Cloud CLI: https://x", ("CLI-001",), (), True)]


def test_one_command_for_several_clusters_is_one_step_naming_them() -> None:
    steps = build(
        [result("KCFG-004", "fail", CONFIG.format(c), cluster=c) for c in ("a", "b")]
        + [result("KCFG-007", "fail", CONFIG.format("a"), cluster="a")]
        + [result("KCFG-004", "fail", CONFIG.format("c"), cluster="c")],
        NEEDS,
    )
    assert [(s.command, s.fixes, s.clusters) for s in steps] == [
        (CONFIG.format("a"), ("KCFG-004[a]", "KCFG-007[a]"), ("a",)),
        (CONFIG.format("b"), ("KCFG-004[b]",), ("b",)),
        (CONFIG.format("c"), ("KCFG-004[c]",), ("c",)),
    ]
    download = "Install kubectl 1.31: https://dl.k8s.io/release/v1.31.4/bin/linux/amd64/kubectl"
    (step,) = build([result("KCTL-002", "fail", download, cluster=c) for c in "xyz"], NEEDS)
    assert step.fixes == ("KCTL-002[x]", "KCTL-002[y]", "KCTL-002[z]")
    assert step.clusters == ("x", "y", "z") and step.needs_person


def test_what_others_are_blocked_by_comes_first_then_severity_then_id() -> None:
    steps = build(
        [
            result("PLG-004", "warn", "ibmcloud plugin update container-service", "low"),
            result("CLK-001", "fail", "Turn on network time", "medium"),
            result("API-006", "fail", "ibmcloud ks cluster master update", "medium"),
            result("KCTL-002", "fail", "Install kubectl 1.31: https://k", "high"),
            result("TOK-004", "fail", "ibmcloud iam api-key-create <name>", "high"),
            result("API-003", "skip", blocked_by=("TOK-004",)),
        ],
        NEEDS,
    )
    assert commands(steps) == [
        "ibmcloud iam api-key-create <name>",  # blocks API-003
        "Install kubectl 1.31: https://k",  # high
        "ibmcloud ks cluster master update",  # medium, API before CLK
        "Turn on network time",
        "ibmcloud plugin update container-service",  # low
    ]


def test_a_prerequisites_step_comes_before_its_dependents_step() -> None:
    # TOK-001 blocks TOK-002 and is high; KCFG-004 only warns, but TOK-001 needs it (through
    # KCFG-008 and KCFG-005): fix the context first.
    steps = build(
        [
            result("TOK-001", "fail", CONFIG.format("c1"), cluster="c1"),
            result("TOK-002", "skip", blocked_by=("TOK-001",), cluster="c1"),
            result("KCFG-004", "warn", "kubectl config use-context c1", "medium", cluster="c1"),
        ],
        NEEDS,
    )
    assert commands(steps) == ["kubectl config use-context c1", CONFIG.format("c1")]
    # Without the prerequisites (a merged report's, say): blocking first, as ever.
    assert commands(build(steps[:0] or [], {})) == []


def test_an_error_nobody_knows_the_fix_of_is_looked_into_last() -> None:
    steps = build(
        [
            result("KCTL-002", "error", message="GET https://m/version: timed out", cluster="c1"),
            result("CLI-002", "fail", "ibmcloud update", "medium"),
            result("KCFG-001", "error", CONFIG.format("c1"), "critical", message="unreadable"),
        ],
        NEEDS,
    )
    assert commands(steps) == [
        CONFIG.format("c1"),
        "ibmcloud update",
        "Find out why KCTL-002[c1] could not be evaluated: GET https://m/version: timed out",
    ]
    assert [s.needs_person for s in steps] == [False, False, True]


def test_the_plan_of_a_json_report_is_the_plan_of_its_results() -> None:
    results = [
        result("KCFG-004", "fail", CONFIG.format("a"), cluster="a"),
        result("KCFG-005", "skip", blocked_by=("KCFG-004",), cluster="a"),
        result("TOK-003", "warn", "ibmcloud target", "medium"),
    ]
    assert build([r.to_json() for r in results], NEEDS) == build(results, NEEDS)
    steps = build(results, NEEDS)
    assert [Step.from_json(s.to_json()) for s in steps] == steps


# -- the terminal --------------------------------------------------------------------------------


def test_the_terminal_numbers_the_steps_and_says_when_there_is_nothing() -> None:
    assert terminal_lines([]) == ["Plan: nothing to fix (the plan is empty)"]
    many = tuple(f"KCTL-002[c{n}]" for n in range(5))
    lines = terminal_lines(
        [Step("ibmcloud update", ("CLI-002",)), Step("Install kubectl 1.31: x", many, (), True)]
    )
    assert lines == [
        "Plan (2 steps, in this order; --plan-script PATH writes it as a shell script):",
        "  1. ibmcloud update  [fixes CLI-002]",
        "  2. by hand: Install kubectl 1.31: x  [fixes KCTL-002[c0], KCTL-002[c1], KCTL-002[c2] "
        "and 2 more]",
    ]


def test_the_terminal_says_where_the_script_went_when_one_was_written() -> None:
    steps = [Step("ibmcloud update", ("CLI-002",))]
    assert terminal_lines(steps, "out/fix.sh")[0] == (
        "Plan (1 step, in this order; written as a shell script to out/fix.sh):"
    )
    without = "Plan (1 step, in this order; --plan-script PATH writes it as a shell script):"
    assert terminal_lines(steps, None)[0] == terminal_lines(steps)[0] == without
    assert terminal_lines([], "out/fix.sh") == ["Plan: nothing to fix (the plan is empty)"]


def switches(count: int) -> list[Step]:
    """The plan of a fleet whose ``count`` clusters' contexts are not current (KCFG-004)."""
    return build(
        [
            result("KCFG-004", "warn", f"kubectl config use-context c{n}/{n}", cluster=f"c{n}")
            for n in range(count)
        ],
        NEEDS,
    )


def test_the_terminal_names_the_first_three_contexts_of_a_fleet_s_switch() -> None:
    [step] = switches(5)
    contexts = ", ".join(f"c{n}/{n}" for n in range(5))
    assert step.command.endswith(f"use-context <one of {contexts}>")  # the plan keeps them all
    assert terminal_lines([step]) == [
        "Plan (1 step, in this order; --plan-script PATH writes it as a shell script):",
        "  1. by hand: Make current the context of the cluster you work with (kubectl follows one "
        "at a time): kubectl config use-context <one of c0/0, c1/1, c2/2 and 2 more>  "
        "[fixes KCFG-004[c0], KCFG-004[c1], KCFG-004[c2] and 2 more]",
    ]
    # As do the JSON report's plan and the script.
    assert step.to_json()["command"] == step.command
    assert f"<one of {contexts}>" in planscript.script([step], "0.1.0", "2026-11-28T22:26:37Z")
    # Three or fewer: each is named.
    [three] = switches(3)
    assert terminal_lines([three])[1].endswith(
        "use-context <one of c0/0, c1/1, c2/2>  [fixes KCFG-004[c0], KCFG-004[c1], KCFG-004[c2]]"
    )


def test_a_context_name_with_angle_brackets_is_listed_whole() -> None:
    # A context is named as its user named it: "<" or ">" inside one ends no list.
    named = ["<b>/1", "a>/2", "c/3", "d/4"]
    [step] = build(
        [
            result("KCFG-004", "warn", f"kubectl config use-context {name}", cluster=str(n))
            for n, name in enumerate(named)
        ],
        NEEDS,
    )
    line = terminal_lines([step])[1]
    assert "use-context <one of <b>/1, a>/2, c/3 and 1 more>  [fixes KCFG-004[0], " in line


# -- the script ----------------------------------------------------------------------------------

HOSTILE = 'a\'b\n$(touch /tmp/pwned) `id` \\ "q" # shellcheck disable=all'


def hostile_steps() -> list[Step]:
    import shlex

    quoted = shlex.quote(HOSTILE)
    return build(
        [
            result("CLI-001", "fail", "Install the IBM Cloud CLI: https://x", "critical"),
            result("KCFG-004", "fail", f"ibmcloud ks cluster config --cluster {quoted}", **{
                "cluster": HOSTILE
            }),
            result("TOK-003", "fail", "ibmcloud login (with --sso for a federated ID)", "medium"),
            result("API-004", "fail", f"ibmcloud ks cluster get --cluster {quoted} (see its state)",
                   cluster=HOSTILE),
            result("NET-001", "error", message=f"no answer from {HOSTILE}", cluster=HOSTILE),
        ],
        NEEDS,
    )  # fmt: skip


def test_the_script_runs_the_commands_and_comments_out_what_a_person_must_do() -> None:
    steps = hostile_steps()
    text = planscript.script(steps, "0.1.0", "2026-11-28T22:26:37Z")
    lines = text.splitlines()
    assert lines[0] == "#!/bin/sh" and "set -eu" in lines
    # One line a comment: a name's line break is shown, not obeyed.
    assert "# Step 1 of 5, by hand: fixes CLI-001" in lines
    assert "#   Install the IBM Cloud CLI: https://x" in lines
    assert "#   ibmcloud login (with --sso for a federated ID)" in lines
    # No name makes a shellcheck directive: the only ones are ikscheck's own.
    directives = [line for line in lines if line.replace(" ", "").startswith("#shellcheck")]
    assert set(directives) == {planscript.LITERAL}
    for step in steps:
        found = command_of(step.command)
        if found is not None:
            assert found[0] in text  # run as is, its quoting intact
    assert planscript.script([]).endswith("set -eu\n\n# Nothing to fix: the plan is empty.\n")


def test_a_commented_step_stays_commented_whatever_its_names_hold() -> None:
    steps = hostile_steps()
    assert [s.fixes[0].split("[")[0] for s in steps] == [
        "CLI-001", "API-004", "KCFG-004", "TOK-003", "NET-001"
    ]  # fmt: skip
    text = planscript.block(steps)
    run = [line for line in text.splitlines() if line and not line.startswith("#")]
    # Only the two commands run; the name's line break is inside their quotes.
    runnable = [command_of(s.command) for s in steps if not s.needs_person]
    assert run == [line for found in runnable if found for line in found[0].splitlines()]
    assert len(runnable) == 2


@pytest.mark.parametrize("case", ["empty", "hostile", "commands"])
def test_the_script_passes_sh_n(tmp_path: Path, case: str) -> None:
    steps = {"empty": [], "hostile": hostile_steps(), "commands": [Step("ibmcloud update", ("X",))]}
    path = planscript.write_script(steps[case], tmp_path / "sub" / "plan.sh")
    assert path.stat().st_mode & 0o100
    subprocess.run(["sh", "-n", str(path)], check=True)


@needs_shellcheck
@pytest.mark.parametrize("case", ["empty", "hostile"])
def test_the_script_passes_shellcheck(tmp_path: Path, case: str) -> None:
    steps = {"empty": [], "hostile": hostile_steps()}[case]
    path = planscript.write_script(steps, tmp_path / "plan.sh")
    found = subprocess.run(
        [str(SHELLCHECK), "--shell=sh", str(path)], capture_output=True, text=True
    )
    assert found.returncode == 0, found.stdout


def test_a_plan_step_json_has_the_schemas_four_fields() -> None:
    (step,) = plan.build([result("CLI-002", "fail", "ibmcloud update", "medium")])
    assert step.to_json() == {
        "command": "ibmcloud update",
        "fixes": ["CLI-002"],
        "clusters": [],
        "needs_person": False,
    }


def test_a_fleet_s_context_switches_are_one_step_for_a_person() -> None:
    # KCFG-004 warns for every cluster whose context is not current: one switch per cluster
    # would each undo the one before.
    found = build(
        [
            result("KCFG-004", "warn", "kubectl config use-context b/222", cluster="b"),
            result("KCFG-004", "warn", "kubectl config use-context c/333", cluster="c"),
        ],
        NEEDS,
    )
    assert found == [
        Step(
            "Make current the context of the cluster you work with (kubectl follows one at a "
            "time): kubectl config use-context <one of b/222, c/333>",
            ("KCFG-004[b]", "KCFG-004[c]"),
            ("b", "c"),
            needs_person=True,
        )
    ]
    one = build([result("KCFG-004", "warn", "kubectl config use-context b/222", cluster="b")])
    assert one[0].command == "kubectl config use-context b/222" and not one[0].needs_person
