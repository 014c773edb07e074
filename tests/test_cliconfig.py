"""Tests for ikscheck.cliconfig against the recorded real-format sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikscheck.cliconfig import CliConfig, config_dir, parse_cli_config
from ikscheck.errors import ParseError

DATA = Path(__file__).parent / "data" / "formats" / "ibmcloud"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- config.json -------------------------------------------------------------------------------


def test_parse_cli_config_sample() -> None:
    config = parse_cli_config(sample("config.json"))
    assert config.region == "us-south"
    assert config.resource_group == "default"
    assert config.iam_token.startswith("Bearer eyJ")
    assert config.iam_token.count(".") == 2
    assert config.iam_refresh_token.startswith("eyJhbGciOiJydCJ9.")
    assert config.account_id == "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_parse_cli_config_empty_object() -> None:
    assert parse_cli_config("{}") == CliConfig("", "", "", "", "")


def test_parse_cli_config_region_id_fallback_and_nulls() -> None:
    text = '{"Region": "", "RegionID": "eu-de", "ResourceGroup": null, "Account": null}'
    assert parse_cli_config(text) == CliConfig("eu-de", "", "", "", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "not valid JSON: Expecting value"),
        ('{"Region": "us-south",}', "not valid JSON"),
        ("[]", "should be a JSON object"),
        ('{"Region": 1}', "Region should be a string"),
        ('{"Account": "abc"}', "Account should be an object"),
    ],
)
def test_parse_cli_config_rejects_garbage(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_cli_config(text)


# --- config_dir --------------------------------------------------------------------------------

HOME = "/home/jane"


@pytest.mark.parametrize(
    ("env", "dirs", "override", "expected"),
    [
        pytest.param({}, set(), None, "/home/jane/.bluemix", id="nothing-exists-old-default"),
        pytest.param({}, {"/home/jane/.bluemix"}, None, "/home/jane/.bluemix", id="bluemix"),
        pytest.param(
            {},
            {"/home/jane/.bluemix", "/home/jane/.ibmcloud"},
            None,
            "/home/jane/.ibmcloud",
            id="ibmcloud-preferred",
        ),
        pytest.param(
            {"IBMCLOUD_CONFIG_HOME": "/cfg", "IBMCLOUD_HOME": "/ih"},
            {"/ih/.ibmcloud"},
            None,
            "/cfg",
            id="config-home-is-the-dir",
        ),
        pytest.param({"IBMCLOUD_HOME": "/ih"}, set(), None, "/ih/.bluemix", id="ibmcloud-home"),
        pytest.param(
            {"IBMCLOUD_HOME": "/ih", "BLUEMIX_HOME": "/bh"},
            {"/ih/.ibmcloud", "/bh/.ibmcloud"},
            None,
            "/ih/.ibmcloud",
            id="ibmcloud-home-beats-bluemix-home",
        ),
        pytest.param(
            {"BLUEMIX_HOME": "/bh"}, {"/bh/.ibmcloud"}, None, "/bh/.ibmcloud", id="bluemix-home"
        ),
        pytest.param(
            {"IBMCLOUD_CONFIG_HOME": "", "IBMCLOUD_HOME": ""},
            {"/home/jane/.ibmcloud"},
            None,
            "/home/jane/.ibmcloud",
            id="empty-vars-are-unset",
        ),
        pytest.param(
            {"IBMCLOUD_CONFIG_HOME": "/cfg"},
            {"/o", "/o/.ibmcloud"},
            "/o",
            "/o/.ibmcloud",
            id="override-beats-env",
        ),
        pytest.param({}, {"/o", "/o/.bluemix"}, "/o", "/o/.bluemix", id="override-bluemix"),
        pytest.param(
            {}, {"/home/jane/.bluemix"}, "/home/jane/.bluemix", "/home/jane/.bluemix", id="direct"
        ),
        pytest.param({}, set(), "/missing", "/missing/.bluemix", id="override-missing"),
        pytest.param({}, {"/o/.ibmcloud"}, "/o/", "/o/.ibmcloud", id="override-trailing-slash"),
    ],
)
def test_config_dir_precedence(
    env: dict[str, str], dirs: set[str], override: str | None, expected: str
) -> None:
    assert config_dir(env, HOME, dirs.__contains__, override) == expected


def test_a_config_nested_too_deeply_is_a_parse_error() -> None:
    # Found by tests/test_fuzz.py: a RecursionError escaped from json.loads.
    with pytest.raises(ParseError, match=r"config\.json is nested too deeply to read"):
        parse_cli_config('{"Region": ' * 100_000)
