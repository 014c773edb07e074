"""Recording: a wrapper around any evidence source that keeps what passes through it.

``--record`` wraps the live source in a :class:`Recorder`; at the end of the run its records
become a bundle (:mod:`ikscheck.bundle`). Only what the checks and reports asked for is kept, so
a replay of the bundle asks for exactly what it holds.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import datetime
from typing import Any

from ikscheck.evidence import (
    PLATFORM_KEY,
    Command,
    CommandResult,
    Evidence,
    FileResult,
    HttpRequest,
    HttpResult,
    Platform,
    env_key,
    file_key,
    which_key,
)


class Recorder:
    """An :class:`Evidence` that answers from ``source`` and records every answer by key."""

    def __init__(self, source: Evidence) -> None:
        self.source = source
        self.mode = source.mode
        self.settings = source.settings
        self._lock = threading.Lock()
        self._records: dict[str, Any] = {}

    def _keep(self, key: str, data: Any) -> None:
        with self._lock:
            self._records[key] = data

    def env(self, name: str) -> str | None:
        value = self.source.env(name)
        self._keep(env_key(name), value)
        return value

    def which(self, name: str) -> tuple[str, ...]:
        found = self.source.which(name)
        self._keep(which_key(name), list(found))
        return found

    def read(self, path: str) -> FileResult:
        found = self.source.read(path)
        self._keep(file_key(path), asdict(found))
        return found

    def run(self, command: Command) -> CommandResult:
        result = self.source.run(command)
        self._keep(command.key, asdict(result))
        return result

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        return self.send(HttpRequest("GET", url, ca_pem=ca_pem))

    def send(self, request: HttpRequest) -> HttpResult:
        answer = self.source.send(request)
        self._keep(request.key, asdict(answer))
        return answer

    def now(self) -> datetime:
        return self.source.now()

    def platform(self) -> Platform:
        found = self.source.platform()
        self._keep(PLATFORM_KEY, asdict(found))
        return found

    def prefetch(self, commands: list[Command], requests: list[HttpRequest]) -> None:
        # Gathered ahead but recorded only when a check asks: the bundle holds what was used.
        self.source.prefetch(commands, requests)

    def records(self) -> dict[str, Any]:
        """Every answer given so far, by evidence key (already free of secrets)."""
        with self._lock:
            return dict(self._records)
