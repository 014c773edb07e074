"""The one HTTP transport: timeouts pinned, TLS verified, failures named by stage.

Real HTTPS servers on 127.0.0.1 with trustme certificates. The session's adapter is wrapped,
not replaced, to see what each request was given: the request still goes over the wire.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import trustme
from pytest_httpserver import HTTPServer
from requests.adapters import HTTPAdapter

from ikscheck.transport import HttpTransport, classify


class WatchingAdapter(HTTPAdapter):
    """requests' own adapter, keeping the keyword arguments of each send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(kwargs)
        return super().send(request, **kwargs)


def test_every_request_gets_the_policy_timeout_and_verified_tls(
    https_server: HTTPServer, ca: trustme.CA
) -> None:
    https_server.expect_request("/version").respond_with_data("ok")
    transport = HttpTransport(timeout=3.5)
    watching = WatchingAdapter()
    transport.session.mount("https://", watching)
    answer = transport.get(https_server.url_for("/version"), ca.cert_pem.bytes())
    assert (answer.status, answer.body, answer.stage) == (200, "ok", "")
    [sent] = watching.sent
    assert sent["timeout"] == 3.5
    assert sent["verify"] not in (False, None)  # a CA file: TLS is always verified


def test_one_session_serves_every_request(https_server: HTTPServer, ca: trustme.CA) -> None:
    https_server.expect_request("/a").respond_with_data("a")
    https_server.expect_request("/b").respond_with_data("b")
    transport = HttpTransport(timeout=2)
    watching = WatchingAdapter()
    transport.session.mount("https://", watching)
    bodies = [transport.get(https_server.url_for(p), ca.cert_pem.bytes()).body for p in "ab"]
    assert bodies == ["a", "b"]
    assert len(watching.sent) == 2


def test_the_transport_hands_back_what_came_and_redirects_are_not_followed(
    https_server: HTTPServer, ca: trustme.CA
) -> None:
    # Redaction is the live source's job: the transport returns the exchange as it was.
    https_server.expect_request("/old").respond_with_data(
        "", status=302, headers={"Location": "https://127.0.0.1:9/new", "X-Token": "t0k3n-visible"}
    )
    answer = HttpTransport(timeout=2).get(https_server.url_for("/old"), ca.cert_pem.bytes())
    assert answer.status == 302
    assert answer.headers["X-Token"] == "t0k3n-visible"


@pytest.mark.parametrize(
    ("exc", "stage", "start"),
    [
        (
            requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='x.invalid', port=443): Failed to resolve 'x.invalid' "
                "([Errno -2] Name or service not known)"
            ),
            "dns",
            "DNS lookup failed: ",
        ),
        (
            requests.exceptions.SSLError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                "certificate (_ssl.c:1006)')"
            ),
            "tls",
            "TLS verification failed: certificate verify failed: self-signed certificate",
        ),
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout", "timed out: "),
        (requests.exceptions.TooManyRedirects("too many"), "http", "too many"),
    ],
)
def test_classify_names_the_stage(
    exc: requests.exceptions.RequestException, stage: str, start: str
) -> None:
    found, message = classify(exc)
    assert found == stage
    assert message.startswith(start)
