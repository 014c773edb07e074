"""Policy: the defaults, configuration tables, and where configuration is found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from ikscheck.errors import UsageError
from ikscheck.ibmcloud import CR_PLUGIN, KS_PLUGIN
from ikscheck.policy import Policy, from_table, load_policy


def test_defaults() -> None:
    policy = Policy()
    assert policy.min_cli_version == Version("0.8.0")
    assert policy.min_plugin_versions == {
        "kubernetes-service": Version("0.3.23"),
        "container-registry": Version("0.1.373"),
    }
    assert policy.max_skew == 1
    assert policy.command_timeout == 30.0
    assert policy.http_timeout == 10.0
    assert policy.token_warning_minutes == 10
    assert policy.ca_warning_days == 30


def test_each_policy_has_its_own_plugin_table() -> None:
    first, second = Policy(), Policy()
    assert first.min_plugin_versions is not second.min_plugin_versions


def test_an_empty_table_is_the_defaults() -> None:
    assert from_table({}) == Policy()


def test_from_table_reads_every_kebab_case_key() -> None:
    policy = from_table(
        {
            "min-cli-version": "2.0.0",
            "max-skew": 2,
            "command-timeout": 5,
            "http-timeout": 3,
            "token-warning-minutes": 15,
            "ca-warning-days": 60,
            "min-plugin-versions": {"kubernetes-service": "1.0.0"},
        }
    )
    assert policy.min_cli_version == Version("2.0.0")
    assert policy.max_skew == 2
    assert policy.command_timeout == 5.0
    assert isinstance(policy.command_timeout, float)
    assert policy.http_timeout == 3.0
    assert isinstance(policy.http_timeout, float)
    assert policy.token_warning_minutes == 15
    assert policy.ca_warning_days == 60
    # A partial plug-in table overrides what it names; the other defaults stay.
    assert policy.min_plugin_versions == {
        KS_PLUGIN: Version("1.0.0"),
        CR_PLUGIN: Version("0.1.373"),
    }


def test_a_plugin_table_can_name_more_plugins() -> None:
    policy = from_table({"min-plugin-versions": {"vpc-infrastructure": "8.1"}})
    assert policy.min_plugin_versions == {
        KS_PLUGIN: Version("0.3.23"),
        CR_PLUGIN: Version("0.1.373"),
        "vpc-infrastructure": Version("8.1"),
    }
    assert Policy().min_plugin_versions[KS_PLUGIN] == Version("0.3.23")  # defaults untouched


def test_an_unknown_key_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError) as raised:
        from_table({"max-skew": 1, "max-skwe": 2}, "ikscheck.toml")
    message = str(raised.value)
    assert message.startswith("ikscheck.toml: ")
    assert "max-skwe" in message
    assert "max-skew," not in message  # the known one is not blamed


def test_snake_case_keys_are_unknown() -> None:
    with pytest.raises(UsageError, match="command_timeout"):
        from_table({"command_timeout": 5})


@pytest.mark.parametrize(
    "table",
    [
        {"min-cli-version": "not a version"},
        {"min-plugin-versions": {"kubernetes-service": "one.two"}},
        {"min-plugin-versions": "kubernetes-service"},
        {"max-skew": "many"},
        {"command-timeout": "soon"},
    ],
)
def test_a_bad_value_is_a_usage_error(table: dict[str, object]) -> None:
    with pytest.raises(UsageError, match=r"^pyproject\.toml: bad ikscheck setting: "):
        from_table(table, "pyproject.toml")


def test_overrides_replace_only_what_is_given() -> None:
    base = from_table({"max-skew": 3})
    changed = base.with_overrides(max_skew=None, command_timeout=7.0)
    assert changed.max_skew == 3
    assert changed.command_timeout == 7.0
    assert base.command_timeout == 30.0  # the original is unchanged
    assert base.with_overrides(max_skew=0).max_skew == 0  # zero is a value, not "unset"


# -- load_policy() -----------------------------------------------------------------------------


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    cwd, rootdir = tmp_path / "cwd", tmp_path / "root"
    cwd.mkdir()
    rootdir.mkdir()
    return cwd, rootdir


def test_ikscheck_toml_in_cwd_wins_over_pyproject(dirs: tuple[Path, Path]) -> None:
    cwd, rootdir = dirs
    (cwd / "ikscheck.toml").write_text('max-skew = 2\nmin-cli-version = "2.1.0"\n')
    (rootdir / "pyproject.toml").write_text("[tool.ikscheck]\nmax-skew = 5\ncommand-timeout = 9\n")
    policy = load_policy(cwd, rootdir)
    assert policy.max_skew == 2
    assert policy.min_cli_version == Version("2.1.0")
    assert policy.command_timeout == 30.0  # nothing of pyproject.toml is mixed in


def test_pyproject_table_is_read(dirs: tuple[Path, Path]) -> None:
    cwd, rootdir = dirs
    (rootdir / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ikscheck]\nmax-skew = 0\nhttp-timeout = 4\n\n'
        '[tool.ikscheck.min-plugin-versions]\ncontainer-registry = "1.3.0"\n'
    )
    policy = load_policy(cwd, rootdir)
    assert policy.max_skew == 0
    assert policy.http_timeout == 4.0
    assert policy.min_plugin_versions == {
        KS_PLUGIN: Version("0.3.23"),
        CR_PLUGIN: Version("1.3.0"),
    }


def test_pyproject_without_the_table_is_the_defaults(dirs: tuple[Path, Path]) -> None:
    cwd, rootdir = dirs
    (rootdir / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 9\n'
    )
    assert load_policy(cwd, rootdir) == Policy()


def test_no_configuration_at_all_is_the_defaults(dirs: tuple[Path, Path]) -> None:
    assert load_policy(*dirs) == Policy()


def test_a_folder_named_ikscheck_toml_is_not_configuration(dirs: tuple[Path, Path]) -> None:
    cwd, rootdir = dirs
    (cwd / "ikscheck.toml").mkdir()
    (rootdir / "pyproject.toml").write_text("[tool.ikscheck]\nmax-skew = 4\n")
    assert load_policy(cwd, rootdir).max_skew == 4


@pytest.mark.parametrize("name", ["ikscheck.toml", "pyproject.toml"])
def test_broken_toml_is_a_usage_error_naming_the_file(dirs: tuple[Path, Path], name: str) -> None:
    cwd, rootdir = dirs
    path = (cwd if name == "ikscheck.toml" else rootdir) / name
    path.write_text("max-skew = = 1\n" if name == "ikscheck.toml" else "[tool.ikscheck\n")
    with pytest.raises(UsageError) as raised:
        load_policy(cwd, rootdir)
    assert str(raised.value).startswith(f"{path}: ")


def test_an_unknown_key_in_a_file_names_the_file(dirs: tuple[Path, Path]) -> None:
    cwd, rootdir = dirs
    (rootdir / "pyproject.toml").write_text("[tool.ikscheck]\nmax-skew = 1\ntimeout = 3\n")
    with pytest.raises(UsageError) as raised:
        load_policy(cwd, rootdir)
    assert (
        str(raised.value) == f"{rootdir / 'pyproject.toml'}: unknown ikscheck setting(s): timeout"
    )


@pytest.mark.parametrize("text", ["[tool]\nikscheck = 5\n", "tool = 5\n"])
def test_a_pyproject_entry_that_is_not_a_table_is_a_usage_error(
    dirs: tuple[Path, Path], text: str
) -> None:
    cwd, rootdir = dirs
    (rootdir / "pyproject.toml").write_text(text)
    with pytest.raises(UsageError):
        load_policy(cwd, rootdir)


# -- helm-skew (HELM-002) ------------------------------------------------------------------------


def test_helm_skew_rows_are_added_and_replaced() -> None:
    policy = from_table({"helm-skew": {"3.21": ["1.33", "1.36"], "3.16": ["1.27", "1.32"]}})
    assert policy.helm_skew["3.21"] == ("1.33", "1.36")
    assert policy.helm_skew["3.16"] == ("1.27", "1.32")
    assert policy.helm_skew["3.15"] == Policy().helm_skew["3.15"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"3": ["1.2", "1.3"]}, "'3' is not a helm major.minor"),
        ({"3.1": ["1.3"]}, "3.1 must be [oldest, newest] Kubernetes major.minor"),
        ({"3.1": ["1.3", 1.4]}, "3.1 must be [oldest, newest] Kubernetes major.minor"),
        ({"3.1": "1.3"}, "3.1 must be [oldest, newest] Kubernetes major.minor"),
        ({"3.1": ["1.5", "1.3"]}, "3.1: 1.5 is newer than 1.3"),
    ],
)
def test_helm_skew_rejects_malformed_rows(table: dict, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        from_table({"helm-skew": table}, "ikscheck.toml")


def test_helm_skew_from_ikscheck_toml(tmp_path: Path) -> None:
    (tmp_path / "ikscheck.toml").write_text('[helm-skew]\n"3.21" = ["1.33", "1.36"]\n')
    assert load_policy(tmp_path, tmp_path).helm_skew["3.21"] == ("1.33", "1.36")
