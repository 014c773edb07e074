"""The one HTTP transport: timeouts pinned, TLS verified, retries within a budget, stages named.

Real HTTPS servers on 127.0.0.1 with trustme certificates: pytest-httpserver for HTTP answers,
a raw TLS socket server for what HTTP servers do not do (reset a connection, never answer).
The session's adapter is wrapped, not replaced, to see what each request was given.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests
import trustme
from pytest_httpserver import HTTPServer
from requests.adapters import BaseAdapter
from werkzeug import Request, Response

import testenv
from ikscheck.transport import MAX_BODY_BYTES, HttpTransport, classify

PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


class Watching(BaseAdapter):
    """Wraps an adapter, keeping the keyword arguments of each send."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner = inner
        self.sent: list[dict[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(kwargs)
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def watch(transport: HttpTransport) -> Watching:
    watching = Watching(transport.session.get_adapter("https://"))
    transport.session.mount("https://", watching)
    return watching


class RawTlsServer:
    """A TLS server on 127.0.0.1 doing to each connection what ``plan`` says, in turn (the last
    step repeats): "reset" reads the request and closes with a TCP RST, "silent" reads it and
    never answers, "ok" answers 200 "ok"."""

    def __init__(self, ca: trustme.CA, plan: list[str]) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.plan = plan
        self.connections = 0
        self.held: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # how often the loop looks whether to stop
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}/v"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawTlsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for conn in self.held:
            conn.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:  # the accept timed out: look at stopping again
                continue
            step = self.plan[min(self.connections, len(self.plan) - 1)]
            self.connections += 1
            try:
                self._answer(raw, step)
            except OSError:  # the client gave up first: nothing to answer
                raw.close()

    def _answer(self, raw: socket.socket, step: str) -> None:
        raw.settimeout(2)
        conn = self.context.wrap_socket(raw, server_side=True)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            request += chunk
        if step == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        elif step == "silent":
            self.held.append(conn)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()


@pytest.fixture
def pem(ca: trustme.CA) -> bytes:
    return bytes(ca.cert_pem.bytes())


@pytest.fixture
def threaded_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    """Like ``https_server``, answering each request in a thread of its own."""
    with testenv.https_server(ca, threaded=True) as server:
        yield server


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize(("timeout", "pinned"), [(3.5, (3.5, 3.5)), (30, (10, 30))])
def test_every_request_gets_connect_and_read_timeouts_and_verified_tls(
    https_server: HTTPServer, pem: bytes, timeout: float, pinned: tuple[float, float]
) -> None:
    https_server.expect_request("/version").respond_with_data("ok")
    transport = HttpTransport(timeout=timeout)
    watching = watch(transport)
    answer = transport.get(https_server.url_for("/version"), pem)
    assert (answer.status, answer.body, answer.stage, answer.error) == (200, "ok", "", "")
    [sent] = watching.sent
    assert sent["timeout"] == pinned
    assert sent["verify"] not in (False, None)  # a CA file: TLS is always verified


def test_one_session_serves_every_request(https_server: HTTPServer, pem: bytes) -> None:
    https_server.expect_request("/a").respond_with_data("a")
    https_server.expect_request("/b").respond_with_data("b")
    transport = HttpTransport(timeout=2)
    watching = watch(transport)
    bodies = [transport.get(https_server.url_for(p), pem).body for p in "ab"]
    assert bodies == ["a", "b"]
    assert len(watching.sent) == 2


def test_the_transport_hands_back_what_came_and_redirects_are_not_followed(
    https_server: HTTPServer, pem: bytes
) -> None:
    # Redaction is the live source's job: the transport returns the exchange as it was.
    https_server.expect_request("/old").respond_with_data(
        "", status=302, headers={"Location": "https://127.0.0.1:9/new", "X-Token": "t0k3n-visible"}
    )
    answer = HttpTransport(timeout=2).get(https_server.url_for("/old"), pem)
    assert answer.status == 302
    assert answer.headers["X-Token"] == "t0k3n-visible"
    assert len(https_server.log) == 1


def test_without_a_ca_requests_ca_bundle_or_the_system_store_verifies(
    https_server: HTTPServer, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    https_server.expect_request("/v").respond_with_data("ok")
    bundle = tmp_path / "bundle.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    transport = HttpTransport(timeout=2, retries=0)
    assert transport.get(https_server.url_for("/v")).status == 200
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    refused = transport.get(https_server.url_for("/v"))
    assert (refused.status, refused.stage) == (None, "tls")
    assert "attempts" not in refused.error  # no retry mends a failed verification


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_passing_failure_is_retried(https_server: HTTPServer, pem: bytes, status: int) -> None:
    https_server.expect_ordered_request("/v").respond_with_data("busy", status=status)
    https_server.expect_ordered_request("/v").respond_with_data("ok")
    answer = HttpTransport(timeout=2).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body, answer.error) == (200, "ok", "")
    assert len(https_server.log) == 2


def test_other_failures_are_not_retried(https_server: HTTPServer, pem: bytes) -> None:
    https_server.expect_request("/v").respond_with_data(
        "broken", status=500, headers={"Retry-After": "0"}
    )
    answer = HttpTransport(timeout=2).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body, answer.error) == (500, "broken", "")
    assert len(https_server.log) == 1


def test_an_unreadable_retry_after_backs_off_instead(https_server: HTTPServer, pem: bytes) -> None:
    https_server.expect_ordered_request("/v").respond_with_data(
        "busy", status=503, headers={"Retry-After": "soon"}
    )
    https_server.expect_ordered_request("/v").respond_with_data("ok")
    answer = HttpTransport(timeout=2).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body, answer.error) == (200, "ok", "")


def test_too_many_requests_waits_as_long_as_retry_after_says(
    https_server: HTTPServer, pem: bytes
) -> None:
    https_server.expect_ordered_request("/v").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    https_server.expect_ordered_request("/v").respond_with_data("ok")
    answer = HttpTransport(timeout=2).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body) == (200, "ok")
    assert len(https_server.log) == 2
    assert answer.duration >= 0.9  # a sleep is never shorter than asked


@pytest.mark.parametrize("after", ["seconds", "http-date"])
def test_a_retry_after_beyond_the_budget_hands_back_the_429_at_once(
    https_server: HTTPServer, pem: bytes, after: str
) -> None:
    wait = "3600" if after == "seconds" else formatdate(time.time() + 3600, usegmt=True)
    https_server.expect_request("/v").respond_with_data(
        "quota", status=429, headers={"Retry-After": wait}
    )
    answer = HttpTransport(timeout=2).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body, answer.stage, answer.error) == (429, "quota", "", "")
    assert len(https_server.log) == 1


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_spent_hand_back_the_last_answer(
    https_server: HTTPServer, pem: bytes, retries: int
) -> None:
    https_server.expect_request("/v").respond_with_data("busy", status=503)
    answer = HttpTransport(timeout=2, retries=retries).get(https_server.url_for("/v"), pem)
    assert (answer.status, answer.body, answer.stage, answer.error) == (503, "busy", "", "")
    assert len(https_server.log) == retries + 1


def test_a_post_sends_its_form_encoded_with_its_headers_and_is_retried(
    https_server: HTTPServer, pem: bytes
) -> None:
    seen: list[tuple[str, dict[str, str], str, str]] = []

    def answer(request: Request) -> Response:
        headers = request.headers
        seen.append(
            (
                headers.get("Content-Type", ""),
                request.form.to_dict(),
                headers.get("Authorization", ""),
                headers.get("Accept", ""),
            )
        )
        status = 503 if len(seen) == 1 else 200
        return Response('{"access_token": "t"}', status=status, content_type="application/json")

    https_server.expect_request("/identity/token", method="POST").respond_with_handler(answer)
    form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "k&y=1"}
    headers = {"Authorization": "Basic Yng6Yng=", "Accept": "application/json"}
    result = HttpTransport(timeout=2).send(
        "POST", https_server.url_for("/identity/token"), form=form, headers=headers, ca_pem=pem
    )
    assert (result.status, result.body) == (200, '{"access_token": "t"}')
    sent = ("application/x-www-form-urlencoded", form, headers["Authorization"], headers["Accept"])
    assert seen == [sent, sent]


def test_a_reset_connection_is_retried(ca: trustme.CA, pem: bytes) -> None:
    with RawTlsServer(ca, ["reset", "ok"]) as server:
        answer = HttpTransport(timeout=2).get(server.url, pem)
    assert (answer.status, answer.body, answer.error) == (200, "ok", "")
    assert server.connections == 2


def test_a_connection_always_reset_ends_naming_it(ca: trustme.CA, pem: bytes) -> None:
    with RawTlsServer(ca, ["reset"]) as server:
        answer = HttpTransport(timeout=2, retries=2).get(server.url, pem)
    assert (answer.status, answer.stage) == (None, "http")
    assert answer.error.startswith("the server closed the connection without answering: ")
    # Under TLS, Python's ssl reads a reset as the end of the stream: "Remote end closed".
    assert "reset" in answer.error or "Remote end closed" in answer.error
    assert answer.error.endswith("(after 3 attempts)")
    assert server.connections == 3


def test_a_server_that_never_answers_times_out_without_a_retry(ca: trustme.CA, pem: bytes) -> None:
    with RawTlsServer(ca, ["silent"]) as server:
        answer = HttpTransport(timeout=0.5).get(server.url, pem)
    assert (answer.status, answer.stage) == (None, "timeout")
    assert server.connections == 1


def test_an_attempt_never_outlasts_the_budget(ca: trustme.CA, pem: bytes) -> None:
    with RawTlsServer(ca, ["silent"]) as server:
        answer = HttpTransport(timeout=5, budget=0.6).get(server.url, pem)
    assert answer.stage == "timeout"
    found = re.fullmatch(r"timed out: no answer within ([0-9.]+) s \(read timeout\)", answer.error)
    assert found, answer.error
    assert float(found[1]) <= 0.6  # the read timeout was cut from 5 s to the budget left


def test_the_budget_ends_retries_early(https_server: HTTPServer, pem: bytes) -> None:
    def slowly(request: Request) -> Response:
        time.sleep(0.4)
        return Response("busy", status=503, headers={"Retry-After": "0"})

    https_server.expect_request("/v").respond_with_handler(slowly)
    answer = HttpTransport(timeout=2, budget=1, retries=3).get(https_server.url_for("/v"), pem)
    assert answer.status == 503 or answer.stage == "timeout"
    assert 1 <= len(https_server.log) < 4  # a large budget would have allowed 4


@pytest.mark.parametrize("extra", [0, 1])
def test_a_body_over_the_cap_is_cut_and_said_to_be(
    https_server: HTTPServer, pem: bytes, extra: int
) -> None:
    https_server.expect_request("/big").respond_with_data(b"x" * (MAX_BODY_BYTES + extra))
    answer = HttpTransport(timeout=5).get(https_server.url_for("/big"), pem)
    assert (answer.status, len(answer.body)) == (200, MAX_BODY_BYTES)
    if extra:
        assert (answer.stage, answer.error) == ("http", "the body is larger than 1 MiB: cut")
    else:
        assert (answer.stage, answer.error) == ("", "")


def test_https_proxy_is_used_and_no_proxy_bypasses_it(
    https_server: HTTPServer, pem: bytes, dead_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    https_server.expect_request("/v").respond_with_data("ok")
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:secret@127.0.0.1:{dead_port}")
    transport = HttpTransport(timeout=2, retries=0)
    refused = transport.get(https_server.url_for("/v"), pem)
    assert (refused.status, refused.stage) == (None, "connect")
    assert refused.error.startswith("the proxy failed: Connection refused")
    assert refused.error.endswith(f"(proxy http://127.0.0.1:{dead_port})")  # no password
    assert len(https_server.log) == 0
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert transport.get(https_server.url_for("/v"), pem).status == 200


def test_a_refused_proxy_is_not_retried(
    https_server: HTTPServer, pem: bytes, dead_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens there now, nor in 0.4 s: a retry would only make a broken setup slower.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead_port}")
    answer = HttpTransport(timeout=2, retries=3).get(https_server.url_for("/v"), pem)
    assert answer.stage == "connect"
    assert "attempts" not in answer.error


def test_threads_share_one_transport(threaded_server: HTTPServer, pem: bytes) -> None:
    def slowly(request: Request) -> Response:
        time.sleep(0.1)
        return Response(request.path)

    threaded_server.expect_request(re.compile("/n/[0-9]+")).respond_with_handler(slowly)
    transport = HttpTransport(timeout=5)
    urls = [threaded_server.url_for(f"/n/{n}") for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda url: transport.get(url, pem), urls))
    assert [(a.status, a.body) for a in answers] == [(200, f"/n/{n}") for n in range(8)]


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
        (
            requests.exceptions.ProxyError(
                "HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: / "
                "(Caused by ProxyError('Unable to connect to proxy', NewConnectionError("
                "'<HTTPSConnection(host='p', port=3128)>: Failed to establish a new connection: "
                "[Errno 111] Connection refused')))"
            ),
            "connect",
            "the proxy failed: Connection refused",
        ),
        (
            requests.exceptions.ConnectionError(
                "('Connection aborted.', RemoteDisconnected('Remote end closed connection "
                "without response'))"
            ),
            "http",
            "the server closed the connection without answering: Remote end closed connection "
            "without response",
        ),
    ],
)
def test_classify_names_the_stage(
    exc: requests.exceptions.RequestException, stage: str, start: str
) -> None:
    found, message = classify(exc)
    assert found == stage
    assert message.startswith(start)
