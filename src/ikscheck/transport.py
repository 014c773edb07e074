"""The one HTTP transport: every request ikscheck makes goes through :class:`HttpTransport`.

One ``requests`` session, TLS always verified, a timeout on every call, bodies capped, and
failures named by the stage that broke (dns, connect, tls, timeout, http). The live source
redacts what comes back; tests swap the session's adapters to see what a request was given,
the way httpx's ``MockTransport`` is used.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import TYPE_CHECKING

from ikscheck.evidence import HttpResult

if TYPE_CHECKING:
    import requests

MAX_BODY_BYTES = 1 << 20


class HttpTransport:
    """GETs over one ``requests`` session, each bounded by ``timeout`` seconds.

    >>> HttpTransport(timeout=10).timeout
    10
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """The session, made on first use: replay runs never import requests."""
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        """GET ``url``, TLS verified with ``ca_pem`` (else ``REQUESTS_CA_BUNDLE`` or the system's).

        Never raises for a network problem: the result's ``stage`` and ``error`` say what broke.
        """
        import requests
        import urllib3

        session = self.session
        began = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="ikscheck-") as scratch:
            verify: bool | str = True
            if ca_pem is not None:
                verify = os.path.join(scratch, "ca.pem")
                with open(verify, "wb") as handle:
                    handle.write(ca_pem)
            try:
                # verify= per request: REQUESTS_CA_BUNDLE would override a Session's verify.
                response = session.get(
                    url, verify=verify, timeout=self.timeout, allow_redirects=False, stream=True
                )
                body = response.raw.read(MAX_BODY_BYTES, decode_content=True)
                response.close()
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                stage, error = classify(exc)
                return HttpResult(url, duration=time.monotonic() - began, stage=stage, error=error)
        return HttpResult(
            url,
            status=response.status_code,
            headers=dict(response.headers),
            body=body.decode("utf-8", errors="replace"),
            duration=time.monotonic() - began,
        )


def classify(exc: Exception) -> tuple[str, str]:
    """The stage an HTTP request broke at (dns, connect, tls, timeout, http) and a clear line."""
    import requests
    import urllib3

    text = str(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "timeout", f"timed out reading the response: {_reason(text)}"
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return "http", f"the response broke off: {_reason(text)}"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls", f"TLS verification failed: {_reason(text)}"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout", f"timed out: {_reason(text)}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        lowered = text.lower()
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or ("failed to resolve" in lowered or "temporary failure in name resolution" in lowered)
        ):
            return "dns", f"DNS lookup failed: {_reason(text)}"
        return "connect", f"connection failed: {_reason(text)}"
    return "http", _reason(text)


def _reason(text: str) -> str:
    """The innermost reason of a urllib3 error chain, without the long wrapper text."""
    for marker in ("certificate verify failed: ", "Connection refused", "timed out"):
        if marker in text:
            start = text.index(marker)
            reason = text[start : start + 120].split("')")[0].split("(_ssl")[0]
            return reason.rstrip("\"')").strip(" :")
    return text[-160:]
