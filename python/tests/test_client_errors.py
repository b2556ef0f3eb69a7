"""The client's errors against a server that misbehaves on purpose (a few lines of
http.server on loopback), and the ones raised before anything is sent."""

from __future__ import annotations

import json
import pickle
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Tuple

import pytest

import driftql
from conftest import Served

SECRET = "SECRET123-ECHOED-TOKEN"


class Echo(BaseHTTPRequestHandler):
    """Answers by path: each answer echoes the Authorization header it was sent."""

    seen: List[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        auth = self.headers.get("Authorization", "")
        Echo.seen.append(self.path)
        if self.path.startswith("/v1/admin/user"):
            self._send(400, json.dumps({"error": "x" * 485 + " " + auth}).encode())
        elif "page=1" in self.path:
            self._send(500, f"upstream failed for {auth}\x1b[31m".encode())
        elif self.path.startswith("/v1/scan/protocols/prioritize"):
            self._send(429, b'{"error": "slow down"}', [("Retry-After", "7")])
        else:
            page = {"page": 0, "pages": 3, "result_count": 250, "results": [
                {"date": "2024-01-01", "id": f"r{n}", "items": []} for n in range(100)
            ]}
            self._send(200, json.dumps(page).encode())

    def _send(self, status: int, body: bytes, headers: List[Tuple[str, str]] = []) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _texts(e: BaseException) -> List[str]:
    return [str(e), repr(e), str(e.args), repr(pickle.loads(pickle.dumps(e)).__dict__)]


def test_an_echoed_token_never_shows(echo: str, no_env: None) -> None:
    client = driftql.Client(SECRET, echo, max_retries=0)
    with pytest.raises(driftql.ApiError) as caught:
        client.quota()
    assert caught.value.status == 400
    for text in _texts(caught.value):
        assert SECRET not in text and SECRET[:8] not in text
    assert "Bearer [redact" in str(caught.value)


def test_a_failed_page_names_itself_and_the_stream_goes_on_from_it(echo: str, no_env: None) -> None:
    client = driftql.Client(SECRET, echo, max_retries=0)
    got: List[str] = []
    with pytest.raises(driftql.ApiError) as caught:
        for report in client.reports("port-tcp:443"):
            got.append(report["id"])
    e = caught.value
    assert (e.status, e.page) == (500, 1)
    assert len(got) == 100
    for text in _texts(e):
        assert SECRET not in text and "\x1b" not in text
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is driftql.ApiError and (again.status, again.page) == (500, 1)
    Echo.seen.clear()
    with pytest.raises(driftql.ApiError):
        next(iter(client.reports("port-tcp:443", page=1)))
    # (A page the first stream had in flight may land here too; page 0 is never asked again.)
    assert any(p.endswith("page=1") for p in Echo.seen)
    assert all("page=" in p and not p.endswith("page=0") for p in Echo.seen), Echo.seen


def test_rate_limited_with_the_servers_wait(echo: str, no_env: None) -> None:
    client = driftql.Client(SECRET, echo, max_retries=0)
    with pytest.raises(driftql.RateLimited) as caught:
        client.prioritize("192.0.2.1", 443)
    assert caught.value.status == 429 and caught.value.retry_after == 7.0
    with pytest.raises(ValueError, match="not an IP address"):
        client.prioritize("example.com", 443)


def test_refused_before_sending(echo: str, no_env: None) -> None:
    client = driftql.Client(SECRET, echo, max_retries=0)
    Echo.seen.clear()
    long = driftql.parse(" or ".join(f"title:word{n}" for n in range(3000)))
    with pytest.raises(driftql.InvalidRequest) as caught:
        client.search(long)
    assert "URL" in str(caught.value) or "long" in str(caught.value)
    with pytest.raises(driftql.InvalidRequest):
        list(client.reports(long))
    assert Echo.seen == []


def test_prioritize_against_the_local_server(server: Served, no_env: None) -> None:
    client = driftql.Client(server.token, server.url, max_retries=0)
    assert client.prioritize("192.0.2.1", 443) is not None


def test_errors_pickle_with_their_attributes() -> None:
    with pytest.raises(driftql.SyntaxError) as caught:
        driftql.parse("title: x")
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is driftql.SyntaxError
    assert (again.code, again.span, again.line, again.column) == ("space-in-term", (6, 7), 1, 7)
    assert str(again) == str(caught.value)
