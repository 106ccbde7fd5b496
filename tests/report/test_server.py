"""The cleanup server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from phaseviz.report import serve_report
from phaseviz.report.cleanup import CleanupServer, inject_close_script

from reportdata import Offline

PAGE = "<!DOCTYPE html><html><body><p id=hello>hello</p></body></html>"


@pytest.fixture
def server():
    with CleanupServer(PAGE, grace=0.05) as running:
        yield running


def _request(server: CleanupServer, method: str, target: str, **headers: str):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request(method, target, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def _wait_gone(path: Path, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not path.exists()


def test_serves_its_private_file_with_the_close_script(server):
    status, body = _request(server, "GET", f"/?token={server.token}")

    assert status == 200
    assert b"<p id=hello>hello</p>" in body
    assert b'addEventListener("pagehide"' in body
    assert b"visibilitychange" not in body
    assert stat.S_IMODE(server.path.stat().st_mode) == 0o600


@pytest.mark.parametrize("target", ["/", "/?token=", "/?token=wrong", "/?tok=x"])
def test_refuses_a_missing_or_wrong_token(server, target):
    assert _request(server, "GET", target)[0] == 403
    assert _request(server, "POST", target.replace("/", "/closed", 1))[0] == 403
    assert server.path.exists()


def test_refuses_a_foreign_host_header(server):
    status, _ = _request(server, "GET", f"/?token={server.token}", Host="evil.test")
    assert status == 403


@pytest.mark.parametrize(
    "target",
    [
        "/../../etc/passwd",
        "/%2e%2e/",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/report.html",
        "//etc/passwd",
        "/closed/../",
        "/index.html?token={token}",
    ],
)
def test_refuses_any_other_path(server, target):
    status, body = _request(server, "GET", target.format(token=server.token))
    assert status == 404
    assert b"root:" not in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"])
def test_refuses_other_methods(server, method):
    assert _request(server, method, f"/?token={server.token}")[0] == 405


def test_close_beacon_needs_post(server):
    assert _request(server, "GET", f"/closed?token={server.token}")[0] == 405
    assert server.path.exists()


def test_close_beacon_deletes_the_file(server):
    status, _ = _request(server, "POST", f"/closed?token={server.token}")

    assert status == 204
    assert server.closed.wait(3)
    assert not server.path.exists()
    assert _request(server, "GET", f"/?token={server.token}")[0] == 410


def test_reload_within_the_grace_time_keeps_the_file():
    with CleanupServer(PAGE, grace=0.5) as server:
        _request(server, "POST", f"/closed?token={server.token}")
        assert _request(server, "GET", f"/?token={server.token}")[0] == 200
        time.sleep(0.7)
        assert server.path.exists() and not server.closed.is_set()


def test_close_script_goes_before_the_last_body_end():
    html = inject_close_script("<html><body>a</body></html>", "TOKEN")
    assert html.index('"/closed?token=TOKEN"') < html.index("</body>")
    assert inject_close_script("bare", "T").startswith("bare<script>")


def test_serve_report_prints_the_ssh_tunnel_without_a_browser(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    lines: list[str] = []

    outcome = serve_report(PAGE, open_browser=False, timeout=0.3, echo=lines.append)

    text = "\n".join(lines)
    assert outcome == "timeout"
    port = int(text.split("http://127.0.0.1:")[1].split("/")[0])
    import getpass
    import socket

    tunnel = (
        f"ssh -L {port}:127.0.0.1:{port} {getpass.getuser()}@{socket.gethostname()}"
    )
    assert tunnel in text
    path = Path(next(w for w in text.split() if w.endswith(".html.")).rstrip("."))
    assert path.name.startswith("phaseviz-report-")
    assert not path.exists()


def test_serve_report_stops_on_enter(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert serve_report(PAGE, open_browser=False, timeout=5, echo=lambda _: None) == (
        "enter"
    )


def test_end_of_input_is_not_enter(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert serve_report(PAGE, open_browser=False, timeout=0.3, echo=lambda _: None) == (
        "timeout"
    )


def test_no_browser_over_ssh(monkeypatch):
    from phaseviz.report.server import has_browser

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    assert has_browser() is False
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("SSH_CLIENT", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform.startswith("linux"):
        assert has_browser() is False


SERVE = """
import sys
from phaseviz.report import serve_report
serve_report("<html><body>x</body></html>", open_browser=False, wait_for_enter=False)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_termination_signals_remove_the_file(signum):
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        path = None
        assert process.stderr is not None
        for line in process.stderr:
            if "served from" in line:
                path = Path(line.split("served from", 1)[1].strip().rstrip("."))
                break
        assert path is not None and path.exists()

        process.send_signal(signum)
        assert process.wait(timeout=10) != 0
        assert not path.exists()
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.browser
def test_hidden_tab_keeps_the_file_and_closing_deletes_it(browser):
    with CleanupServer(PAGE, grace=0.1) as server:
        context = Offline(browser, allowed=(f"http://127.0.0.1:{server.port}/",))
        page = context.context.new_page()
        page.goto(server.url)
        assert page.inner_text("#hello") == "hello"

        page.evaluate("""() => {
          Object.defineProperty(document, 'hidden', {value: true, configurable: true});
          Object.defineProperty(document, 'visibilityState',
                                {value: 'hidden', configurable: true});
          document.dispatchEvent(new Event('visibilitychange'));
        }""")
        other = context.context.new_page()
        other.bring_to_front()
        time.sleep(0.4)
        assert server.path.exists() and not server.closed.is_set()

        page.close()
        assert server.closed.wait(5)
        assert _wait_gone(server.path)
        assert context.blocked == []
        context.context.close()


@pytest.mark.browser
def test_serve_report_ends_when_the_page_closes(browser):
    lines: list[str] = []
    outcome: list[str] = []
    thread = threading.Thread(
        target=lambda: outcome.append(
            serve_report(
                PAGE,
                open_browser=False,
                wait_for_enter=False,
                timeout=20,
                echo=lines.append,
            )
        )
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not any("then open" in line for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.02)
    url = next(line for line in lines if "then open" in line).split()[-1]

    context = Offline(browser, allowed=(url.split("/?")[0],))
    page = context.context.new_page()
    page.goto(url)
    page.wait_for_selector("#hello")
    page.close()
    thread.join(10)
    context.context.close()
    assert outcome == ["closed"]
