"""The live evidence source: this machine, read-only, every call bounded by a timeout."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import platform
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import yaml

from ikscheck import cloudapi
from ikscheck.errors import EvidenceError
from ikscheck.evidence import (
    ENV_NAMES,
    Command,
    CommandResult,
    FileResult,
    HttpRequest,
    HttpResult,
    Platform,
    Settings,
    describe,
    env_key,
    file_key,
    iso,
    which_key,
)
from ikscheck.kubeconfig import kubeconfig_paths, resolve_path
from ikscheck.policy import Policy
from ikscheck.redact import Redactor
from ikscheck.transport import HttpTransport

T = TypeVar("T")

#: Larger files are not read: no tool writes a kubeconfig, CA or CLI config of this size
#: (10,000 contexts take 1.5 MB), and the bound keeps a mistaken log file from filling memory.
MAX_FILE_BYTES = 16 << 20
#: Command output kept: version and plug-in listings are a few kilobytes.
MAX_OUTPUT_BYTES = 1 << 20
SECRET_ENV = frozenset({"IBMCLOUD_API_KEY"})
#: What IAM gives for a refresh token a grant does not come with.
NOT_SUPPORTED = "not_supported"
# The public IAM clients' credentials (id:secret, both the name): not secrets.
_CLI_CLIENT = "Basic " + base64.b64encode(b"bx:bx").decode()
_KUBE_CLIENT = "Basic " + base64.b64encode(b"kube:kube").decode()
# Python's names for machines, as Go names them (kubectl's download URLs use Go's).
_GO_OS = {"win32": "windows", "cygwin": "windows"}
_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# kubeconfig fields that hold file paths kubectl resolves against the file's own directory.
_PATH_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


class LiveSource:
    """Gathers evidence from this machine once per session; hands out redacted copies."""

    mode = "live"

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        environ: dict[str, str] | None = None,
        transport: HttpTransport | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self._environ = dict(os.environ if environ is None else environ)
        self._redactor = Redactor()
        for name in SECRET_ENV:
            if self._environ.get(name):
                self._redactor.add_secret(self._environ[name])
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Any]] = {}
        # The tokens of IAM's answers, by the key of the exchange: only this source holds them,
        # to authorise the requests that name them (see HttpRequest.credential).
        self._tokens: dict[str, dict[str, str]] = {}
        self.transport = transport or HttpTransport(policy.http_timeout)

    # -- the Evidence interface -------------------------------------------------------------

    def env(self, name: str) -> str | None:
        return self._once(env_key(name), lambda: self._env(name))

    def which(self, name: str) -> tuple[str, ...]:
        return self._once(which_key(name), lambda: self._which(name))

    def read(self, path: str) -> FileResult:
        return self._once(file_key(path), lambda: self._resolved(self._read(path)))

    def run(self, command: Command) -> CommandResult:
        return self._once(command.key, lambda: self._run(command))

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        return self.send(HttpRequest("GET", url, ca_pem=ca_pem))

    def send(self, request: HttpRequest) -> HttpResult:
        return self._once(request.key, lambda: self._send(request))

    def now(self) -> datetime:
        return datetime.now(UTC)

    def platform(self) -> Platform:
        machine = platform.machine().lower()
        return Platform(_GO_OS.get(sys.platform, sys.platform), _GO_ARCH.get(machine, machine))

    def prefetch(self, commands: list[Command], requests: list[HttpRequest]) -> None:
        jobs: list[Callable[[], object]] = [lambda c=c: self.run(c) for c in commands]  # type: ignore[misc]
        jobs += [lambda r=r: self.send(r) for r in requests]  # type: ignore[misc]
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="ikscheck") as pool:
            for future in [pool.submit(job) for job in jobs]:
                with contextlib.suppress(EvidenceError):
                    future.result()  # a failure is the check's to report when it asks

    # -- the work ------------------------------------------------------------------------------

    def _once(self, key: str, gather: Callable[[], T]) -> T:
        """Gather ``key`` once per session, even when several threads ask at the same time."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                result = gather()
            except Exception as exc:  # a bug or an OS surprise: that check errors, the run goes on
                error = EvidenceError(
                    f"gathering {describe(key)} failed: {type(exc).__name__}: {exc}"
                )
                future.set_exception(error)
                raise error from exc
            future.set_result(result)
        return future.result()  # type: ignore[no-any-return]

    def _env(self, name: str) -> str | None:
        if name not in ENV_NAMES:
            raise KeyError(name)
        value = self._environ.get(name)
        if name == "HOME" and not value:
            value = os.path.expanduser("~")  # from the password database, as kubectl does
        if value and name in SECRET_ENV:
            return self._redactor.redact_value(value)
        return value

    def _which(self, name: str) -> tuple[str, ...]:
        found: list[str] = []
        for folder in self._environ.get("PATH", "").split(os.pathsep):
            path = os.path.join(folder or ".", name)
            if path not in found and os.path.isfile(path) and os.access(path, os.X_OK):
                found.append(path)
        return tuple(found)

    @staticmethod
    def _resolved(found: FileResult) -> FileResult:
        return replace(found, realpath=os.path.realpath(found.path)) if found.exists else found

    def _read(self, path: str) -> FileResult:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return FileResult(path, exists=False)
        except OSError as exc:
            return FileResult(path, exists=False, error=exc.strerror or str(exc))
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            return FileResult(path, exists=True, is_dir=True, mode=mode)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block the read
            return FileResult(path, exists=True, mode=mode, error="not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            size = f"{info.st_size / 2**20:.1f} MiB, larger than {MAX_FILE_BYTES >> 20} MiB"
            return FileResult(path, True, mode=mode, error=f"{size}: not a file to read whole")
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES)
        except OSError as exc:
            return FileResult(path, exists=True, mode=mode, error=exc.strerror or str(exc))
        kind = "json" if path.endswith(".json") else "yaml"
        # Bytes that are not UTF-8 stay as lone surrogates (a lossless decoding): the YAML and
        # JSON readers then refuse them where they stand, as kubectl does, and a binary CA file
        # keeps its bytes.
        text = self._redactor.redact_text(raw.decode("utf-8", errors="surrogateescape"), kind)
        return FileResult(path, exists=True, text=text, mode=mode)

    def _run(self, command: Command) -> CommandResult:
        program = command.program
        if os.sep not in program:
            found = self._which(program)  # one rule for finding programs: which() is evidence too
            if not found:
                return CommandResult(str(command), None, error=self._not_found(command.program))
            program = found[0]
        elif not os.path.exists(program):
            return CommandResult(str(command), None, error=f"{program} does not exist")
        env = dict(self._environ)
        if self.settings.ibmcloud_home:
            env["IBMCLOUD_HOME"] = self.settings.ibmcloud_home
        with tempfile.TemporaryDirectory(prefix="ikscheck-") as scratch:
            args = list(command.args)
            # No command ever sees the user's kubeconfig: without a context it gets none at all
            # (a dispatching kubectl then reports its own version instead of asking a server).
            env["KUBECONFIG"] = os.path.join(scratch, "none")
            env["KUBECACHEDIR"] = os.path.join(scratch, "cache")
            if command.context is not None:
                env["KUBECONFIG"] = self._private_kubeconfig(scratch)
                args += ["--context", command.context]
            return self._spawn(str(command), [program, *args], env)

    def _not_found(self, name: str) -> str:
        for folder in self._environ.get("PATH", "").split(os.pathsep):
            path = os.path.join(folder or ".", name)
            if os.path.isfile(path):
                return f"{path} is on PATH but not executable"
        return "not found on PATH"

    def _spawn(self, shown: str, argv: list[str], env: dict[str, str]) -> CommandResult:
        timeout = self.policy.command_timeout
        began = time.monotonic()
        try:
            # A session of its own, so a timeout kills whatever the command started too.
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except PermissionError:
            return CommandResult(shown, None, error="not executable (permission denied)")
        except OSError as exc:
            return CommandResult(shown, None, error=f"cannot be started: {exc.strerror or exc}")
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            try:
                out, err = proc.communicate(timeout=1)
            except subprocess.TimeoutExpired:
                # A descendant that left the process group still holds the pipes: leave it.
                for pipe in (proc.stdout, proc.stderr):
                    if pipe is not None:
                        pipe.close()
                proc.wait()
                out, err = b"", b""
            return CommandResult(
                shown,
                None,
                self._text(out),
                self._text(err),
                time.monotonic() - began,
                error=f"timed out after {timeout:g}s",
            )
        return CommandResult(
            shown, proc.returncode, self._text(out), self._text(err), time.monotonic() - began
        )

    def _text(self, raw: bytes) -> str:
        return self._redactor.redact_text(raw[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace"))

    def _private_kubeconfig(self, scratch: str) -> str:
        """Copies of the user's kubeconfig files with file paths made absolute.

        kubectl's OIDC provider writes refreshed tokens back into the kubeconfig it read: it
        must write into these copies, never into the user's files.
        """
        paths = kubeconfig_paths(
            self.settings.kubeconfig,
            self._environ.get("KUBECONFIG"),
            self._environ.get("HOME") or os.path.expanduser("~"),
        )
        copies: list[str] = []
        for index, path in enumerate(paths):
            try:
                with open(path, encoding="utf-8") as handle:
                    doc = yaml.safe_load(handle)
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                continue  # kubectl skips what it cannot load; the KCFG checks say why
            if not isinstance(doc, dict):
                continue
            _absolutise(doc, os.path.abspath(path))
            copy = os.path.join(scratch, f"config-{index}")
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                yaml.safe_dump(doc, handle)
            copies.append(copy)
        return os.pathsep.join(copies) or os.path.join(scratch, "empty")

    def _send(self, request: HttpRequest) -> HttpResult:
        form, headers = dict(request.form), {"Accept": "application/json"}
        kind, _, source = request.credential.partition(":")
        token, why = "", ""
        if kind == "apikey":
            token = self._environ.get("IBMCLOUD_API_KEY", "")
            why = "IBMCLOUD_API_KEY is not set"
        elif kind == "bearer":
            token, why = self._bearer(source)
        elif kind == "refresh":
            token, why = self._refresh_token(source)
        elif kind == "delegated":
            grant = cloudapi.delegated_grant(self.settings.iam_url)
            token, why = self._issued(grant, "delegated_refresh_token", "the delegation")
        elif kind:
            raise ValueError(f"unknown credential {request.credential!r}")
        if kind and not token:
            return HttpResult(request.url, error=why)
        if kind == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        elif kind:
            form["apikey" if kind == "apikey" else "refresh_token"] = token
            # IAM's public clients: the CLI's (bx), whose grants come with a refresh token,
            # and the one cluster masters trust (kube), for the delegated token's exchange.
            headers["Authorization"] = _KUBE_CLIENT if kind == "delegated" else _CLI_CLIENT
        answer = self.transport.send(
            request.method,
            request.url,
            form=form or None,
            headers=headers,
            ca_pem=request.ca_pem,
            payload=request.body,
        )
        if kind in ("apikey", "refresh", "delegated"):
            # The CLI session's new tokens are dropped: only the guide's flow uses what IAM issues.
            kept = kind != "refresh" or source == "apikey"
            self._keep_tokens(request.key if kept else "", answer.body)
        return replace(
            answer,
            headers=self._redactor.redact_headers(answer.headers),
            body=self._redactor.redact_text(answer.body, "json"),
            received_at=iso(self.now()),
        )

    def _keep_tokens(self, key: str, body: str) -> None:
        """Every token of an IAM answer is a secret; keep them under ``key`` unless it is ""."""
        try:
            doc = json.loads(body)
        except ValueError:
            return
        if not isinstance(doc, dict):
            return
        found = {n: doc[n] for n in cloudapi.TOKEN_FIELDS if isinstance(doc.get(n), str) and doc[n]}
        for value in found.values():
            if value != NOT_SUPPORTED:  # IAM's word, not a token
                self._redactor.add_secret(value)
        if key:
            self._tokens[key] = found

    def _issued(self, grant: HttpRequest, name: str, step: str) -> tuple[str, str]:
        """The token ``name`` of IAM's answer to ``grant`` (made once), or "" and why not."""
        answer = self.send(grant)
        token = self._tokens.get(grant.key, {}).get(name, "")
        if token and token != NOT_SUPPORTED:
            return token, ""
        if answer.status is None and not answer.stage:  # never sent: the root cause says why
            return "", answer.error
        failed = answer.error or f"HTTP {answer.status}"
        if answer.status == 200:
            failed = f"its answer holds no {name}"
        return "", f"{step} failed ({failed}): nothing to send"

    def _bearer(self, source: str) -> tuple[str, str]:
        """The access token ``source`` names, or "" and why there is none."""
        if source == "apikey":
            grant = cloudapi.apikey_grant(self.settings.iam_url)
            return self._issued(grant, "access_token", "the API key exchange")
        if source == cloudapi.KUBE_CLIENT:
            grant = cloudapi.kube_exchange(self.settings.iam_url)
            return self._issued(grant, "id_token", "the kube exchange")
        # Read once, however many requests (a fleet's clusters) it authorises.
        return self._once(f"bearer {source}", lambda: self._cli_session(source, "IAMToken"))

    def _refresh_token(self, source: str) -> tuple[str, str]:
        """The refresh token ``source`` names, or "" and why there is none."""
        if source == "apikey":
            grant = cloudapi.apikey_grant(self.settings.iam_url)
            return self._issued(grant, "refresh_token", "the API key exchange")
        return self._once(f"refresh {source}", lambda: self._cli_session(source, "IAMRefreshToken"))

    def _cli_session(self, source: str, name: str) -> tuple[str, str]:
        """The token ``name`` of the CLI config at ``source``, or "" and why there is none."""
        try:
            with open(source, encoding="utf-8") as handle:
                config = json.load(handle)
            token = str(config.get(name) or "") if isinstance(config, dict) else ""
        except (OSError, ValueError) as exc:
            return "", f"cannot read the CLI session in {source}: {exc}"
        token = token.removeprefix("Bearer ").strip()
        if token:
            self._redactor.add_secret(token)
        return token, "" if token else f"{source} holds no {name}: not logged in"


def _absolutise(doc: dict[str, Any], source: str) -> None:
    """Make the file paths in a kubeconfig from ``source`` absolute, as kubectl reads them."""
    for section, (inner, fields) in _PATH_FIELDS.items():
        for entry in doc.get(section) or ():
            body = entry.get(inner) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                continue
            for name in fields:
                if isinstance(body.get(name), str):
                    body[name] = resolve_path(source, body[name])
    # An exec credential plug-in named by a relative path (with a slash) is relative too.
    for entry in doc.get("users") or ():
        user = entry.get("user") if isinstance(entry, dict) else None
        plugin = user.get("exec") if isinstance(user, dict) else None
        if isinstance(plugin, dict) and "/" in str(plugin.get("command", "")):
            plugin["command"] = resolve_path(source, str(plugin["command"]))
