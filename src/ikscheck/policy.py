"""Policy: thresholds the checks apply, with defaults, overridable in configuration.

Configuration is ``ikscheck.toml`` in the working directory, else ``[tool.ikscheck]`` in the
``pyproject.toml`` of pytest's root directory::

    [tool.ikscheck]
    min-cli-version = "2.0.0"
    max-skew = 1
    command-timeout = 30
    probe-cli-refresh = true   # TOK-005: try the CLI session's refresh token on IAM
    [tool.ikscheck.min-plugin-versions]
    kubernetes-service = "1.0.0"
    [tool.ikscheck.helm-skew]
    "3.21" = ["1.33", "1.36"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ikscheck.errors import UsageError
from ikscheck.ibmcloud import CR_PLUGIN, KS_PLUGIN

MIN_CLI_VERSION = Version("0.8.0")

#: HELM-002: the Kubernetes minors each helm minor supports, oldest to newest, from Helm's
#: version skew policy (https://helm.sh/docs/topics/version_skew/): Helm 3.N for N >= 4
#: supports Kubernetes 1.(N+12) to 1.(N+15); Helm 4.0 is built against the Kubernetes 1.34
#: client and supports n-3. A helm newer than every row is judged by the newest row.
HELM_SKEW: dict[str, tuple[str, str]] = {
    **{f"3.{n}": (f"1.{n + 12}", f"1.{n + 15}") for n in range(4, 21)},
    "4.0": ("1.31", "1.34"),
}
_MINOR_RE = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True)
class Policy:
    min_cli_version: Version = MIN_CLI_VERSION
    min_plugin_versions: dict[str, Version] = field(
        default_factory=lambda: {KS_PLUGIN: Version("0.3.23"), CR_PLUGIN: Version("0.1.373")}
    )
    max_skew: int = 1
    helm_skew: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(HELM_SKEW))
    command_timeout: float = 30.0
    http_timeout: float = 10.0
    token_warning_minutes: int = 10
    ca_warning_days: int = 30
    # CLK-001: token verdicts and kubectl's authentication depend on the clock.
    clock_warn_seconds: int = 60
    clock_fail_seconds: int = 300
    # TOK-005 spends the CLI's refresh token on IAM: only when the user asks for it.
    probe_cli_refresh: bool = False

    def with_overrides(self, **changes: Any) -> Policy:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def words(self) -> dict[str, str]:
        """Policy values as titles and remediations name them (``{skew_window}``).

        >>> Policy(max_skew=1).words()["skew_window"], Policy(max_skew=2).words()["skew_window"]
        ('one minor version', '2 minor versions')
        """
        window = "one minor version" if self.max_skew == 1 else f"{self.max_skew} minor versions"
        return {"skew_window": window}


def load_policy(cwd: Path, rootdir: Path) -> Policy:
    """The policy from ``cwd/ikscheck.toml`` or ``rootdir/pyproject.toml``, else the defaults."""
    table: dict[str, Any] = {}
    source = cwd / "ikscheck.toml"
    if source.is_file():
        table = _load(source)
    elif (rootdir / "pyproject.toml").is_file():
        source = rootdir / "pyproject.toml"
        tool = _load(source).get("tool", {})
        found = tool.get("ikscheck", {}) if isinstance(tool, dict) else None
        if not isinstance(found, dict):
            raise UsageError(f"{source}: [tool.ikscheck] must be a table")
        table = found
    return from_table(table, str(source))


def from_table(table: dict[str, Any], source: str = "configuration") -> Policy:
    """Build a policy from a TOML table with kebab-case keys; unknown keys are a usage error."""
    known = {f.name.replace("_", "-") for f in fields(Policy)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UsageError(f"{source}: unknown ikscheck setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    try:
        for key, value in table.items():
            name = key.replace("-", "_")
            if name == "min_cli_version":
                values[name] = Version(str(value))
            elif name == "min_plugin_versions":
                merged = dict(Policy().min_plugin_versions)
                merged.update({str(k): Version(str(v)) for k, v in dict(value).items()})
                values[name] = merged
            elif name == "helm_skew":
                merged_skew = dict(Policy().helm_skew)
                merged_skew.update(_helm_skew(key, value))
                values[name] = merged_skew
            elif name == "probe_cli_refresh":
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false, not {value!r}")
                values[name] = value
            elif name in ("command_timeout", "http_timeout"):
                values[name] = _number(key, value, float)
            else:
                values[name] = _number(key, value, int)
    except (InvalidVersion, TypeError, ValueError) as exc:
        raise UsageError(f"{source}: bad ikscheck setting: {exc}") from None
    return Policy(**values)


def _helm_skew(key: str, value: Any) -> dict[str, tuple[str, str]]:
    """Rows of the helm skew table: ``"3.21" = ["1.33", "1.36"]`` (oldest, newest)."""
    rows: dict[str, tuple[str, str]] = {}
    for helm, window in dict(value).items():
        if not _MINOR_RE.match(str(helm)):
            raise ValueError(f'{key}: {helm!r} is not a helm major.minor such as "3.16"')
        if (
            not isinstance(window, list)
            or len(window) != 2
            or not all(isinstance(v, str) and _MINOR_RE.match(v) for v in window)
        ):
            raise ValueError(
                f"{key}: {helm} must be [oldest, newest] Kubernetes major.minor, not {window!r}"
            )
        oldest, newest = (tuple(int(p) for p in v.split(".")) for v in window)
        if oldest > newest:
            raise ValueError(f"{key}: {helm}: {window[0]} is newer than {window[1]}")
        rows[str(helm)] = (window[0], window[1])
    return rows


def _number(key: str, value: Any, kind: type[int] | type[float]) -> int | float:
    """A positive number (0 allowed for skew), of the kind the setting takes."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, not {value!r}")
    if kind is int and not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, not {value!r}")
    if not value >= (0 if kind is int else 0.001):  # also refuses NaN
        raise ValueError(f"{key} must be positive, not {value!r}")
    return kind(value)


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: {exc}") from None
