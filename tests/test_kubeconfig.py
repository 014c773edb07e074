"""Tests for ikscheck.kubeconfig against the recorded real-format kubeconfigs."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ikscheck.errors import ParseError
from ikscheck.kubeconfig import (
    Cluster,
    Kubeconfig,
    KubeconfigFile,
    ca_pem,
    find_context,
    kubeconfig_paths,
    merge,
    parse_file,
    resolve_path,
)

DATA = Path(__file__).parent / "data" / "formats" / "kubeconfig"

CLUSTER_ID = "bq8r2k1d0f6mvs4ab1cg"
PEM = (DATA / "2019-cluster-config" / "ca-dal10-mycluster.pem").read_bytes()

# Where the samples would sit on a user's machine; the merge never touches the disk.
DIR_2019 = "/home/jane/.bluemix/plugins/container-service/clusters/mycluster"
PATH_2019 = f"{DIR_2019}/kube-config-dal10-mycluster.yml"
PATH_MERGED = "/home/jane/.kube/config"
PATH_ADMIN = f"/home/jane/.bluemix/plugins/container-service/clusters/mycluster-{CLUSTER_ID}-admin"
PATH_ADMIN += "/kube-config.yml"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def load(*files: tuple[str, str | None]) -> Kubeconfig:
    return merge([KubeconfigFile(path, text) for path, text in files])


def config_2019() -> Kubeconfig:
    return load((PATH_2019, sample("2019-cluster-config/kube-config-dal10-mycluster.yml")))


def config_merged() -> Kubeconfig:
    return load((PATH_MERGED, sample("merged-cluster-config.yml")))


def config_admin() -> Kubeconfig:
    return load((PATH_ADMIN, sample("admin-cluster-config.yml")))


def minimal(context: str, cluster: str, current: str = "", ca: str = "") -> str:
    """A small valid kubeconfig with one cluster, user and context."""
    lines = [
        "apiVersion: v1",
        "kind: Config",
        f"current-context: {current!r}" if current else "",
        "clusters:",
        f"- name: {cluster}",
        "  cluster:",
        "    server: https://c1.example.com:30000",
        f"    certificate-authority: {ca}" if ca else "",
        "contexts:",
        f"- name: {context}",
        "  context:",
        f"    cluster: {cluster}",
        f"    user: user-{context}",
        "users:",
        f"- name: user-{context}",
        "  user:",
        "    token: t0k3n",
    ]
    return "\n".join(line for line in lines if line) + "\n"


# -- the three samples ----------------------------------------------------------------------


def test_2019_config_relative_ca_resolves_beside_the_file() -> None:
    config = config_2019()
    cluster = config.clusters["mycluster"]
    assert cluster.certificate_authority == f"{DIR_2019}/ca-dal10-mycluster.pem"
    assert cluster.certificate_authority_data is None
    assert cluster.server == "https://c7.us-south.containers.cloud.ibm.com:27078"
    assert cluster.source == PATH_2019
    assert not cluster.insecure_skip_tls_verify
    assert config.current_context == "mycluster"
    context = config.contexts["mycluster"]
    assert (context.cluster, context.user, context.namespace) == (
        "mycluster",
        "jane.doe@example.com",
        "default",
    )
    provider = config.users["jane.doe@example.com"].auth["auth-provider"]
    assert isinstance(provider, dict)
    assert provider["name"] == "oidc"
    assert config.files == (PATH_2019,)
    assert config.shadowed == ()


def test_merged_config_absolute_ca_is_kept() -> None:
    config = config_merged()
    name = f"mycluster/{CLUSTER_ID}"
    cluster = config.clusters[name]
    assert cluster.certificate_authority == (
        f"/home/jane/.bluemix/plugins/container-service/clusters/mycluster-{CLUSTER_ID}/"
        "ca-dal10-mycluster.pem"
    )
    assert config.current_context == name
    user = config.contexts[name].user
    assert user.endswith("/iam.cloud.ibm.com-identity")
    assert user in config.users


def test_admin_config() -> None:
    config = config_admin()
    context = config.contexts[f"mycluster/{CLUSTER_ID}/admin"]
    assert context.cluster == f"mycluster/{CLUSTER_ID}"
    assert context.namespace == ""
    assert config.current_context == context.name
    cluster = config.clusters[context.cluster]
    assert cluster.certificate_authority == str(Path(PATH_ADMIN).parent / "ca-dal10-mycluster.pem")
    # Paths inside the user entry stay raw; resolve_path applies kubectl's rule to them.
    auth = config.users[context.user].auth
    assert auth["client-certificate"] == "admin.pem"
    assert resolve_path(context.source, "admin-key.pem") == str(
        Path(PATH_ADMIN).parent / "admin-key.pem"
    )


@pytest.mark.parametrize(
    ("source", "path", "expected"),
    [
        ("/k/dir/config", "ca.pem", "/k/dir/ca.pem"),
        ("/k/dir/config", "../certs/ca.pem", "/k/certs/ca.pem"),
        ("/k/dir/config", "/etc/ca.pem", "/etc/ca.pem"),
        ("/k/dir/config", "", ""),
        ("config", "ca.pem", "ca.pem"),
    ],
)
def test_resolve_path(source: str, path: str, expected: str) -> None:
    assert resolve_path(source, path) == expected


def test_ca_pem_reads_the_resolved_file() -> None:
    cluster = config_2019().clusters["mycluster"]
    asked: list[str] = []

    def read(path: str) -> bytes:
        asked.append(path)
        # Map the user's path back to the repo copy of the sample.
        return (DATA / "2019-cluster-config" / Path(path).name).read_bytes()

    assert ca_pem(cluster, read) == PEM
    assert asked == [f"{DIR_2019}/ca-dal10-mycluster.pem"]


# -- merging ------------------------------------------------------------------------------------


def test_merge_first_file_wins_and_shadowed_is_recorded() -> None:
    first = minimal("shared", "cluster-a", current="shared")
    second = minimal("shared", "cluster-b") + "current-context: other\n"
    config = load(("/one", first), ("/two", second))
    assert config.contexts["shared"].cluster == "cluster-a"
    assert config.contexts["shared"].source == "/one"
    # Distinct clusters both survive; the same-named context and user lose.
    assert set(config.clusters) == {"cluster-a", "cluster-b"}
    assert config.shadowed == (("context", "shared", "/two"), ("user", "user-shared", "/two"))
    assert config.current_context == "shared"
    assert config.files == ("/one", "/two")


def test_merge_shadowed_cluster() -> None:
    config = load(("/one", minimal("a", "same")), ("/two", minimal("b", "same", ca="/other.pem")))
    assert config.clusters["same"].source == "/one"
    assert config.clusters["same"].certificate_authority is None
    assert ("cluster", "same", "/two") in config.shadowed
    assert set(config.contexts) == {"a", "b"}


def test_current_context_from_the_first_file_that_sets_it() -> None:
    config = load(
        ("/one", minimal("a", "ca")),
        ("/two", minimal("b", "cb") + "current-context: ''\n"),
        ("/three", minimal("c", "cc", current="c")),
        ("/four", minimal("d", "cd", current="d")),
    )
    assert config.current_context == "c"


def test_missing_file_is_skipped() -> None:
    config = load(
        ("/gone", None), (PATH_2019, sample("2019-cluster-config/kube-config-dal10-mycluster.yml"))
    )
    assert config.files == (PATH_2019,)
    assert config.current_context == "mycluster"
    assert list(config.clusters) == ["mycluster"]


def test_no_files_gives_an_empty_config() -> None:
    config = load(("/gone", None))
    assert (config.files, dict(config.contexts), config.current_context) == ((), {}, "")
    assert find_context(config, None) is None


def test_merge_of_the_samples_keeps_all_contexts() -> None:
    config = load(
        (PATH_MERGED, sample("merged-cluster-config.yml")),
        (PATH_2019, sample("2019-cluster-config/kube-config-dal10-mycluster.yml")),
        (PATH_ADMIN, sample("admin-cluster-config.yml")),
    )
    assert config.current_context == f"mycluster/{CLUSTER_ID}"
    assert set(config.contexts) == {
        "mycluster",
        f"mycluster/{CLUSTER_ID}",
        f"mycluster/{CLUSTER_ID}/admin",
    }
    # The admin file's cluster entry has the same name as the merged one's, and loses.
    assert config.shadowed == (("cluster", f"mycluster/{CLUSTER_ID}", PATH_ADMIN),)
    assert config.clusters[f"mycluster/{CLUSTER_ID}"].source == PATH_MERGED


def test_merge_skips_malformed_entries() -> None:
    text = (
        "clusters:\n"
        "- cluster: {server: https://h:1}\n"  # no name
        "- name: ''\n"
        "  cluster: {server: https://h:2}\n"  # empty name
        "- name: listy\n"
        "  cluster: [1, 2]\n"  # wrong type
        "- name: badserver\n"
        "  cluster: {server: 443}\n"  # wrong field type
        "- 42\n"
        "- name: ok\n"
        "  cluster: {server: https://h:3}\n"
        "- name: bare\n"  # kubectl reads a missing body as empty
        "contexts: not-a-list\n"
    )
    config = load(("/k", text))
    assert sorted(config.clusters) == ["bare", "ok"]
    assert config.clusters["bare"].server == ""
    assert dict(config.contexts) == {}


def test_duplicate_name_within_one_file_is_a_parse_error() -> None:
    text = "contexts:\n- name: x\n  context: {cluster: a}\n- name: x\n  context: {cluster: b}\n"
    with pytest.raises(ParseError, match=r"/k: duplicate context name 'x'"):
        load(("/k", text))


def test_merge_result_is_read_only() -> None:
    config = config_2019()
    with pytest.raises(TypeError):
        config.clusters["evil"] = config.clusters["mycluster"]  # type: ignore[index]


# -- parsing errors -----------------------------------------------------------------------------


def test_broken_yaml_gives_file_line_and_column() -> None:
    text = "apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: https://h:1\nusers: []\n"
    with pytest.raises(ParseError) as info:
        load(("/home/jane/.kube/config", text))
    message = str(info.value)
    assert message.startswith("/home/jane/.kube/config: line 5, column 6: ")
    assert "expected ',' or '}'" in message


def test_multiple_documents_are_rejected_with_position() -> None:
    with pytest.raises(ParseError, match=r"^/k: line 3, column 1: expected a single document"):
        parse_file("/k", "clusters: []\nusers: []\n---\ncontexts: []\n")


def test_tab_indentation_error_position() -> None:
    with pytest.raises(ParseError, match=r"^c\.yml: line 2, column 1: .*found character '\\t'"):
        parse_file("c.yml", "users:\n\t- name: x\n")


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "string"), ("42\n", "int")]
)
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ParseError, match=rf"^/k: top level is a {kind}, not a mapping"):
        load(("/k", text))


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_file_is_an_empty_mapping(text: str) -> None:
    assert parse_file("/k", text) == {}


def test_parse_file_returns_the_document() -> None:
    doc = parse_file("/k", sample("admin-cluster-config.yml"))
    assert doc["kind"] == "Config"
    assert isinstance(doc["clusters"], list)


# -- certificate-authority-data -----------------------------------------------------------------


def data_config(value: str, server: str = "https://h:1") -> str:
    return (
        "clusters:\n- name: c\n  cluster:\n"
        f"    server: {server}\n    certificate-authority-data: {value}\n"
    )


def test_ca_data_is_base64_decoded_and_preferred() -> None:
    encoded = base64.b64encode(PEM).decode()
    config = load(("/k", data_config(encoded)))
    cluster = config.clusters["c"]
    assert cluster.certificate_authority_data == PEM

    def read(path: str) -> bytes:
        raise AssertionError(f"read {path} although the data is inline")

    assert ca_pem(cluster, read) == PEM


def test_ca_data_bad_base64_is_a_parse_error() -> None:
    with pytest.raises(
        ParseError, match=r"/k: cluster 'c': certificate-authority-data is not base64"
    ):
        load(("/k", data_config("not*base64!")))


def test_ca_data_missing_padding_is_rejected_like_kubectl() -> None:
    with pytest.raises(ParseError, match="not base64"):
        load(("/k", data_config("QUJD")[:-1] + "Q\n"))  # "QUJDQ": 5 characters, no padding


def test_ca_none_without_path_or_data() -> None:
    cluster = Cluster("c", "https://h:1", None, None, True, "/k")
    assert ca_pem(cluster, lambda path: b"unused") is None


def test_insecure_skip_tls_verify() -> None:
    text = (
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1', insecure-skip-tls-verify: true}\n"
    )
    assert load(("/k", text)).clusters["c"].insecure_skip_tls_verify is True


# -- find_context ---------------------------------------------------------------------------


def test_find_context_by_name_in_the_2019_config() -> None:
    context = find_context(config_2019(), "mycluster")
    assert context is not None and context.name == "mycluster"


@pytest.mark.parametrize("query", ["mycluster", CLUSTER_ID, f"mycluster/{CLUSTER_ID}"])
def test_find_context_by_name_id_or_both(query: str) -> None:
    context = find_context(config_merged(), query)
    assert context is not None
    assert context.name == f"mycluster/{CLUSTER_ID}"


@pytest.mark.parametrize(
    "query", ["mycluster", CLUSTER_ID, f"mycluster/{CLUSTER_ID}", f"mycluster/{CLUSTER_ID}/admin"]
)
def test_find_context_admin(query: str) -> None:
    context = find_context(config_admin(), query)
    assert context is not None
    assert context.name == f"mycluster/{CLUSTER_ID}/admin"


@pytest.mark.parametrize("query", ["othercluster", "bq8r2k1d", "admin", "mycluster/wrongid"])
def test_find_context_no_match(query: str) -> None:
    assert find_context(config_admin(), query) is None
    assert find_context(config_merged(), query) is None


def test_find_context_prefers_the_current_context() -> None:
    both = (
        (PATH_ADMIN, sample("admin-cluster-config.yml")),
        (PATH_MERGED, sample("merged-cluster-config.yml")),
    )
    # The admin file comes first, so its context is current although it sorts last.
    context = find_context(load(*both), CLUSTER_ID)
    assert context is not None and context.name == f"mycluster/{CLUSTER_ID}/admin"
    # With the current context elsewhere, the first match in name order wins.
    config = load(("/first", minimal("zzz", "elsewhere", current="zzz")), *both)
    context = find_context(config, CLUSTER_ID)
    assert context is not None and context.name == f"mycluster/{CLUSTER_ID}"


def test_find_context_via_the_cluster_entry_name() -> None:
    # A context renamed by the user still points at the IKS cluster entry.
    config = load(("/k", minimal("work", f"mycluster/{CLUSTER_ID}", current="dev")))
    context = find_context(config, CLUSTER_ID)
    assert context is not None and context.name == "work"


def test_find_context_none_means_current() -> None:
    context = find_context(config_merged(), None)
    assert context is not None and context.name == f"mycluster/{CLUSTER_ID}"
    dangling = load(("/k", minimal("a", "c", current="gone")))
    assert find_context(dangling, None) is None


# -- kubeconfig_paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        (None, None, ["/home/jane/.kube/config"]),
        (None, "", ["/home/jane/.kube/config"]),
        ("", None, ["/home/jane/.kube/config"]),
        (None, "/a", ["/a"]),
        (None, "/a:/b", ["/a", "/b"]),
        (None, "/a::/b:", ["/a", "/b"]),
        (None, "/b:/a:/b", ["/b", "/a"]),
        ("/opt/k", "/a:/b", ["/opt/k"]),
        ("/opt/k:/a", "/b", ["/opt/k", "/a"]),
        ("", "/a", ["/a"]),
        # Only separators: kubectl loads nothing rather than the default.
        (None, ":", []),
        (None, "relative/config", ["relative/config"]),
    ],
)
def test_kubeconfig_paths(option: str | None, env: str | None, expected: list[str]) -> None:
    assert kubeconfig_paths(option, env, "/home/jane") == expected
