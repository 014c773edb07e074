"""Tests for ikscheck.ibmcloud against the recorded real-format samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from ikscheck.errors import ParseError
from ikscheck.ibmcloud import (
    Plugin,
    find_plugin,
    parse_cli_version,
    parse_plugin_list,
    parse_plugin_list_json,
    parse_plugin_list_table,
    parse_plugins_config,
    parse_repo_plugins,
)

DATA = Path(__file__).parent / "data" / "formats" / "ibmcloud"

BOLD, GREEN, RESET = "\x1b[1m", "\x1b[32m", "\x1b[0m"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def summary(plugins: list[Plugin]) -> list[tuple[str, tuple[str, ...], str, str]]:
    return [(p.name, p.aliases, p.version_text, p.status) for p in plugins]


# --- parse_cli_version --------------------------------------------------------------------------

VERSION_LINES = sample("version.txt").splitlines()


@pytest.mark.parametrize(
    ("line", "expected"),
    list(zip(VERSION_LINES, ["0.14.0", "0.18.1", "2.9.0"], strict=True)),
)
def test_parse_cli_version_every_sample_line(line: str, expected: str) -> None:
    assert parse_cli_version(line) == Version(expected)
    assert parse_cli_version(line + "\n") == Version(expected)


def test_parse_cli_version_tolerates_ansi_crlf_and_surrounding_lines() -> None:
    text = (
        "\r\nWARNING: a newer version of the CLI is available\r\n"
        f"{BOLD}ibmcloud{RESET} version {GREEN}2.9.0{RESET}+6abd6f8-2022-07-05T14:46:06+00:00\r\n"
        "trailing line\r\n"
    )
    assert parse_cli_version(text) == Version("2.9.0")


def test_parse_cli_version_drops_build_suffix_so_versions_compare() -> None:
    assert parse_cli_version(VERSION_LINES[2]) > parse_cli_version(VERSION_LINES[1])
    assert str(parse_cli_version(VERSION_LINES[2])) == "2.9.0"


@pytest.mark.parametrize(
    "text",
    ["", "command not found: ibmcloud", "ibmcloud version unknown", "version 2.9.0", "x" * 200],
)
def test_parse_cli_version_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError, match="cannot find a version in `ibmcloud version` output"):
        parse_cli_version(text)


def test_parse_cli_version_error_quotes_at_most_80_chars() -> None:
    with pytest.raises(ParseError) as info:
        parse_cli_version("y" * 200)
    assert str(info.value).endswith(repr("y" * 80))


# --- plug-in list tables -----------------------------------------------------------------------

TABLE_EXPECTED = {
    "plugin-list-table-2019.txt": [
        ("cloud-functions", ("wsk", "functions", "fn"), "1.0.30", ""),
        ("container-registry", (), "0.1.380", ""),
        ("container-service", ("kubernetes-service",), "0.2.99", "Update Available"),
    ],
    "plugin-list-table-2021.txt": [
        ("code-engine", ("ce",), "1.24.0", ""),
        ("container-registry", (), "0.1.556", ""),
        ("container-service", ("kubernetes-service",), "1.0.353", ""),
    ],
    "plugin-list-table-2022.txt": [
        ("container-registry", (), "0.1.571", ""),
        ("container-service", ("kubernetes-service", "ks"), "1.0.431", "Update Available"),
    ],
}


@pytest.mark.parametrize(("name", "expected"), TABLE_EXPECTED.items())
def test_parse_plugin_list_table_every_layout(name: str, expected: list[object]) -> None:
    plugins = parse_plugin_list_table(sample(name))
    assert summary(plugins) == expected
    assert all(p.version == Version(p.version_text) for p in plugins)


@pytest.mark.parametrize("name", TABLE_EXPECTED)
def test_parse_plugin_list_table_tolerates_ansi_and_crlf(name: str) -> None:
    text = sample(name)
    coloured = (
        text.replace("Plugin Name", f"{BOLD}Plugin Name")
        .replace("Status", f"Status{RESET}")
        .replace("Update Available", f"{GREEN}Update Available{RESET}")
        .replace("\n", "\r\n")
    )
    assert coloured != text
    assert summary(parse_plugin_list_table(coloured)) == TABLE_EXPECTED[name]


def test_parse_plugin_list_table_2022_container_service() -> None:
    plugin = find_plugin(parse_plugin_list_table(sample("plugin-list-table-2022.txt")), "ks")
    assert plugin == Plugin(
        name="container-service",
        aliases=("kubernetes-service", "ks"),
        version=Version("1.0.431"),
        version_text="1.0.431",
        status="Update Available",
    )
    assert plugin.names() == ("container-service", "kubernetes-service", "ks")


def test_parse_plugin_list_table_2019_first_row() -> None:
    first = parse_plugin_list_table(sample("plugin-list-table-2019.txt"))[0]
    assert first.name == "cloud-functions"
    assert first.aliases == ("wsk", "functions", "fn")
    assert first.version == Version("1.0.30")
    assert first.status == ""


def test_parse_plugin_list_table_header_without_rows_means_none_installed() -> None:
    text = "Listing installed plug-ins...\n\nPlugin Name   Version   Status   \n\n"
    assert parse_plugin_list_table(text) == []


def test_parse_plugin_list_table_last_cell_past_header_and_no_trailing_spaces() -> None:
    text = (
        "Plugin Name         Version   Status\n"
        "container-service   1.0.431   Update Available to 1.0.690\n"
        "observe-service     1.0.82"
    )
    plugins = parse_plugin_list_table(text)
    assert summary(plugins) == [
        ("container-service", (), "1.0.431", "Update Available to 1.0.690"),
        ("observe-service", (), "1.0.82", ""),
    ]


def test_parse_plugin_list_table_cell_wider_than_its_column_stays_whole() -> None:
    text = "Plugin Name   Version   Status\nvery-long-plugin-name 2.0.1   \n"
    assert summary(parse_plugin_list_table(text)) == [("very-long-plugin-name", (), "2.0.1", "")]


def test_parse_plugin_list_table_unparseable_version_is_kept_as_text() -> None:
    text = "Plugin Name   Version   Status\nodd-plugin    dev-build\n"
    (plugin,) = parse_plugin_list_table(text)
    assert plugin.version is None
    assert plugin.version_text == "dev-build"


def test_parse_plugin_list_table_skips_notices_after_the_table() -> None:
    text = sample("plugin-list-table-2022.txt") + (
        "\nUse 'ibmcloud plugin update PLUGIN_NAME' to update a plug-in.\n"
    )
    assert summary(parse_plugin_list_table(text)) == TABLE_EXPECTED["plugin-list-table-2022.txt"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Listing installed plug-ins...\n",
        "FAILED\nNot logged in. Use 'ibmcloud login' to log in.\n",
        "Name   Version\nks     1.0.0\n",
        "Plugin Name\ncontainer-service\n",
    ],
)
def test_parse_plugin_list_table_rejects_text_without_a_usable_header(text: str) -> None:
    with pytest.raises(ParseError, match="`ibmcloud plugin list`"):
        parse_plugin_list_table(text)


# --- plug-in list JSON -------------------------------------------------------------------------

JSON_EXPECTED = [
    ("container-registry", (), "1.3.11", ""),
    ("container-service", ("kubernetes-service", "ks"), "1.0.672", "Update Available"),
]


def test_parse_plugin_list_json_sample_with_version_objects() -> None:
    plugins = parse_plugin_list_json(sample("plugin-list.json"))
    assert summary(plugins) == JSON_EXPECTED
    assert [p.version for p in plugins] == [Version("1.3.11"), Version("1.0.672")]


def test_parse_plugin_list_json_version_as_string() -> None:
    data = json.loads(sample("plugin-list.json"))
    data[1]["Version"] = "1.0.672"
    (_, plugin) = parse_plugin_list_json(json.dumps(data))
    assert plugin.version == Version("1.0.672")
    assert plugin.version_text == "1.0.672"


def test_parse_plugin_list_json_missing_optional_fields() -> None:
    (plugin,) = parse_plugin_list_json('[{"Name": "cr", "Version": "not a version"}]')
    assert plugin == Plugin("cr", (), None, "not a version", "")


def test_parse_plugin_list_json_with_ansi_around_it() -> None:
    text = f"{BOLD}{sample('plugin-list.json')}{RESET}\n"
    text = text.replace('"Update Available"', f'{GREEN}"Update Available"{RESET}')
    assert summary(parse_plugin_list_json(text)) == JSON_EXPECTED


def test_parse_plugin_list_json_null_means_no_plugins() -> None:
    assert parse_plugin_list_json("null\n") == []
    assert parse_plugin_list_json("[]") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("[{", "not valid JSON"),
        ("Plugin Name   Version", "not valid JSON"),
        ('{"Name": "ks"}', "should be a JSON array"),
        ('["ks"]', "plug-in #1 should be an object"),
        ('[{"Aliases": []}]', "has no Name"),
        ('[{"Name": "ks", "Aliases": "k"}]', "Aliases should be a list"),
        ('[{"Name": "ks", "Version": 1}]', "Version should be an object or a string"),
        ('[{"Name": "ks", "Version": {"Major": 1, "Minor": 0}}]', "Version.Build"),
        ('[{"Name": "ks", "Status": 3}]', "Status should be a string"),
    ],
)
def test_parse_plugin_list_json_rejects_garbage(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_plugin_list_json(text)


# --- parse_plugin_list dispatch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [*TABLE_EXPECTED.items(), ("plugin-list.json", JSON_EXPECTED)],
)
def test_parse_plugin_list_detects_the_format(name: str, expected: list[object]) -> None:
    assert summary(parse_plugin_list(sample(name))) == expected


def test_parse_plugin_list_detects_json_behind_ansi_and_whitespace() -> None:
    text = f"\n  {BOLD}{sample('plugin-list.json')}{RESET}"
    assert summary(parse_plugin_list(text)) == JSON_EXPECTED


@pytest.mark.parametrize("text", ["", "garbage", '{"Plugins": {}}', "[not json"])
def test_parse_plugin_list_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_plugin_list(text)


# --- plugins/config.json -----------------------------------------------------------------------


def test_parse_plugins_config_sample() -> None:
    plugins = parse_plugins_config(sample("plugins-config.json"))
    assert summary(plugins) == [
        ("container-registry", (), "1.3.11", ""),
        ("container-service", ("kubernetes-service", "ks"), "1.0.672", ""),
    ]
    assert plugins[1].version == Version("1.0.672")


def test_parse_plugins_config_name_falls_back_to_key() -> None:
    (plugin,) = parse_plugins_config('{"Plugins": {"ks": {"Version": "1.0.1"}}}')
    assert (plugin.name, plugin.version) == ("ks", Version("1.0.1"))


@pytest.mark.parametrize("text", ["{}", '{"Plugins": null}', '{"Plugins": {}}'])
def test_parse_plugins_config_without_plugins(text: str) -> None:
    assert parse_plugins_config(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "not valid JSON"),
        ("[]", "should be a JSON object"),
        ('{"Plugins": []}', "Plugins should be an object"),
        ('{"Plugins": {"ks": "1.0"}}', "should be an object"),
    ],
)
def test_parse_plugins_config_rejects_garbage(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_plugins_config(text)


# --- repo-plugins ------------------------------------------------------------------------------


def test_parse_repo_plugins_maps_names_and_aliases_newest_first() -> None:
    offered = parse_repo_plugins(sample("repo-plugins.json"))
    ks_versions = [Version("1.0.690"), Version("1.0.672"), Version("1.0.650")]
    assert offered["container-service"] == ks_versions
    assert offered["kubernetes-service"] == ks_versions
    assert offered["ks"] == ks_versions
    assert offered["cr"] == [Version("1.3.11"), Version("1.3.10")]
    assert set(offered) == {"container-service", "kubernetes-service", "ks"} | {
        "container-registry",
        "cr",
    }


def test_parse_repo_plugins_skips_unparseable_and_sorts() -> None:
    text = json.dumps(
        {
            "IBM Cloud": [
                {
                    "name": "ks",
                    "aliases": None,
                    "versions": [
                        {"version": "1.0.9"},
                        {"version": "latest"},
                        {"version": "1.0.10"},
                    ],
                }
            ],
            "mirror": [{"name": "ks", "versions": [{"version": "1.0.11"}, {}]}],
        }
    )
    assert parse_repo_plugins(f"{GREEN}{text}{RESET}") == {
        "ks": [Version("1.0.11"), Version("1.0.10"), Version("1.0.9")]
    }


def test_parse_repo_plugins_real_name_wins_over_an_alias() -> None:
    text = json.dumps(
        {
            "r": [
                {"name": "a", "aliases": ["b"], "versions": [{"version": "1.0"}]},
                {"name": "b", "aliases": [], "versions": [{"version": "2.0"}]},
            ]
        }
    )
    assert parse_repo_plugins(text) == {"a": [Version("1.0")], "b": [Version("2.0")]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("<html>", "not valid JSON"),
        ("[]", "should be a JSON object"),
        ('{"IBM Cloud": {}}', "should list plug-ins in an array"),
        ('{"IBM Cloud": [{"aliases": []}]}', "has no name"),
        ('{"IBM Cloud": [{"name": "ks", "versions": "1.0"}]}', "versions should be an array"),
    ],
)
def test_parse_repo_plugins_rejects_garbage(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_repo_plugins(text)


# --- find_plugin -------------------------------------------------------------------------------


def test_find_plugin_by_name_alias_or_not_at_all() -> None:
    plugins = parse_plugin_list_table(sample("plugin-list-table-2021.txt"))
    assert find_plugin(plugins, "ks", "kubernetes-service") is plugins[2]
    assert find_plugin(plugins, "ce") is plugins[0]
    assert find_plugin(plugins, "container-registry") is plugins[1]
    assert find_plugin(plugins, "KS", "Container-Service") is None
    assert find_plugin(plugins) is None
    assert find_plugin([], "ks") is None


@pytest.mark.parametrize(
    "parse",
    [parse_plugin_list, parse_plugin_list_json, parse_plugins_config, parse_repo_plugins],
)
def test_json_nested_too_deeply_is_a_parse_error(parse) -> None:
    # Found by tests/test_fuzz.py: json.loads let its RecursionError out of load_json.
    with pytest.raises(ParseError, match="is nested too deeply to read"):
        parse("[" * 100_000)
