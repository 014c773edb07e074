"""Bundles: --record writes one, --replay reads it; a bad bundle is one clear line."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import jsonschema
import pytest

import testenv
from ikscheck.bundle import read_manifest, write_bundle
from ikscheck.errors import EvidenceError, UsageError
from ikscheck.evidence import Command, Settings
from ikscheck.replay import ReplaySource

HEALTHY = testenv.REPO / "recordings" / "healthy"
BUNDLE_SCHEMA = json.loads((testenv.REPO / "schemas" / "bundle.schema.json").read_text())


def statuses(run) -> dict[str, str]:
    return {c["nodeid"]: c["status"] for c in run.report["checks"]}


@pytest.mark.parametrize("suffix", ["bundle", "bundle.tar.gz"])
def test_live_and_replay_give_the_same_verdicts(
    make_workstation, run_suite, tmp_path: Path, suffix: str
) -> None:
    ws = make_workstation(server_minor_offset=1, resource_group="")
    bundle = tmp_path / suffix
    live = run_suite(*ws.args, "--record", str(bundle))
    assert live.report["mode"] == "live"
    replayed = run_suite("--replay", str(bundle))
    assert replayed.report["mode"] == "replay"
    assert statuses(replayed) == statuses(live)
    assert {"warn"} <= set(statuses(live).values())
    jsonschema.validate(read_manifest(bundle), BUNDLE_SCHEMA)
    if suffix.endswith(".tar.gz"):
        with tarfile.open(bundle) as archive:
            assert archive.getnames() == ["manifest.json"]


def test_replay_evaluates_at_the_recording_time_unless_now_says(run_suite) -> None:
    recorded = read_manifest(HEALTHY)["recorded_at"]
    assert run_suite("--replay", str(HEALTHY)).report["evaluated_at"] == recorded
    later = run_suite("--replay", str(HEALTHY), "--now", "2027-01-02T03:04:05Z")
    assert later.report["evaluated_at"] == "2027-01-02T03:04:05Z"


def test_replay_never_touches_the_machine(run_suite, monkeypatch: pytest.MonkeyPatch) -> None:
    # No PATH, no home: a replay that looked at the machine would find nothing and fail.
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("HOME", "/nonexistent")
    run = run_suite("--replay", str(HEALTHY))
    # No helm was recorded: HELM-001 and HELM-002 skip, helm being optional; the cluster is
    # community Kubernetes: the OC checks skip; TOK-005 is opt-in.
    assert {n: s for n, s in statuses(run).items() if s != "pass"} == {
        "checks/test_helm.py::test_helm_runs": "skip",
        "checks/test_helm.py::test_helm_skew[mycluster]": "skip",
        "checks/test_oc.py::test_oc_runs[mycluster]": "skip",
        "checks/test_oc.py::test_oc_skew[mycluster]": "skip",
        "checks/test_oc.py::test_oauth_discovery[mycluster]": "skip",
        "checks/test_iam.py::test_cli_refresh_token": "skip",  # opt-in
    }


def test_evidence_missing_from_the_bundle_is_an_error_naming_it(run_suite, tmp_path: Path) -> None:
    manifest = read_manifest(HEALTHY)
    manifest["evidence"] = [e for e in manifest["evidence"] if not e["key"].startswith("GET ")]
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "manifest.json").write_text(json.dumps(manifest))
    found = run_suite("--replay", str(tmp_path / "partial")).check("KCTL-002")
    assert found["status"] == "error"
    assert found["message"].startswith("the bundle has no recording of GET https://127.0.0.1:")


EMPTY = {
    "schema_version": "1",
    "tool": {"name": "ikscheck", "version": "0"},
    "recorded_at": "2026-11-20T09:00:00Z",
    "settings": {"clusters": []},
    "evidence": [],
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no bundle at"),
        ("{not json", "manifest.json is not valid JSON"),
        ('{"schema_version": "9"}', "bundle schema version '9' is not supported"),
        ('{"schema_version": "1", "recorded_at": "x"}', "is malformed: $: 'tool' is a required"),
        (
            json.dumps({**EMPTY, "recorded_at": "x"}),
            "is malformed: $.recorded_at: 'x' does not match",
        ),
        (
            json.dumps({**EMPTY, "evidence": [{"key": "file /x", "kind": "file", "data": {}}]}),
            "is malformed: $.evidence[0].data: 'path' is a required property",
        ),
        (
            json.dumps({**EMPTY, "evidence": [{"key": "x", "kind": "files", "data": 1}]}),
            "is malformed: $.evidence[0].kind: 'files' is not one of",
        ),
        ("tar:garbage", "is not a readable bundle: not a gzip file"),
        ("empty-folder", "is not a bundle: it has no manifest.json"),
    ],
)
def test_a_bad_bundle_is_a_usage_error_of_one_line(
    run_suite, tmp_path: Path, content: str | None, message: str
) -> None:
    target = tmp_path / "bundle"
    if content == "tar:garbage":
        target = tmp_path / "bundle.tar.gz"
        target.write_text("garbage")
    elif content == "empty-folder":
        target.mkdir()
    elif content is not None:
        target.mkdir()
        (target / "manifest.json").write_text(content)
    run = run_suite("--replay", str(target))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in run.result.errlines if line.strip()]
    assert len(errors) == 1 and message in errors[0], errors
    assert "Traceback" not in run.result.stdout.str() + run.result.stderr.str()


def test_record_and_replay_together_is_a_usage_error(run_suite, tmp_path: Path) -> None:
    run = run_suite("--replay", str(HEALTHY), "--record", str(tmp_path / "again"))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--record and --replay cannot be combined" in run.result.stderr.str()


def test_replay_source_reads_what_write_bundle_wrote(tmp_path: Path) -> None:
    command = Command("/bin/kubectl", ("version",))
    records = {
        command.key: {
            "command": "kubectl version",
            "returncode": 0,
            "stdout": "{}",
            "stderr": "",
            "duration": 0.1,
            "error": "",
        },
        "env HOME": "/home/jane",
    }
    from datetime import UTC, datetime

    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    write_bundle(tmp_path / "b", records, Settings(clusters=("c1",)), at)
    source = ReplaySource.from_bundle(tmp_path / "b")
    assert source.run(command).stdout == "{}"
    assert source.env("HOME") == "/home/jane"
    assert source.settings.clusters == ("c1",)
    assert source.now() == at
    with pytest.raises(EvidenceError, match="no recording of `/bin/kubectl help`"):
        source.run(Command("/bin/kubectl", ("help",)))
    with pytest.raises(UsageError):
        ReplaySource.from_bundle(tmp_path / "missing")


def test_record_says_where_the_bundle_went_and_its_size(
    make_workstation, run_suite, tmp_path: Path
) -> None:
    ws = make_workstation()
    bundle = tmp_path / "ticket.tar.gz"
    run = run_suite(*ws.args, "--record", str(bundle))
    size = bundle.stat().st_size
    shown = f"{size} bytes" if size < 1024 else f"{size / 1024:.1f} KiB"
    run.result.stdout.fnmatch_lines([f"Bundle: {bundle} ({shown})"])


def test_replay_says_which_bundle_and_when_it_was_recorded(run_suite) -> None:
    recorded = read_manifest(HEALTHY)["recorded_at"]
    run = run_suite("--replay", str(HEALTHY))
    run.result.stdout.fnmatch_lines(
        [f"ikscheck: replaying the bundle {HEALTHY}, recorded {recorded}"]
    )


def test_replay_of_a_cluster_the_bundle_lacks_lists_those_it_holds(run_suite) -> None:
    run = run_suite("--replay", str(HEALTHY), "--cluster", "othercluster")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in run.result.errlines if line.strip()]
    assert errors == [
        f"ERROR: --cluster othercluster: the bundle {HEALTHY} holds no recording of it; "
        f"it holds: {testenv.CLUSTER}"
    ]


def test_replay_of_a_cluster_it_holds_checks_that_one(run_suite) -> None:
    run = run_suite("--replay", str(HEALTHY), "--cluster", testenv.CLUSTER)
    assert run.report["clusters"] == [testenv.CLUSTER]
    assert run.status("KCTL-002", cluster=testenv.CLUSTER) == "pass"


def _manifest(tmp_path: Path, text: str) -> Path:
    (tmp_path / "manifest.json").write_text(text)
    return tmp_path


def test_a_manifest_nested_too_deeply_is_a_usage_error(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: the JSON decoder's RecursionError escaped.
    with pytest.raises(UsageError, match=r"manifest\.json is nested too deeply to read"):
        read_manifest(_manifest(tmp_path, "[" * 100_000))


def test_a_manifest_nested_near_the_stack_limit_is_a_usage_error(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: JSON reads a value nested ~950 deep, then the schema
    # validator, quoting it (repr), overflows the stack. Where depends on the stack the call
    # runs on: every depth up to where JSON itself refuses.
    manifest = {"schema_version": "1", "tool": {"name": "ikscheck", "version": "0"},
                "recorded_at": "2026-11-29T03:00:00Z", "settings": {"kubeconfig": "@"},
                "evidence": []}  # fmt: skip
    for depth in range(850, 1001):
        nested = "[" * depth + "1" + "]" * depth
        path = _manifest(tmp_path, json.dumps(manifest).replace('"@"', nested))
        with pytest.raises(UsageError, match=r"manifest\.json is (malformed|nested too deeply)"):
            read_manifest(path)
