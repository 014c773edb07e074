"""A stand-in for the `ibmcloud` CLI (not installable here), printing what the real one prints.

Run as ``<bin>/ibmcloud.py`` beside a ``scenario.json`` that says which release it plays:
its version line, the plug-ins installed, which ``plugin list`` table layout (2019, 2021, 2022)
it prints, whether it knows ``--output json``, and how it misbehaves (garbage, exit 1, hang).
The layouts are those in shared/formats/ibmcloud/; column widths follow the CLI's table
printer: every column but the last is as wide as its widest cell plus three spaces, and the
last cell is followed by three spaces.

:func:`render` gives the same output in-process: testenv pre-renders the commands the suite
runs, so that the ``ibmcloud`` on a test workstation is a shell script printing them (a Python
start per command made every end-to-end run slow), and tests/memory.py uses them as evidence.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

SCENARIO: dict[str, Any] = {}  # the release this stand-in plays: scenario.json, or render()'s
BOLD, CYAN, GREEN, RESET = "\x1b[1m", "\x1b[36;1m", "\x1b[32m", "\x1b[0m"


def colour(text: str, code: str) -> str:
    return f"{code}{text}{RESET}" if SCENARIO.get("ansi") else text


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) + 3 for i in range(len(header) - 1)]

    def line(cells: list[str]) -> str:
        body = "".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
        return body + cells[-1] + "   "

    return "\n".join([colour(line(header), BOLD), *(line(r) for r in rows)])


def name_cell(plugin: dict[str, object], layout: str) -> str:
    aliases = list(plugin.get("aliases") or [])
    if not aliases:
        return str(plugin["name"])
    if layout == "2019":
        return "/".join([str(plugin["name"]), *aliases])
    return f"{plugin['name']}[{'/'.join(aliases)}]"


def plugin_table() -> str:
    layout = SCENARIO.get("layout", "2022")
    header = ["Plugin Name", "Version", "Status"]
    if layout != "2019":
        header.append("Private endpoints supported")
    rows = []
    for plugin in SCENARIO.get("plugins", []):
        row = [name_cell(plugin, layout), plugin["version"], plugin.get("status", "")]
        if layout != "2019":
            row.append("true" if plugin.get("private_endpoints", True) else "false")
        rows.append(row)
    return "Listing installed plug-ins...\n\n" + table(header, rows) + "\n"


def plugin_json() -> str:
    items = []
    for plugin in SCENARIO.get("plugins", []):
        version: object = plugin["version"]
        if not SCENARIO.get("json_version_string"):
            major, minor, build = (int(p) for p in str(version).split("."))
            version = {"Major": major, "Minor": minor, "Build": build}
        items.append(
            {
                "Name": plugin["name"],
                "Aliases": plugin.get("aliases") or None,
                "Version": version,
                "Status": plugin.get("status", ""),
                "PrivateEndpointSupported": plugin.get("private_endpoints", True),
            }
        )
    return json.dumps(items, indent=2) + "\n"


def repo_plugins() -> str:
    offered = [
        {
            "name": p["name"],
            "aliases": p.get("aliases") or None,
            "versions": [{"version": v} for v in SCENARIO.get("repo", {}).get(p["name"], [])],
        }
        for p in SCENARIO.get("plugins", [])
    ]
    return json.dumps({"IBM Cloud": offered}, indent=2) + "\n"


# What an IBM Cloud CLI that predates `--output json` for `plugin list` answers (urfave/cli's
# usage error under the CLI's FAILED banner); inferred, not captured from a real release.
OLD_CLI_USAGE = """FAILED
Incorrect Usage: flag provided but not defined: -output

NAME:
   ibmcloud plugin list - List all installed plug-ins

USAGE:
   ibmcloud plugin list
"""


def main(argv: list[str]) -> int:
    behaviour = SCENARIO.get("behaviour", "ok")
    if behaviour == "hang":
        time.sleep(3600)
    if behaviour == "garbage":
        sys.stdout.write("\x00\x13garbage \ufffd{not: json]\n")
        return 0
    if behaviour == "exit1":
        sys.stdout.write("FAILED\nSomething went wrong: the CLI configuration is corrupted.\n")
        return 1
    if argv == ["version"]:
        print(f"ibmcloud version {colour(SCENARIO['version'], CYAN)}")
        return 0
    if argv == ["plugin", "list", "--output", "json"]:
        if not SCENARIO.get("json", True):
            sys.stdout.write(OLD_CLI_USAGE)
            return 1
        sys.stdout.write(colour(plugin_json(), GREEN))
        return 0
    if argv == ["plugin", "list"]:
        sys.stdout.write(plugin_table())
        return 0
    if argv == ["plugin", "repo-plugins", "--output", "json"]:
        sys.stdout.write(repo_plugins())
        return 0
    sys.stdout.write(
        f"FAILED\n'{' '.join(argv)}' is not a registered command. See 'ibmcloud help'.\n"
    )
    return 1


def render(scenario: dict[str, Any], argv: list[str]) -> tuple[int, str]:
    """What the stand-in of ``scenario`` prints for ``argv``: (exit status, stdout)."""
    if scenario.get("behaviour") == "hang":
        raise ValueError("a hanging stand-in prints nothing: run it")
    SCENARIO.clear()
    SCENARIO.update(scenario)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(list(argv))
    return code, printed.getvalue()


if __name__ == "__main__":
    SCENARIO.update(json.loads((Path(__file__).resolve().parent / "scenario.json").read_text()))
    sys.exit(main(sys.argv[1:]))
