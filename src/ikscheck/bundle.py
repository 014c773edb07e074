"""Recorded bundles on disk: writing what a run recorded, and reading one back.

A bundle is a folder holding ``manifest.json``, or a ``.tar.gz`` of one; the manifest follows
``schemas/bundle.schema.json`` and is validated against it when read. Secrets are already gone
from live evidence; writing a bundle also pseudonymises personal data (e-mail, IAM ids,
account ids) consistently, so a replay still cross-references itself.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ikscheck import __version__
from ikscheck.errors import UsageError
from ikscheck.evidence import Settings, iso, kind_of
from ikscheck.jsonschemas import problems

if TYPE_CHECKING:
    from ikscheck.redact import Redactor

SCHEMA_VERSION = "1"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 << 20


def is_archive(path: str | os.PathLike[str]) -> bool:
    return str(path).endswith((".tar.gz", ".tgz"))


def write_bundle(
    path: str | os.PathLike[str],
    records: Mapping[str, Any],
    settings: Settings,
    recorded_at: datetime,
) -> int:
    """Write ``records`` (evidence key -> data) as a bundle at ``path``; its size in bytes."""
    from ikscheck.redact import Redactor  # here: replaying a bundle never needs it

    redactor = Redactor(pseudonymise=True)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ikscheck", "version": __version__},
        "recorded_at": iso(recorded_at),
        "settings": settings.to_json(),
        "evidence": [
            {"key": _scrub(redactor, key), "kind": kind_of(key), "data": _scrub(redactor, data)}
            for key, data in sorted(records.items())
        ],
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
        return target.stat().st_size
    target.mkdir(parents=True, exist_ok=True)
    (target / MANIFEST).write_bytes(data)
    return len(data)


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
    except (FileNotFoundError, KeyError):
        raise UsageError(f"--replay: {source} is not a bundle: it has no {MANIFEST}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--replay: {source} is not a readable bundle: {reason}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--replay: {source}: {MANIFEST} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"--replay: {source}: {MANIFEST} is nested too deeply to read") from None
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version != SCHEMA_VERSION:
        raise UsageError(
            f"--replay: {source}: bundle schema version {version!r} is not supported "
            f"(this ikscheck reads {SCHEMA_VERSION!r})"
        )
    try:
        found = problems(manifest, "bundle", limit=1)
    except RecursionError:  # JSON read it, the validator (or a repr of what it quotes) cannot
        raise UsageError(f"--replay: {source}: {MANIFEST} is nested too deeply to read") from None
    if found:
        raise UsageError(f"--replay: {source}: {MANIFEST} is malformed: {found[0]}")
    try:
        datetime.fromisoformat(manifest["recorded_at"])
    except ValueError:
        raise UsageError(
            f"--replay: {source}: {MANIFEST} is malformed: recorded_at is not an ISO 8601 time"
        ) from None
    return dict(manifest)
