"""The stand-in ibmcloud prints exactly what the real CLI prints, in each documented layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import testenv

TABLES = {
    "2019": [
        {"name": "cloud-functions", "aliases": ["wsk", "functions", "fn"], "version": "1.0.30"},
        {"name": "container-registry", "version": "0.1.380"},
        {
            "name": "container-service",
            "aliases": ["kubernetes-service"],
            "version": "0.2.99",
            "status": "Update Available",
        },
    ],
    "2021": [
        {"name": "code-engine", "aliases": ["ce"], "version": "1.24.0"},
        {"name": "container-registry", "version": "0.1.556"},
        {
            "name": "container-service",
            "aliases": ["kubernetes-service"],
            "version": "1.0.353",
            "private_endpoints": False,
        },
    ],
    "2022": [
        {"name": "container-registry", "version": "0.1.571"},
        {
            "name": "container-service",
            "aliases": ["kubernetes-service", "ks"],
            "version": "1.0.431",
            "status": "Update Available",
            "private_endpoints": False,
        },
    ],
}


def standin(tmp_path: Path, scenario: dict[str, object], *args: str) -> str:
    (tmp_path / "ibmcloud.py").write_text((testenv.HERE / "standin_ibmcloud.py").read_text())
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    done = subprocess.run(
        [sys.executable, str(tmp_path / "ibmcloud.py"), *args], capture_output=True, text=True
    )
    return done.stdout


@pytest.mark.parametrize("layout", sorted(TABLES))
def test_plugin_list_table_is_byte_identical_to_the_real_cli(tmp_path: Path, layout: str) -> None:
    scenario = {"layout": layout, "plugins": TABLES[layout], "version": "x"}
    printed = standin(tmp_path, scenario, "plugin", "list")
    real = (testenv.FORMATS / "ibmcloud" / f"plugin-list-table-{layout}.txt").read_text()
    assert printed == real


def test_plugin_list_json_has_the_real_shape(tmp_path: Path) -> None:
    plugins = [
        {"name": "container-registry", "version": "1.3.11", "aliases": []},
        {
            "name": "container-service",
            "version": "1.0.672",
            "aliases": ["kubernetes-service", "ks"],
            "status": "Update Available",
            "private_endpoints": False,
        },
    ]
    printed = standin(
        tmp_path, {"plugins": plugins, "version": "x"}, "plugin", "list", "--output", "json"
    )
    real = json.loads((testenv.FORMATS / "ibmcloud" / "plugin-list.json").read_text())
    assert json.loads(printed) == real


@pytest.mark.parametrize(
    "line", (testenv.FORMATS / "ibmcloud" / "version.txt").read_text().splitlines()
)
def test_version_line_is_the_real_one(tmp_path: Path, line: str) -> None:
    version = line.removeprefix("ibmcloud version ")
    assert standin(tmp_path, {"version": version}, "version") == line + "\n"
