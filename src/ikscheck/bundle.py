"""Recorded bundles: writing what a live run gathered, and replaying it as an evidence source.

A bundle is a folder holding ``manifest.json``, or a ``.tar.gz`` of one; the manifest follows
``schemas/bundle.schema.json``. Secrets are already gone from live evidence; writing a bundle
also pseudonymises personal data (e-mail, IAM ids, account ids) consistently.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ikscheck import __version__
from ikscheck.errors import EvidenceError, UsageError
from ikscheck.evidence import (
    Command,
    CommandResult,
    FileResult,
    HttpResult,
    Settings,
    describe,
    http_key,
    iso,
)

if TYPE_CHECKING:
    from ikscheck.redact import Redactor

T = TypeVar("T")
SCHEMA_VERSION = "1"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 << 20


def is_archive(path: str | os.PathLike[str]) -> bool:
    return str(path).endswith((".tar.gz", ".tgz"))


def write_bundle(
    path: str | os.PathLike[str],
    records: list[dict[str, Any]],
    settings: Settings,
    recorded_at: datetime,
) -> Path:
    """Write ``records`` (from :meth:`LiveSource.records`) as a bundle at ``path``."""
    from ikscheck.redact import Redactor  # here: replaying a bundle never needs it

    redactor = Redactor(pseudonymise=True)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ikscheck", "version": __version__},
        "recorded_at": iso(recorded_at),
        "settings": settings.to_json(),
        "evidence": [_scrub(redactor, r) for r in sorted(records, key=lambda r: r["key"])],
    }
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    target = Path(path)
    if is_archive(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as archive:
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(recorded_at.timestamp())
            archive.addfile(info, io.BytesIO(data))
    else:
        target.mkdir(parents=True, exist_ok=True)
        (target / MANIFEST).write_bytes(data)
    return target


def _scrub(redactor: Redactor, value: Any) -> Any:
    if isinstance(value, str):
        return redactor.redact_text(value)
    if isinstance(value, dict):
        return {_scrub(redactor, k): _scrub(redactor, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(redactor, v) for v in value]
    return value


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a bundle; :class:`UsageError` with one clear line when it is unusable."""
    source = Path(path)
    if not source.exists():
        raise UsageError(f"--replay: no bundle at {source}")
    try:
        if source.is_dir():
            raw = (source / MANIFEST).read_bytes()
        else:
            with tarfile.open(source, "r:gz") as archive:
                member = archive.getmember(MANIFEST)
                if not member.isfile() or member.size > MAX_MANIFEST_BYTES:
                    raise UsageError(f"--replay: {source}: {MANIFEST} is not a regular file")
                handle = archive.extractfile(member)
                assert handle is not None
                raw = handle.read()
        manifest = json.loads(raw)
    except FileNotFoundError:
        raise UsageError(f"--replay: {source} is not a bundle: it has no {MANIFEST}") from None
    except KeyError:
        raise UsageError(f"--replay: {source} is not a bundle: it has no {MANIFEST}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--replay: {source} is not a readable bundle: {reason}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--replay: {source}: {MANIFEST} is not valid JSON: {exc}") from None
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version != SCHEMA_VERSION:
        raise UsageError(
            f"--replay: {source}: bundle schema version {version!r} is not supported "
            f"(this ikscheck reads {SCHEMA_VERSION!r})"
        )
    problem = _shape_problem(manifest)
    if problem:
        raise UsageError(f"--replay: {source}: {MANIFEST} is malformed: {problem}")
    return dict(manifest)


def _shape_problem(manifest: dict[str, Any]) -> str:
    """The first way the manifest breaks bundle.schema.json's structure, or ""."""
    try:
        datetime.fromisoformat(manifest["recorded_at"])
    except (KeyError, TypeError, ValueError):
        return "recorded_at is missing or not an ISO 8601 time"
    if not isinstance(manifest.get("settings"), dict):
        return "settings is missing"
    evidence = manifest.get("evidence")
    if not isinstance(evidence, list):
        return "evidence is not a list"
    for index, item in enumerate(evidence):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("key"), str)
            and item.get("kind") in ("env", "which", "file", "command", "http")
        ):
            return f"evidence[{index}] has no key or an unknown kind"
    return ""


class ReplaySource:
    """Evidence from a bundle: never touches the machine or the network."""

    mode = "replay"

    def __init__(self, path: str | os.PathLike[str], now: datetime | None = None) -> None:
        manifest = read_manifest(path)
        self.path = str(path)
        self.manifest = manifest
        self.settings = Settings.from_json(manifest["settings"])
        self.recorded_at = datetime.fromisoformat(manifest["recorded_at"])
        self._now = now or self.recorded_at
        self._items = {item["key"]: item.get("data") for item in manifest["evidence"]}

    def _lookup(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:
            raise EvidenceError(f"the bundle has no recording of {describe(key)}") from None

    def env(self, name: str) -> str | None:
        value = self._lookup(f"env {name}")
        return None if value is None else str(value)

    def which(self, name: str) -> tuple[str, ...]:
        return tuple(self._lookup(f"which {name}") or ())

    def read(self, path: str) -> FileResult:
        return _build(FileResult, self._lookup(f"file {path}"), f"file {path}")

    def run(self, command: Command) -> CommandResult:
        return _build(CommandResult, self._lookup(command.key), command.key)

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        key = http_key(url, ca_pem)
        return _build(HttpResult, self._lookup(key), key)

    def now(self) -> datetime:
        return self._now

    def prefetch(self, commands: list[Command], urls: list[tuple[str, bytes | None]]) -> None:
        """Nothing to gather ahead: the bundle is already in memory."""


def _build(cls: type[T], data: Any, key: str) -> T:
    try:
        return cls(**data)
    except TypeError:
        raise EvidenceError(f"the bundle's recording of {describe(key)} is malformed") from None
