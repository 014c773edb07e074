"""The IBM Cloud CLI's own config: where it lives, and the parts of ``config.json`` checks read.

Pure: callers read the files (live or from a bundle) and hand the text in. Field names are the
CLI SDK's Go field names, which are the JSON keys of ``config.json``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ikscheck.errors import ParseError
from ikscheck.ibmcloud import json_type, load_json

__all__ = ["CliConfig", "config_dir", "parse_cli_config"]

_CLI_CONFIG = "ibmcloud config.json"


@dataclass(frozen=True)
class CliConfig:
    """The parts of the CLI's ``config.json`` the checks need; ``""`` when a value is absent."""

    region: str
    resource_group: str
    iam_token: str
    iam_refresh_token: str
    account_id: str


def _string_field(obj: Mapping[str, object], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{where}: {key} should be a string, got {json_type(value)}")
    return value


def _nested_string(obj: Mapping[str, object], key: str, field: str) -> str:
    # Logged-out or never-targeted configs hold null (or nothing) where the object would be.
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise ParseError(f"{_CLI_CONFIG}: {key} should be an object, got {json_type(value)}")
    return _string_field(value, field, f"{_CLI_CONFIG}: {key}")


def parse_cli_config(text: str) -> CliConfig:
    """Parse the CLI's ``<config dir>/config.json`` into a :class:`CliConfig`.

    ``region`` comes from ``Region``, falling back to ``RegionID``; ``iam_token`` is kept as
    stored, ``Bearer <jwt>``. An empty object is valid (a CLI that never logged in).
    """
    data = load_json(text, _CLI_CONFIG)
    if not isinstance(data, dict):
        raise ParseError(f"{_CLI_CONFIG} should be a JSON object, got {json_type(data)}")
    return CliConfig(
        region=_string_field(data, "Region", _CLI_CONFIG)
        or _string_field(data, "RegionID", _CLI_CONFIG),
        resource_group=_nested_string(data, "ResourceGroup", "Name"),
        iam_token=_string_field(data, "IAMToken", _CLI_CONFIG),
        iam_refresh_token=_string_field(data, "IAMRefreshToken", _CLI_CONFIG),
        account_id=_nested_string(data, "Account", "GUID"),
    )


def config_dir(
    env: Mapping[str, str],
    home: str,
    is_dir: Callable[[str], bool],
    override: str | None = None,
) -> str:
    """Return the IBM Cloud CLI config directory, resolved the way the CLI resolves it.

    Mirrors the CLI SDK's ``config_helpers.ConfigDir``: ``$IBMCLOUD_CONFIG_HOME`` is the config
    directory itself; otherwise the base is ``$IBMCLOUD_HOME``, ``$BLUEMIX_HOME`` or ``home``, and
    the directory is ``<base>/.ibmcloud`` when that is a directory, else ``<base>/.bluemix``.
    ``override`` (``--ibmcloud-home``) replaces the base and beats the environment; when neither
    child exists but ``override`` is a directory, it is taken as the config directory itself.
    """
    if override:
        for child in (".ibmcloud", ".bluemix"):
            candidate = posixpath.join(override, child)
            if is_dir(candidate):
                return candidate
        # Users often pass ~/.bluemix itself rather than the home that contains it.
        if is_dir(override):
            return override
        return posixpath.join(override, ".bluemix")
    # The SDK treats an empty variable as unset, not as "the current directory".
    explicit = env.get("IBMCLOUD_CONFIG_HOME", "")
    if explicit:
        return explicit
    base = env.get("IBMCLOUD_HOME") or env.get("BLUEMIX_HOME") or home
    newer = posixpath.join(base, ".ibmcloud")
    return newer if is_dir(newer) else posixpath.join(base, ".bluemix")
