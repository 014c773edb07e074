"""KCFG-001..005 judged in memory: the healthy recording's kubeconfig, changed piece by piece."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import yaml

import testenv
from memory import HOME, Setup

KUBECONFIG = f"{HOME}/.kube/config"
CONTEXT = f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"
CONFIG = "ibmcloud ks cluster config --cluster mycluster"


def setup_with(doc_change=None, text: str | None = None) -> Setup:
    """The healthy recording, its kubeconfig replaced by ``text`` or changed by ``doc_change``."""
    setup = Setup()
    if text is None:
        doc = yaml.safe_load(setup.file(KUBECONFIG)["text"])
        if doc_change is not None:
            doc_change(doc)
        text = yaml.safe_dump(doc)
    setup.file(KUBECONFIG, text=text)
    return setup


def listed(setup: Setup, *paths: str) -> Setup:
    """KUBECONFIG set to ``paths``."""
    setup.records["env KUBECONFIG"] = ":".join(paths)
    return setup


def missing(setup: Setup, path: str) -> None:
    setup.file(path, exists=False, text=None, mode=None, realpath="")


# -- KCFG-001 ---------------------------------------------------------------------------------


def test_kcfg_001_passes_naming_the_files_and_where_the_list_came_from() -> None:
    found = Setup().judge("KCFG-001")
    assert (found.status, found.message) == ("pass", f"{KUBECONFIG} (from the default)")


def test_kcfg_001_fails_when_no_listed_file_exists() -> None:
    setup = Setup()
    missing(setup, KUBECONFIG)
    found = setup.judge("KCFG-001")
    assert found.status == "fail"
    assert found.message == f"no kubeconfig: {KUBECONFIG} (from the default) does not exist"
    assert found.remediation == CONFIG


def test_kcfg_001_warns_when_some_listed_files_are_missing() -> None:
    setup = listed(Setup(), "/gone/config", KUBECONFIG)
    missing(setup, "/gone/config")
    found = setup.judge("KCFG-001")
    assert found.status == "warn"
    assert found.message == (
        f"/gone/config (from KUBECONFIG) missing: kubectl skips it and reads {KUBECONFIG}"
    )
    assert found.remediation == CONFIG


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"is_dir": True, "text": None}, f"{KUBECONFIG} is a directory"),
        ({"error": "permission denied", "text": None}, f"{KUBECONFIG}: permission denied"),
    ],
    ids=["directory", "unreadable"],
)
def test_kcfg_001_fails_for_a_directory_or_an_unreadable_file(data: dict, shown: str) -> None:
    setup = Setup()
    setup.file(KUBECONFIG, **data)
    found = setup.judge("KCFG-001")
    assert (found.status, found.message) == ("fail", f"{shown} (from the default)")


def test_kcfg_001_says_when_the_option_chose_the_files() -> None:
    setup = Setup()
    setup.settings = dataclasses.replace(setup.settings, kubeconfig=KUBECONFIG)
    assert Setup.judge(setup, "KCFG-001").message == f"{KUBECONFIG} (from --kubeconfig)"


# -- KCFG-002 ---------------------------------------------------------------------------------


def test_kcfg_002_passes_for_the_recorded_kubeconfig() -> None:
    found = Setup().judge("KCFG-002")
    assert (found.status, found.message) == ("pass", f"1 valid: {KUBECONFIG}")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clusters: [\n", "line 2, column 1: while parsing a flow node"),
        ("- a\n- b\n", "top level is a list, not a mapping"),
        ("apiVersion: v2\n", "line 1, column 13: $.apiVersion: 'v1' was expected"),
        (
            "clusters:\n- name: c\n  cluster:\n    server: 5\n",
            "line 4, column 13: $.clusters[0].cluster.server: 5 is not of type 'string', 'null'",
        ),
        ("contexts:\n- context: {cluster: c}\n", "line 2, column 3: $.contexts[0]: 'name' is"),
        (
            "users:\n- name: u\n  user:\n    exec: {args: []}\n",
            "line 4, column 11: $.users[0].user.exec: 'command' is a required property",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n"
                for a, b in zip("abcdef", "bcdefg", strict=True)
            ),
            "expands to more than 200000 YAML nodes (an alias bomb?)",
        ),
    ],
    ids=["yaml", "list", "api-version", "type", "no-name", "exec-command", "alias-bomb"],
)
def test_kcfg_002_fails_naming_file_line_column_and_rule(text: str, problem: str) -> None:
    found = setup_with(text=text).judge("KCFG-002")
    assert found.status == "fail"
    assert found.message.startswith(f"{KUBECONFIG}: {problem}")
    assert found.remediation == f"Fix or re-download the file: {CONFIG}"


def test_kcfg_002_an_empty_file_is_valid_as_kubectl_reads_it() -> None:
    assert setup_with(text="").judge("KCFG-002").status == "pass"


# -- KCFG-003 ---------------------------------------------------------------------------------


def test_kcfg_003_passes_naming_the_current_context() -> None:
    found = Setup().judge("KCFG-003")
    assert (found.status, found.message) == ("pass", f"current-context {CONTEXT}")


@pytest.mark.parametrize(
    ("current", "message"),
    [
        ("", f"current-context is not set in {KUBECONFIG} (contexts: {CONTEXT})"),
        (
            "other",
            f"current-context other (set in {KUBECONFIG}) names no context (contexts: {CONTEXT})",
        ),
    ],
)
def test_kcfg_003_fails_without_a_usable_current_context(current: str, message: str) -> None:
    setup = setup_with(lambda doc: doc.update({"current-context": current}))
    found = setup.judge("KCFG-003")
    assert (found.status, found.message) == ("fail", message)
    assert found.remediation == "kubectl config use-context <context>"


# -- KCFG-004 ---------------------------------------------------------------------------------


def other_context(doc: dict) -> None:
    """A second context, made current: kubectl would talk to another cluster."""
    doc["contexts"].append({"name": "elsewhere", "context": {"cluster": "x", "user": "y"}})
    doc["current-context"] = "elsewhere"


def test_kcfg_004_passes_for_the_current_context_by_name_or_id() -> None:
    for cluster in (testenv.CLUSTER, testenv.CLUSTER_ID):
        found = Setup().judge("KCFG-004", cluster=cluster)
        assert (found.status, found.message) == ("pass", f"context {CONTEXT} (current)")


def test_kcfg_004_warns_when_the_context_is_not_current() -> None:
    found = setup_with(other_context).judge("KCFG-004", cluster=testenv.CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"context {CONTEXT} exists, but the current context is elsewhere: "
        "kubectl talks to another cluster"
    )
    assert found.remediation == f"kubectl config use-context {CONTEXT}"


def test_kcfg_004_fails_for_a_cluster_without_a_context() -> None:
    found = Setup().judge("KCFG-004", cluster="othercluster")
    assert found.status == "fail"
    assert found.message == f"no context for cluster othercluster (contexts: {CONTEXT})"
    assert found.remediation == "ibmcloud ks cluster config --cluster othercluster"


def test_kcfg_004_is_blocked_by_kcfg_003_without_any_cluster_to_look_for() -> None:
    found = Setup().judge("KCFG-004", cluster="")
    assert (found.status, found.blocked_by) == ("skip", ["KCFG-003"])


# -- KCFG-005 ---------------------------------------------------------------------------------


def test_kcfg_005_passes_naming_the_cluster_and_user() -> None:
    found = Setup().judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "pass"
    assert found.message.startswith(f"context {CONTEXT}: cluster {CONTEXT}, user user-")


def test_kcfg_005_fails_for_missing_entries() -> None:
    setup = setup_with(lambda doc: doc.update(clusters=[], users=[]))
    found = setup.judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith(
        f"context {CONTEXT} names a missing cluster {CONTEXT} and a missing user user-"
    )
    assert found.remediation == CONFIG


def test_kcfg_005_warns_about_dangling_references_in_other_contexts() -> None:
    def dangling(doc: dict) -> None:
        doc["contexts"].append({"name": "old", "context": {"cluster": "gone", "user": ""}})

    found = setup_with(dangling).judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"context {CONTEXT} is whole; other contexts name missing entries: "
        "old (cluster gone), old (user (empty))"
    )
    assert found.remediation.startswith("kubectl config delete-context <context>")


# -- KCFG-006..010 ----------------------------------------------------------------------------

CA_FILE = f"{HOME}/.bluemix/plugins/container-service/clusters/mycluster/ca.pem"


def cluster(setup_change) -> Setup:
    return setup_with(lambda doc: setup_change(doc["clusters"][0]["cluster"]))


def user(setup_change) -> Setup:
    return setup_with(lambda doc: setup_change(doc["users"][0]["user"]))


def test_kcfg_006_passes_for_an_https_server() -> None:
    found = Setup().judge("KCFG-006", cluster=testenv.CLUSTER)
    assert found.status == "pass"
    assert found.message.startswith(f"cluster {CONTEXT}: server https://127.0.0.1:")


@pytest.mark.parametrize("server", ["http://127.0.0.1:6443", "https://:6443", "https://h:x", ""])
def test_kcfg_006_fails_for_a_server_that_is_not_https_host_port(server: str) -> None:
    found = cluster(lambda c: c.update(server=server)).judge("KCFG-006", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    shown = server or "(empty)"
    assert found.message == f"cluster {CONTEXT}: server {shown} is not https://host:port"
    assert found.remediation == CONFIG


def test_kcfg_006_warns_when_tls_is_not_verified() -> None:
    setup = cluster(lambda c: c.update({"insecure-skip-tls-verify": True}))
    found = setup.judge("KCFG-006", cluster=testenv.CLUSTER)
    assert found.status == "warn"
    assert "insecure-skip-tls-verify is true" in found.message
    assert found.remediation == (
        f"kubectl config unset clusters.{CONTEXT}.insecure-skip-tls-verify"
    )


@pytest.mark.parametrize(
    ("days", "status", "shown"),
    [(400, "pass", "valid until"), (10, "warn", "expires"), (-1, "fail", "expired")],
)
def test_kcfg_007_judges_the_ca_file_by_its_expiry(days: int, status: str, shown: str) -> None:
    setup = Setup()
    not_after = setup.recorded_at + timedelta(days=days)
    setup.file(CA_FILE, text=testenv.certificate_pem(not_after))
    found = setup.judge("KCFG-007", cluster=testenv.CLUSTER)
    assert found.status == status
    assert found.message.startswith(f"cluster {CONTEXT}: CA mycluster-ca {shown} ")
    assert not_after.date().isoformat() in found.message


def test_kcfg_007_reads_certificate_authority_data_too() -> None:
    pem = testenv.certificate_pem(datetime(2030, 1, 1, tzinfo=UTC))
    data = base64.b64encode(pem.encode()).decode()
    setup = cluster(
        lambda c: (c.pop("certificate-authority"), c.update({"certificate-authority-data": data}))
    )
    found = setup.judge("KCFG-007", cluster=testenv.CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        f"cluster {CONTEXT}: CA mycluster-ca valid until 2030-01-01",
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"exists": False, "text": None}, f"the CA {CA_FILE}: does not exist"),
        ({"text": "not a certificate"}, f"the CA {CA_FILE} is not PEM"),
        (
            {"text": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
            f"the CA {CA_FILE} is PEM but not a certificate",
        ),
        (
            {"text": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
            f"the CA {CA_FILE} is not a readable certificate",
        ),
    ],
    ids=["missing", "not-pem", "not-a-certificate", "garbled"],
)
def test_kcfg_007_fails_for_a_ca_it_cannot_use(data: dict, problem: str) -> None:
    setup = Setup()
    setup.file(CA_FILE, **data)
    found = setup.judge("KCFG-007", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith(f"cluster {CONTEXT}: {problem}")
    assert found.remediation == CONFIG


def test_kcfg_007_fails_without_any_ca() -> None:
    found = cluster(lambda c: c.pop("certificate-authority")).judge(
        "KCFG-007", cluster=testenv.CLUSTER
    )
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CONTEXT} names no certificate-authority: the server cannot be verified"
    )


def test_kcfg_008_passes_for_the_oidc_provider() -> None:
    found = Setup().judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == "pass"
    assert found.message.endswith(": auth-provider oidc")


def test_kcfg_008_fails_for_an_incomplete_oidc_provider() -> None:
    setup = user(
        lambda u: [u["auth-provider"]["config"].pop(f) for f in ("refresh-token", "client-id")]
    )
    found = setup.judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith(": auth-provider oidc lacks refresh-token, client-id")


def admin(u: dict, key: bool = True) -> None:
    u.clear()
    u["client-certificate"] = "admin.pem"
    if key:
        u["client-key"] = "admin-key.pem"


@pytest.mark.parametrize(("days", "status"), [(400, "pass"), (5, "warn"), (-3, "fail")])
def test_kcfg_008_judges_an_admin_client_certificate_by_its_expiry(days: int, status: str) -> None:
    setup = user(admin)
    # A relative client-certificate resolves against the kubeconfig's own folder.
    not_after = setup.recorded_at + timedelta(days=days)
    setup.file(f"{HOME}/.kube/admin.pem", text=testenv.certificate_pem(not_after, "admin"))
    found = setup.judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == status
    assert ": client certificate admin " in found.message


def test_kcfg_008_fails_for_a_certificate_without_a_key() -> None:
    found = user(lambda u: admin(u, key=False)).judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith(": a client certificate without a client key")


@pytest.mark.parametrize(("on_path", "status"), [(True, "pass"), (False, "fail")])
def test_kcfg_008_checks_that_an_exec_plugin_is_found(on_path: bool, status: str) -> None:
    setup = user(lambda u: (u.clear(), u.update(exec={"command": "ibmcloud-token", "args": []})))
    setup.which("ibmcloud-token", *(["/usr/local/bin/ibmcloud-token"] if on_path else []))
    found = setup.judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == status
    assert found.message.endswith(
        ": exec plug-in ibmcloud-token" + ("" if on_path else " is not found")
    )


def test_kcfg_008_token_passes_and_nothing_fails() -> None:
    with_token = user(lambda u: (u.clear(), u.update(token="<redacted:sha256:0123abcd>")))
    assert with_token.judge("KCFG-008", cluster=testenv.CLUSTER).status == "pass"
    found = user(lambda u: u.clear()).judge("KCFG-008", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith(" has no credentials")


@pytest.mark.parametrize(("mode", "status"), [(0o600, "pass"), (0o644, "warn"), (0o640, "warn")])
def test_kcfg_009_warns_when_a_credentials_file_is_readable_by_others(
    mode: int, status: str
) -> None:
    setup = Setup()
    setup.file(KUBECONFIG, mode=mode)
    found = setup.judge("KCFG-009")
    assert found.status == status
    if status == "warn":
        assert found.message == (
            f"readable by group or others though holding credentials: {KUBECONFIG} ({mode:o})"
        )
        assert found.remediation == f"chmod 600 {KUBECONFIG}"


def test_kcfg_009_a_file_without_credentials_may_be_shared() -> None:
    setup = setup_with(lambda doc: doc.update(users=[]))
    setup.file(KUBECONFIG, mode=0o644)
    assert setup.judge("KCFG-009").message == "0 holding credentials, none readable by others"


def test_kcfg_010_warns_naming_each_shadowed_entry() -> None:
    setup = listed(Setup(), KUBECONFIG, "/etc/k/other")
    doc = yaml.safe_load(setup.file(KUBECONFIG)["text"])
    setup.file("/etc/k/other", text=yaml.safe_dump(doc))
    found = setup.judge("KCFG-010")
    assert found.status == "warn"
    assert found.message.startswith(
        f"shadowed by an earlier file (kubectl uses the first): cluster {CONTEXT} in /etc/k/other"
    )
    assert Setup().judge("KCFG-010").status == "pass"


def test_kcfg_009_quotes_a_path_a_shell_would_split() -> None:
    setup = Setup()
    spaced = "/tmp/ikscheck-recording/home/my configs/kube config"
    setup.file(spaced, text=setup.file(KUBECONFIG)["text"], mode=0o644, realpath=spaced)
    setup.env("KUBECONFIG", spaced)
    found = setup.judge("KCFG-009")
    assert found.status == "warn"
    assert found.remediation == f"chmod 600 '{spaced}'"
