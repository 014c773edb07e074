"""Checks judged in memory: facts to verdict, without a pytest subprocess.

A :class:`Setup` starts from the evidence of a bundled recording (a real live run, recorded),
changes it piece by piece, and judges one check over it through the engine's own session. The
end-to-end runs through pytester (tests/test_suite_*.py) cover each area's wiring; these cover
the branches.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

import standin_ibmcloud
import testenv
from ikscheck.bundle import read_manifest
from ikscheck.catalogue import checks
from ikscheck.evidence import Command, Settings, env_key, file_key, kind_of, which_key
from ikscheck.options import Options
from ikscheck.policy import Policy
from ikscheck.replay import ReplaySource
from ikscheck.results import Result
from ikscheck.session import Session

CHECKS = checks()
#: Where recordings/make.py builds its workstations: the paths inside every bundled recording.
ROOT = "/tmp/ikscheck-recording"
BIN = f"{ROOT}/bin"
HOME = f"{ROOT}/home"
KUBECTL_VERSION = ("version", "--client", "-o", "json")
CONTEXT = f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"


class Setup:
    """The evidence of one recording, to change and judge checks over."""

    def __init__(self, recording: str = "healthy") -> None:
        manifest = read_manifest(testenv.REPO / "recordings" / recording)
        self.records: dict[str, Any] = {e["key"]: e["data"] for e in manifest["evidence"]}
        self.settings = Settings.from_json(manifest["settings"])
        self.recorded_at = datetime.fromisoformat(manifest["recorded_at"])

    # -- pieces of evidence, to read or change in place ----------------------------------------

    def command(self, program: str, *args: str, context: str | None = None) -> dict[str, Any]:
        """The recorded result of a command (added as a success with no output if absent)."""
        key = Command(program, args, context).key
        shown = " ".join((Path(program).name, *args, *(("--context", context) if context else ())))
        return self.records.setdefault(  # type: ignore[no-any-return]
            key,
            {"command": shown, "returncode": 0, "stdout": "", "stderr": "", "duration": 0.0,
             "error": ""},
        )  # fmt: skip

    def ibmcloud(self, *args: str) -> dict[str, Any]:
        return self.command(f"{BIN}/ibmcloud", *args)

    def kubectl(self, path: str = f"{BIN}/kubectl", context: str | None = None) -> dict[str, Any]:
        """``kubectl version --client -o json`` of the kubectl at ``path``."""
        return self.command(path, *KUBECTL_VERSION, context=context)

    def file(self, path: str, **data: Any) -> dict[str, Any]:
        """The recorded read of ``path``; ``data`` replaces fields (a new file if absent)."""
        found = self.records.setdefault(
            file_key(path),
            {"path": path, "exists": True, "is_dir": False, "text": "", "mode": 0o600,
             "error": "", "realpath": path},
        )  # fmt: skip
        found.update(data)
        return found  # type: ignore[no-any-return]

    def edit_yaml(self, path: str, change: Callable[[Any], object]) -> Setup:
        """Change the recorded YAML file at ``path`` in place (``change`` edits the document)."""
        doc = yaml.safe_load(self.file(path)["text"])
        change(doc)
        self.file(path, text=yaml.safe_dump(doc))
        return self

    def kubeconfig_user(self) -> str:
        """The name of the first user entry of the recorded default kubeconfig."""
        doc = yaml.safe_load(self.file(f"{HOME}/.kube/config")["text"])
        return str(doc["users"][0]["name"])

    def edit_json(self, path: str, change: Callable[[Any], object]) -> Setup:
        """Change the recorded JSON file at ``path`` in place (``change`` edits the document)."""
        doc = json.loads(self.file(path)["text"])
        change(doc)
        self.file(path, text=json.dumps(doc))
        return self

    def which(self, name: str, *paths: str) -> None:
        self.records[which_key(name)] = list(paths)

    def master(self) -> dict[str, Any]:
        """The recorded ``GET <server>/version`` of the cluster, as NET-001 asks it (with no
        credential)."""
        [key] = [
            k
            for k in self.records
            if k.startswith("GET ") and k.split()[1].endswith("/version") and not _credential(k)
        ]
        return self.records[key]  # type: ignore[no-any-return]

    def client_json(self, minor: int, suffix: str = "") -> str:
        """kubectl's ``version --client -o json`` for 1.<minor>."""
        doc = json.loads(
            (testenv.FORMATS / "kubernetes" / "kubectl-version-client.json").read_text()
        )
        doc["clientVersion"].update(minor=str(minor), gitVersion=f"v1.{minor}.2{suffix}")
        return json.dumps(doc)

    def http(self, path: str, credential: str | None = None) -> dict[str, Any]:
        """The recorded HTTP answer whose URL path is ``path``, changed in place by tests.

        ``credential`` picks among requests sharing the path by their credential suffix
        (``""``: unauthenticated, ``"apikey"``, ``"bearer:apikey"``, ``"refresh:apikey"``,
        ``"delegated:kube"``, ``"bearer:kube"``); None takes the only one, or where the
        setup guide's flow (API-007) shares the path, the request asked before it: the
        unauthenticated one, else the API key grant.
        """
        found = [
            key
            for key in self.records
            if kind_of(key) == "http"
            and urlsplit(key.split()[1]).path == path
            and (credential is None or _credential(key) == credential)
        ]
        if credential is None and len(found) > 1:
            first = [k for k in found if _credential(k) in ("", "apikey")]
            found = first if len(first) == 1 else found
        if len(found) != 1:
            asked = "" if credential is None else f" with credential {credential!r}"
            if not found:
                raise LookupError(f"no recorded HTTP answer for {path}{asked}")
            listed = "".join(f"\n  {key}" for key in found)
            raise LookupError(
                f"{len(found)} recorded HTTP answers for {path}{asked}: pass "
                f"credential= to pick one{listed}"
            )
        return self.records[found[0]]  # type: ignore[no-any-return]

    def http_json(
        self, path: str, change: Callable[[Any], object], credential: str | None = None
    ) -> Setup:
        """Change the JSON body of :meth:`http` (``change`` edits it; what it returns, if not
        None, replaces it: mind ``lambda doc: doc.pop(key)``)."""
        answer = self.http(path, credential)
        doc = json.loads(answer["body"])
        changed = change(doc)
        answer["body"] = json.dumps(doc if changed is None else changed)
        return self

    def env(self, name: str, value: str | None) -> Setup:
        """Set the recorded environment variable ``name`` (None: unset).

        ``IBMCLOUD_API_KEY`` is recorded redacted (``<redacted:sha256:...>``) when set.
        """
        self.records[env_key(name)] = value
        return self

    # -- judging -------------------------------------------------------------------------------

    def judge(self, check_id: str, policy: Policy | None = None, **params: str) -> Result:
        """The result of the check ``check_id`` over this evidence, with these params."""
        source = ReplaySource(copy.deepcopy(self.records), self.settings, self.recorded_at)
        session = Session(Options(), Path.cwd(), Path.cwd(), source, policy or Policy())
        return session.evaluate(CHECKS[check_id], params)


def _credential(key: str) -> str:
    """The credential an HTTP evidence key names ("" for none); a CA suffix is not one."""
    named = re.findall(r" \(([^()]*)\)", key)
    return next((n for n in named if not n.startswith("CA sha256:")), "")


# -- the stand-in ibmcloud's output, in memory --------------------------------------------------

#: Every ``ibmcloud`` command the checks run.
IBMCLOUD_COMMANDS = testenv.IBMCLOUD_COMMANDS


def standin(scenario: testenv.Scenario, *args: str) -> tuple[int, str]:
    """What the stand-in ``ibmcloud`` of ``scenario`` prints for ``args``: (exit status, stdout)."""
    if scenario.behaviour == "hang":
        raise ValueError("a hanging ibmcloud is for the end-to-end tests")
    return standin_ibmcloud.render(testenv.plan(scenario), list(args))


def with_ibmcloud(scenario: testenv.Scenario, setup: Setup | None = None) -> Setup:
    """``setup`` (default: the healthy recording) with the IBM Cloud CLI side of ``scenario``.

    The stand-in's output of every ``ibmcloud`` command, and the CLI config and plug-in
    registry files testenv.workstation writes; with ``cli=None``, no ``ibmcloud`` on PATH.
    """
    setup = setup or Setup()
    setup.file(f"{HOME}/.bluemix/config.json", text=testenv._cli_config(scenario))
    setup.file(f"{HOME}/.bluemix/plugins/config.json", text=testenv._registry(scenario))
    if scenario.cli is None:
        setup.which("ibmcloud")
        for args in IBMCLOUD_COMMANDS:
            found = setup.command("ibmcloud", *args)
            found.update(returncode=None, stdout="", stderr="", error="not found on PATH")
        return setup
    setup.which("ibmcloud", f"{BIN}/ibmcloud")
    for args in IBMCLOUD_COMMANDS:
        code, printed = standin(scenario, *args)
        setup.ibmcloud(*args).update(returncode=code, stdout=printed, stderr="", error="")
    return setup
