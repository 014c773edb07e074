"""The replay evidence source: recorded evidence, never the machine or the network.

A support engineer replays a user's bundle (``--replay``) and gets the same verdicts; tests
build a :class:`ReplaySource` from a dict of records to judge checks in memory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from ikscheck.errors import EvidenceError
from ikscheck.evidence import (
    PLATFORM_KEY,
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
    which_key,
)

T = TypeVar("T")


class ReplaySource:
    """Evidence answered from ``records`` (evidence key -> recorded data).

    A piece that was never recorded is an :class:`EvidenceError` naming it: the check that
    needs it reports ``error``, never a made-up value.
    """

    mode = "replay"

    def __init__(
        self,
        records: Mapping[str, Any],
        settings: Settings,
        recorded_at: datetime,
        now: datetime | None = None,
        origin: str = "",
    ) -> None:
        self.records = dict(records)
        self.settings = settings
        self.recorded_at = recorded_at
        self.origin = origin  # where the records came from, for messages
        self._now = now or recorded_at

    @classmethod
    def from_bundle(cls, path: str | os.PathLike[str], now: datetime | None = None) -> ReplaySource:
        """The evidence of the bundle at ``path``; :class:`UsageError` if it is unusable."""
        from ikscheck.bundle import read_manifest

        manifest = read_manifest(path)
        return cls(
            {item["key"]: item["data"] for item in manifest["evidence"]},
            Settings.from_json(manifest["settings"]),
            datetime.fromisoformat(manifest["recorded_at"]),
            now,
            origin=str(path),
        )

    def _lookup(self, key: str) -> Any:
        try:
            return self.records[key]
        except KeyError:
            raise EvidenceError(f"the bundle has no recording of {describe(key)}") from None

    def env(self, name: str) -> str | None:
        value = self._lookup(env_key(name))
        return None if value is None else str(value)

    def which(self, name: str) -> tuple[str, ...]:
        return tuple(self._lookup(which_key(name)) or ())

    def read(self, path: str) -> FileResult:
        return _build(FileResult, file_key(path), self._lookup(file_key(path)))

    def run(self, command: Command) -> CommandResult:
        return _build(CommandResult, command.key, self._lookup(command.key))

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        return self.send(HttpRequest("GET", url, ca_pem=ca_pem))

    def send(self, request: HttpRequest) -> HttpResult:
        return _build(HttpResult, request.key, self._lookup(request.key))

    def now(self) -> datetime:
        return self._now

    def platform(self) -> Platform:
        return _build(Platform, PLATFORM_KEY, self._lookup(PLATFORM_KEY))

    def prefetch(self, commands: list[Command], requests: list[HttpRequest]) -> None:
        """Nothing to gather ahead: the records are already in memory."""


def _build(cls: type[T], key: str, data: Any) -> T:
    try:
        return cls(**data)
    except TypeError:
        raise EvidenceError(f"the bundle's recording of {describe(key)} is malformed") from None
