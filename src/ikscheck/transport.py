"""The one HTTP transport: every request ikscheck makes goes through :class:`HttpTransport`.

One ``requests`` session for every thread, TLS always verified, urllib3's retries within one
wall-clock budget per call, proxies from the environment, bodies capped, and failures named by
the stage that broke. The live source redacts what comes back (and alone imports this module).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, Timeout

from ikscheck.evidence import HttpResult

MAX_BODY_BYTES = 1 << 20
#: Connections kept per host: at least the live source's 8 threads (requests' default, spelled out).
POOL_SIZE = 10
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Waits of 0, 0.4, 0.8 s... between attempts when the server names none (Retry-After).
BACKOFF_FACTOR = 0.2
#: Less budget than this left after a wait: the last answer beats an attempt sure to time out.
LEAST_ATTEMPT = 0.2


@dataclass
class _Call:
    deadline: float  # on time.monotonic()'s clock
    attempts: int = 0


# The call in flight, per thread. urllib3 retries inside one requests call, where no argument
# reaches Retry or the timeouts of each attempt: they read the deadline from here.
_CALL: ContextVar[_Call | None] = ContextVar("ikscheck_http_call", default=None)


class HttpTransport:
    """Requests over one ``requests`` session, each bounded by ``budget`` seconds in all.

    Every attempt gets a connect timeout of ``min(timeout, 10)`` and a read timeout of
    ``timeout``, both cut to what is left of the budget (``3 * timeout`` unless given). At most
    ``retries`` retries, on HTTP 429, 502, 503, 504 (``Retry-After`` honoured) and on
    connections not made in time or reset; none after a read timeout, a refused connection, a
    DNS or a TLS failure; never a wait the budget cannot afford.

    >>> transport = HttpTransport(timeout=10)
    >>> transport.timeout, transport.budget, transport.retries
    (10, 30, 3)
    >>> sorted(transport.session.get_adapter("https://iam.cloud.ibm.com").max_retries.status_forcelist)
    [429, 502, 503, 504]
    """

    def __init__(self, timeout: float, budget: float | None = None, retries: int = 3) -> None:
        self.timeout = timeout
        self.budget = 3 * timeout if budget is None else budget
        self.retries = retries
        # trust_env stays on: HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE are the user's say.
        self.session = requests.Session()
        adapter = _Adapter(retries)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def get(self, url: str, ca_pem: bytes | None = None) -> HttpResult:
        """GET ``url``: ``send("GET", url, ca_pem=ca_pem)``."""
        return self.send("GET", url, ca_pem=ca_pem)

    def send(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ca_pem: bytes | None = None,
        payload: str = "",
    ) -> HttpResult:
        """``method`` ``url`` with ``form`` (form-encoded), or ``payload`` (JSON), and ``headers``;
        redirects not followed.

        TLS is verified with exactly ``ca_pem`` if given, else with ``REQUESTS_CA_BUNDLE`` or
        the system's store. Never raises for a network problem: the result's ``stage`` and
        ``error`` say what broke, with "(after N attempts)" when retries did not help. An answer
        keeps its status, retried or not, and ``error`` stays empty, except for a body over
        ``MAX_BODY_BYTES``: cut to it, with stage "http" and ``error`` saying so.
        """
        began = time.monotonic()
        call = _Call(began + self.budget)
        token = _CALL.set(call)
        try:
            with tempfile.TemporaryDirectory(prefix="ikscheck-") as scratch:
                verify: bool | str = True
                if ca_pem is not None:
                    verify = os.path.join(scratch, "ca.pem")
                    with open(verify, "wb") as handle:
                        handle.write(ca_pem)
                try:
                    # verify= per request: REQUESTS_CA_BUNDLE would override a Session's verify.
                    response = self.session.request(
                        method,
                        url,
                        data=dict(form) if form is not None else (payload.encode() or None),
                        headers=dict(headers or {}, **_json_type(payload)),
                        verify=verify,
                        timeout=(min(self.timeout, 10), self.timeout),
                        allow_redirects=False,
                        stream=True,
                    )
                    with response:
                        body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
                except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                    stage, error = classify(exc)
                    if isinstance(exc, requests.exceptions.ProxyError):
                        error += f" (proxy {_proxy_for(url)})"
                    if call.attempts > 1:
                        error += f" (after {call.attempts} attempts)"
                    return HttpResult(
                        url, duration=time.monotonic() - began, stage=stage, error=error
                    )
        finally:
            _CALL.reset(token)
        cut = len(body) > MAX_BODY_BYTES
        return HttpResult(
            url,
            status=response.status_code,
            headers=dict(response.headers),
            body=body[:MAX_BODY_BYTES].decode("utf-8", errors="replace"),
            duration=time.monotonic() - began,
            stage="http" if cut else "",
            error=f"the body is larger than {MAX_BODY_BYTES / (1 << 20):g} MiB: cut" if cut else "",
        )


class _Adapter(HTTPAdapter):
    """requests' adapter with the retries below, each attempt's timeouts cut to the budget."""

    def __init__(self, retries: int) -> None:
        retry = _BudgetRetry(
            total=retries,
            other=0,  # a failed TLS verification, a proxy refusing the tunnel: no retry mends it
            allowed_methods=None,  # POST too: its only use, IAM's token grant, is safe to repeat
            status_forcelist=RETRY_STATUSES,
            backoff_factor=BACKOFF_FACTOR,
            raise_on_status=False,  # retries spent on a status: hand back that last answer
        )
        super().__init__(pool_maxsize=POOL_SIZE, max_retries=retry)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if isinstance(kwargs.get("timeout"), tuple):
            connect, read = kwargs["timeout"]
            # requests passes a urllib3 Timeout through as it is (its documented third form).
            kwargs["timeout"] = _AttemptTimeout(connect=connect, read=read)
        return super().send(request, **kwargs)


class _AttemptTimeout(Timeout):
    """A (connect, read) timeout that urllib3 cuts to what is left of the call's budget.

    urllib3 clones the request's timeout at the start of every attempt, retries included, and
    no other hook sees each attempt: the clone is where the cut is made (and attempts counted).
    """

    def clone(self) -> Timeout:
        call = _CALL.get()
        if call is None:
            return super().clone()
        call.attempts += 1
        # total: urllib3 takes the connect time off the read timeout, and treats 0 as timed out.
        left = max(call.deadline - time.monotonic(), 0.001)
        return Timeout(connect=self._connect, read=self._read, total=left)


class _BudgetRetry(Retry):
    """urllib3's Retry, also bounded by the call's budget.

    Retry counts but has no clock, and would sleep a Retry-After of hours. urllib3 asks
    ``increment`` before each wait: one the budget cannot afford ends the call there with
    MaxRetryError, so urllib3 hands back the last answer (raise_on_status=False) or the error.
    """

    RETRY_AFTER_STATUS_CODES = RETRY_STATUSES  # urllib3 would retry a 413 with Retry-After too

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, urllib3.exceptions.ReadTimeoutError):
            # The server took the request and stays silent: another attempt would spend the
            # rest of the budget the same way.
            raise error.with_traceback(_stacktrace)
        later = super().increment(method, url, response, error, _pool, _stacktrace)
        call = _CALL.get()
        waited = later.get_retry_after(response) if response is not None else None
        wait = waited or later.get_backoff_time()
        late = call is not None and time.monotonic() + wait + LEAST_ATTEMPT > call.deadline
        # An unknown name, a port nothing listens on: still so in 0.4 s. A broken setup is
        # the common case here, and each retry would cost it time (issue: failure-path speed).
        cause = getattr(error, "original_error", error)  # a ProxyError wraps the refusal
        final = isinstance(cause, urllib3.exceptions.NameResolutionError) or (
            isinstance(cause, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)
            and "refused" in str(cause).lower()
        )
        if late or final:
            reason = error or ResponseError(f"the budget leaves no time to wait {wait:g} s")
            raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]
        return later

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except urllib3.exceptions.InvalidHeader:
            return None  # an unreadable Retry-After: back off as if there were none


def _proxy_for(url: str) -> str:
    """The proxy the environment names for ``url``, without any user and password in it."""
    proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    return urllib3.util.parse_url(proxy)._replace(auth=None).url if proxy else "(none)"


def classify(exc: Exception) -> tuple[str, str]:
    """The stage an HTTP request broke at (dns, connect, tls, timeout, http) and a clear line.

    >>> classify(requests.exceptions.ProxyError("Unable to connect to proxy: Connection refused"))
    ('connect', 'the proxy failed: Connection refused')
    """
    text = str(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return "timeout", f"timed out reading the response: {_reason(text)}"
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return "http", f"the response broke off: {_reason(text)}"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls", f"TLS verification failed: {_reason(text)}"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "connect", f"the proxy failed: {_reason(text)}"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout", f"timed out: {_reason(text)}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        lowered = text.lower()
        if any(sign in lowered for sign in _DNS_SIGNS):
            return "dns", f"DNS lookup failed: {_reason(text)}"
        if "connection aborted" in lowered:  # connected, then dropped before any answer
            return "http", f"the server closed the connection without answering: {_reason(text)}"
        return "connect", f"connection failed: {_reason(text)}"
    return "http", _reason(text)


_DNS_SIGNS = (
    "name or service not known",
    "nodename nor servname",
    "failed to resolve",
    "temporary failure in name resolution",
)
_MARKERS = (
    "certificate verify failed: ",
    "Connection refused",
    "Connection reset by peer",
    "Remote end closed connection without response",
    "timed out",
)


def _reason(text: str) -> str:
    """The innermost reason of a urllib3 error chain, without the long wrapper text."""
    if found := re.search(r"(connect|read) timeout=([0-9.]+)", text):
        return f"no answer within {round(float(found[2]), 2):g} s ({found[1]} timeout)"
    if found := re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text):
        return f"the body ended after {found[1]} bytes, {found[2]} short of its Content-Length"
    if found := re.search(r"Failed to resolve '([^']*)' \(\[Errno [-0-9]+\] ([^)]*)\)", text):
        return f"{found[1]}: {found[2]}"
    for marker in _MARKERS:
        if marker in text:
            start = text.index(marker)
            reason = text[start : start + 120].split("')")[0].split("(_ssl")[0]
            return reason.rstrip("\"')").strip(" :")
    return text[-160:]


def _json_type(payload: str) -> dict[str, str]:
    return {"Content-Type": "application/json"} if payload else {}
