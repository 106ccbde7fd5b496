"""The temporary page's server, attacked from 127.0.0.1.

Requests without or with a wrong token, path traversal in every spelling,
every other method, a foreign Host, overlong lines, and hundreds of these
at once. None may get any content but the server's own page (and that only
with the token), and none may delete anything: sentinel files beside the
page's file and in the working directory must survive, as must the page
until it is closed.
"""

from __future__ import annotations

import random
import socket
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from phaseviz.report.cleanup import CleanupServer

from .conftest import Tally

PAGE = "<!DOCTYPE html><html><body><p>the page itself</p></body></html>"
SECRET = "sentinel-contents-that-must-never-be-served"
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"]
METHODS += ["CONNECT", "PROPFIND", "get", "FOO"]
SEED = 7


def _traversals(page: Path) -> list[str]:
    names = [page.name, "sentinel.txt", "etc/passwd", "closed"]
    spelled = ["../", "..%2f", "%2e%2e/", "%2e%2e%2f", "..\\", "..%5c", "%252e%252e/"]
    targets = [
        "/" + up * depth + name for up in spelled for depth in (1, 3) for name in names
    ]
    return [
        *targets,
        "//etc/passwd",
        "///etc/passwd",
        "/\\etc\\passwd",
        str(page),
        "file://" + str(page),
        "http://evil.example/" + page.name,
        "/" + page.name,
        "/./",
        "/%2e/",
        "/%00",
        "/closed/../" + page.name,
        "/?token=../../etc/passwd",
        "/" + "a" * 70_000,
        "*",
    ]


class Attacker:
    """Sends raw requests to the server and checks what comes back."""

    def __init__(self, server: CleanupServer, sentinels: list[Path]) -> None:
        self.server = server
        self.forbidden = [SECRET.encode(), b"root:x:0:0", str(sentinels[0]).encode()]
        self.page = server.path.read_bytes()

    def send(self, method: str, target: str, host: str = "127.0.0.1") -> int:
        request = f"{method} {target} HTTP/1.1\r\nHost: {host}:{self.server.port}\r\n"
        request += "Content-Length: 0\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.server.port), 10) as sock:
            sock.settimeout(10)
            sock.sendall(request.encode("latin-1"))
            answer = _receive(sock)
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
        body = answer.partition(b"\r\n\r\n")[2]
        for forbidden in self.forbidden:
            assert forbidden not in body, (method, target[:80])
        if status == 200:
            assert body == self.page, (method, target[:80])
        return status


def _receive(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A running server, with sentinel files beside its page and in the cwd."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    with CleanupServer(PAGE, grace=0.05) as server:
        sentinels = [temporary / "sentinel.txt", work / "sentinel.txt"]
        sentinels += [temporary / "phaseviz-report-other.html", work / "report.html"]
        for path in sentinels:
            path.write_text(SECRET)
        yield server, sentinels, Attacker(server, sentinels)


def _intact(server: CleanupServer, sentinels: list[Path], tally: Tally) -> None:
    gone = [p for p in sentinels if not p.exists() or p.read_text() != SECRET]
    tally.lost += len(gone)
    assert not gone, gone
    assert server.path.exists(), "the page was deleted without being closed"


def test_every_request_without_the_token_is_refused(guarded, tally: Tally):
    server, sentinels, attacker = guarded
    wrong = ["", "?token=", "?token=wrong", f"?token={server.token[:-1]}"]
    wrong += [f"?token={server.token}x", f"?tok={server.token}"]
    for method in METHODS:
        for query in wrong:
            for path in ("/", "/closed"):
                status = attacker.send(method, path + query)
                tally.inputs += 1
                assert status in (400, 403, 405, 501), (method, path + query, status)
    _intact(server, sentinels, tally)


def test_path_traversal_never_reaches_another_file(guarded, tally: Tally):
    server, sentinels, attacker = guarded
    for target in _traversals(server.path):
        for query in ("", f"?token={server.token}", f"&token={server.token}"):
            joined = target + query if "?" not in target else target + "&" + query[1:]
            status = attacker.send("GET", joined)
            tally.inputs += 1
            assert status != 200 or joined.split("?")[0] in ("/", ""), (joined, status)
    _intact(server, sentinels, tally)


def test_the_right_token_opens_only_the_page_with_get_and_a_local_host(
    guarded, tally: Tally
):
    server, sentinels, attacker = guarded
    token = f"?token={server.token}"
    assert attacker.send("GET", "/" + token) == 200
    absolute = f"http://127.0.0.1:{server.port}/{token}"
    assert attacker.send("GET", absolute) == 200
    for host in ("evil.example", "127.0.0.1.evil.example", "0.0.0.0", "10.0.0.1"):
        assert attacker.send("GET", "/" + token, host=host) == 403
        tally.inputs += 1
    for method in METHODS:
        if method not in ("GET", "POST", "HEAD"):
            assert attacker.send(method, "/" + token) in (405, 501), method
            assert attacker.send(method, "/closed" + token) in (405, 501), method
            tally.inputs += 2
    assert attacker.send("POST", "/" + token) == 405
    assert attacker.send("GET", "/closed" + token) == 405
    tally.inputs += 4
    _intact(server, sentinels, tally)


@pytest.mark.parametrize(
    "requests",
    [
        pytest.param(200, id="fast"),
        pytest.param(5000, id="soak", marks=pytest.mark.soak),
    ],
)
def test_hundreds_of_hostile_requests_at_once(guarded, tally: Tally, requests: int):
    server, sentinels, attacker = guarded
    rng = random.Random(SEED)
    targets = _traversals(server.path) + ["/", "/closed", "/?token=nope"]
    plan = [(rng.choice(METHODS), rng.choice(targets)) for _ in range(requests)]

    # Half a dozen clients that connect and say nothing hold threads open
    # meanwhile, as a stalled browser would.
    idle = [socket.create_connection(("127.0.0.1", server.port), 10) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(lambda mt: attacker.send(*mt), plan, timeout=120))
    for sock in idle:
        sock.close()
    tally.inputs += requests
    tally.note("concurrent requests", requests)

    assert all(
        status != 200 or method == "GET"
        for (method, _), status in zip(plan, statuses, strict=True)
    )
    assert attacker.send("GET", f"/?token={server.token}") == 200
    _intact(server, sentinels, tally)


def test_closing_the_page_deletes_its_file_and_nothing_else(guarded, tally: Tally):
    server, sentinels, attacker = guarded
    assert attacker.send("POST", f"/closed?token={server.token}") == 204
    assert server.closed.wait(5)
    assert not server.path.exists()
    server.cleanup()
    tally.inputs += 1
    gone = [p for p in sentinels if not p.exists()]
    tally.lost += len(gone)
    assert not gone
