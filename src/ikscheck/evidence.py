"""Evidence: the raw observations checks are judged on, and the one interface to get them.

Two sources implement :class:`Evidence`: :class:`ikscheck.live.LiveSource` gathers from this
machine, :class:`ikscheck.replay.ReplaySource` reads recorded evidence; a
:class:`ikscheck.recording.Recorder` wraps either and keeps what passes through. Every request
has a stable key, built here and nowhere else, so a recording made by one is found by the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

from ikscheck.ansi import printable
from ikscheck.errors import ParseError

V = TypeVar("V")

#: Environment variables the engine reads; nothing else of the environment is consulted or recorded.
ENV_NAMES = (
    "HOME",
    "KUBECONFIG",
    "IBMCLOUD_CONFIG_HOME",
    "IBMCLOUD_HOME",
    "BLUEMIX_HOME",
    "IBMCLOUD_API_KEY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


@dataclass(frozen=True)
class Command:
    """A read-only command to run: ``program`` (a name looked up on PATH, or a path) and args.

    ``context`` names a kubeconfig context: the live source then runs the command against a
    private copy of the kubeconfig for it, so that kubectl never rewrites the user's file.
    """

    program: str
    args: tuple[str, ...] = ()
    context: str | None = None

    @property
    def key(self) -> str:
        return command_key(self)

    def __str__(self) -> str:
        context = ("--context", self.context) if self.context is not None else ()
        return " ".join((posixpath.basename(self.program), *self.args, *context))


@dataclass(frozen=True)
class Program:
    """A program that was asked its version: where it is, and what it said or why it did not."""

    path: str | None
    problem: str  # "" when it ran and exited 0
    said: str  # the first line of its output


def ask_version(
    evidence: Evidence,
    path: str,
    first: tuple[str, ...],
    then: tuple[str, ...],
    parse: Callable[[str], V],
    accept: Callable[[CommandResult, V], bool] = lambda run, _: run.ok,
) -> tuple[Program, V | None]:
    """Run ``path first`` and, when its version is not to be had (``accept``), ``path then``:
    the program as it ran and the version ``parse`` read (None when neither gave one).

    A program that did not run to the end (timed out, not executable) is not asked twice.
    """
    run = evidence.run(Command(path, first))
    found = Program(path, run.problem(), run.first_line())
    with contextlib.suppress(ParseError):
        version = parse(run.stdout)
        if accept(run, version):
            return found, version
    if run.error:
        return found, None
    second = evidence.run(Command(path, then))
    try:
        version = parse(second.stdout)
    except ParseError as exc:
        problem = second.problem() or run.problem() or f"`{second.command}`: {exc}"
        return Program(path, problem, second.first_line()), None
    return Program(path, second.problem(), second.first_line()), version


@dataclass(frozen=True)
class CommandResult:
    """What running a :class:`Command` gave. ``error`` is set when it could not run to the end."""

    command: str
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    error: str = ""  # "not found", "not executable", "timed out after 30s", ...

    @property
    def ok(self) -> bool:
        return not self.error and self.returncode == 0

    def first_line(self) -> str:
        """The first line of stdout, fit to show in a message."""
        lines = printable(self.stdout).strip().splitlines()
        return lines[0][:200] if lines else ""

    def problem(self) -> str:
        """Why the command did not succeed, in one line (empty when it did)."""
        if self.error:
            return f"`{self.command}`: {self.error}"
        if self.returncode != 0:
            detail = printable(self.stderr.strip() or self.stdout.strip()).splitlines()
            tail = f": {detail[-1][:200]}" if detail else ""
            return f"`{self.command}` exited with status {self.returncode}{tail}"
        return ""


@dataclass(frozen=True)
class FileResult:
    """A file read: its text (secrets redacted), or why there is none."""

    path: str
    exists: bool
    is_dir: bool = False
    text: str | None = None
    mode: int | None = None
    error: str = ""  # "permission denied", "larger than 1048576 bytes", ...
    realpath: str = ""  # the path with symbolic links resolved, when it exists


@dataclass(frozen=True)
class HttpResult:
    """An HTTP exchange. ``stage`` names where it broke: dns, connect, tls, timeout, or ""."""

    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    duration: float = 0.0
    stage: str = ""
    error: str = ""
    # This machine's clock when the answer arrived (ISO 8601, UTC): what CLK-001 compares the
    # server's time with. "" in bundles recorded before it was kept.
    received_at: str = ""


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP request to make, as data. The credential is named here, never held.

    ``credential`` says how the live source authorises the request, from what only it holds:
    ``"apikey"`` adds ``IBMCLOUD_API_KEY`` to the form (IAM's API key grant);
    ``"bearer:apikey"`` sends the access token the API key was exchanged for;
    ``"bearer:<path>"`` sends the ``IAMToken`` of the CLI config at ``<path>``;
    ``"refresh:apikey"`` puts the API key grant's refresh token in the form,
    ``"refresh:<path>"`` the ``IAMRefreshToken`` of the CLI config at ``<path>``;
    ``"delegated:kube"`` the delegated refresh token IAM issued for the ``kube`` client;
    ``"bearer:kube"`` sends the id token the ``kube`` client's exchange gave (see
    :mod:`ikscheck.cloudapi`). So a request, its key and its recording never contain a secret.
    ``body`` is a JSON document to send (a Kubernetes review), where ``form`` is not used.

    >>> HttpRequest("GET", "https://h/v1/regions", credential="bearer:apikey").key
    'GET https://h/v1/regions (bearer:apikey)'
    """

    method: str
    url: str
    form: tuple[tuple[str, str], ...] = ()
    credential: str = ""
    ca_pem: bytes | None = None
    body: str = ""

    @property
    def key(self) -> str:
        return request_key(self)


@dataclass(frozen=True)
class Platform:
    """The machine's OS and architecture, named as Go and kubectl's download URLs name them."""

    os: str  # linux, darwin, windows
    arch: str  # amd64, arm64, s390x, ppc64le


@dataclass(frozen=True)
class Settings:
    """Where to look, as given on the command line (replay takes them from the bundle)."""

    clusters: tuple[str, ...] = ()
    kubeconfig: str | None = None
    ibmcloud_home: str | None = None
    kubectl: str | None = None
    ibmcloud: str | None = None
    iam_url: str = "https://iam.cloud.ibm.com"
    containers_url: str = "https://containers.cloud.ibm.com"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["clusters"] = list(self.clusters)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        return cls(
            clusters=tuple(data.get("clusters") or ()),
            kubeconfig=data.get("kubeconfig"),
            ibmcloud_home=data.get("ibmcloud_home"),
            kubectl=data.get("kubectl"),
            ibmcloud=data.get("ibmcloud"),
            iam_url=data.get("iam_url") or cls.iam_url,
            containers_url=data.get("containers_url") or cls.containers_url,
        )


class Evidence(Protocol):
    """The one interface checks' facts are built on. Implementations cache each request."""

    mode: str  # "live" or "replay"
    settings: Settings

    def env(self, name: str) -> str | None:
        """An environment variable of those in :data:`ENV_NAMES` (secrets come back redacted)."""

    def which(self, name: str) -> tuple[str, ...]:
        """Every executable called ``name`` on PATH, in PATH order."""

    def read(self, path: str) -> FileResult:
        """A file's text, secrets redacted."""

    def run(self, command: Command) -> CommandResult:
        """Run a read-only command with a timeout."""

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        """GET ``url`` over TLS verified with ``ca_pem`` (else the system's trust)."""

    def send(self, request: HttpRequest) -> HttpResult:
        """Make ``request`` (TLS verified, retried within a budget), its credential filled in
        by the live source; secrets in the answer redacted."""

    def now(self) -> datetime:
        """The instant times are evaluated at."""

    def platform(self) -> Platform:
        """The OS and architecture of the machine under check."""

    def prefetch(self, commands: list[Command], requests: list[HttpRequest]) -> None:
        """Gather independent pieces concurrently ahead of the checks (a no-op in replay)."""


Kind = Literal["env", "which", "file", "command", "http", "platform"]
KINDS: tuple[Kind, ...] = ("env", "which", "file", "command", "http", "platform")
PLATFORM_KEY = "platform"
HTTP_METHODS = ("GET", "POST")


def env_key(name: str) -> str:
    """The key of an environment variable's value."""
    return f"env {name}"


def which_key(name: str) -> str:
    """The key of a PATH lookup of every executable called ``name``."""
    return f"which {name}"


def file_key(path: str) -> str:
    """The key of a file read."""
    return f"file {path}"


def command_key(command: Command) -> str:
    """The key of a command run: its program, arguments and kubeconfig context."""
    return "command " + json.dumps([command.program, *command.args, {"context": command.context}])


def kind_of(key: str) -> Kind:
    """The kind of evidence ``key`` names.

    >>> kind_of("file /home/jane/.kube/config"), kind_of("GET https://h/version")
    ('file', 'http')
    """
    head = key.partition(" ")[0]
    if head in HTTP_METHODS:
        return "http"
    for kind in KINDS:
        if head == kind:
            return kind
    raise ValueError(f"not an evidence key: {key!r}")


def http_key(url: str, ca_pem: bytes | None) -> str:
    """The key of a GET: the same URL verified with another CA is another observation."""
    if ca_pem is None:
        return f"GET {url}"
    return f"GET {url} (CA sha256:{hashlib.sha256(ca_pem).hexdigest()[:12]})"


def request_key(request: HttpRequest) -> str:
    """The key of an HTTP request: method, URL, form fields, credential kind and CA.

    A plain GET has the key :func:`http_key` gives it.

    >>> request_key(HttpRequest("POST", "https://iam/identity/token",
    ...                         (("grant_type", "apikey"),), credential="apikey"))
    'POST https://iam/identity/token grant_type=apikey (apikey)'
    """
    key = f"{request.method} {request.url}"
    if request.form:
        key += " " + "&".join(f"{name}={value}" for name, value in request.form)
    if request.body:
        key += " " + request.body
    if request.credential:
        key += f" ({request.credential})"
    return key + http_key("", request.ca_pem)[len("GET ") :]


def iso(moment: datetime) -> str:
    """An instant as reports and bundles write it: UTC, to the second, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def describe(key: str) -> str:
    """A key as a person reads it: ``command ["kubectl", "version", ...]`` -> `kubectl version`."""
    if key.startswith("command "):
        try:
            parts = json.loads(key[len("command ") :])
        except json.JSONDecodeError:
            return key
        context = parts[-1].get("context") if parts and isinstance(parts[-1], dict) else None
        shown = " ".join(str(p) for p in parts if isinstance(p, str))
        return f"`{shown}`" + (f" for context {context}" if context else "")
    if key == PLATFORM_KEY:
        return "the machine's OS and architecture"
    kind, _, rest = key.partition(" ")
    return {
        "file": "the file ",
        "env": "the environment variable ",
        "which": "PATH lookup of ",
    }.get(kind, "") + (rest if kind not in HTTP_METHODS else f"{kind} {rest}")
