"""A one-file HTTP server on 127.0.0.1 that deletes its file once the page closes.

The page is written to a private temporary file (mode 0600) and served at
``/?token=…``; the script added to it sends a beacon to ``/closed?token=…``
on ``pagehide``. Any other path is 404, any other method 405, a missing or
wrong token (or a foreign ``Host``) 403. Paths from a request are compared,
never opened.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

PAGE_PATH = "/"
CLOSE_PATH = "/closed"

# No request leaves the page except the beacon to this server.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'"
)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
# Only pagehide means the page is going away; a hidden tab is still open.
_CLOSE_SCRIPT = """<script>
(function () {
  var url = %s;
  window.addEventListener("pagehide", function () { navigator.sendBeacon(url); });
})();
</script>
"""


def inject_close_script(html: str, token: str) -> str:
    """``html`` with the script that reports the page's closing added.

    The script goes before the last ``</body>``, or at the end when there
    is none, so any page can be served.
    """
    url = json.dumps(f"{CLOSE_PATH}?token={token}")
    script = _CLOSE_SCRIPT % url
    at = html.lower().rfind("</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


class CleanupServer:
    """Serves one HTML page from a private temporary file, then deletes it.

    Args:
        html: The page; the closing beacon is added to it.
        port: The port on 127.0.0.1; 0 picks a free one.
        grace: Seconds to wait after the closing beacon before deleting the
            file, so that reloading the page does not lose it.

    Attributes:
        path: The temporary file (mode 0600).
        token: The secret every request must carry as ``?token=``.
        port: The port served on.
        closed: Set once the file is deleted.
    """

    def __init__(self, html: str, *, port: int = 0, grace: float = 1.0) -> None:
        self.token = secrets.token_urlsafe(32)
        self.grace = grace
        self.closed = threading.Event()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._thread: threading.Thread | None = None

        descriptor, name = tempfile.mkstemp(prefix="phaseviz-report-", suffix=".html")
        self.path = Path(name)
        os.chmod(self.path, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(inject_close_script(html, self.token))

        try:
            self._httpd = _Server(("127.0.0.1", port), _Handler, self)
        except OSError:
            self.path.unlink(missing_ok=True)
            raise
        self.port = self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The page's address, token included."""
        return f"http://127.0.0.1:{self.port}{PAGE_PATH}?token={self.token}"

    def start(self) -> None:
        """Serve in a background thread."""
        # A short poll keeps shutdown quick once the page is closed.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="phaseviz-report-server",
            daemon=True,
        )
        self._thread.start()
        logger.info("report page %s served on port %d", self.path, self.port)

    def page_closed(self) -> None:
        """The page said it is closing: delete the file after the grace time."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.grace, self.delete_file)
            self._timer.daemon = True
            self._timer.start()

    def page_opened(self) -> None:
        """The page was (re)loaded: keep the file."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def delete_file(self) -> None:
        """Delete the page's file and mark the server closed."""
        self.path.unlink(missing_ok=True)
        if not self.closed.is_set():
            logger.info("report page %s deleted", self.path)
        self.closed.set()

    def cleanup(self) -> None:
        """Delete the file and stop serving; safe to call more than once."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self.delete_file()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> CleanupServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections beyond it, and each dropped
    # one waits a second to try again: a burst from another local process
    # would stall the user's own page for seconds.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        owner: CleanupServer,
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    """Answers the page and the closing beacon; refuses everything else."""

    server: _Server
    _routes = {PAGE_PATH: "GET", CLOSE_PATH: "POST"}
    # A client that connects and then says nothing gives up its thread.
    timeout = 30

    def do_GET(self) -> None:
        """Answer a GET: the page."""
        self._route()

    def do_POST(self) -> None:
        """Answer a POST: the closing beacon."""
        self._route()

    def __getattr__(self, name: str) -> Any:
        # Every other method (PUT, DELETE, HEAD, anything) is refused alike.
        if name.startswith("do_"):
            return self._route
        raise AttributeError(name)

    def _route(self) -> None:
        # The request's path is compared, never opened: the only file ever
        # read is the owner's own.
        split = urlsplit(self.path)
        method = self._routes.get(split.path)
        if method is None:
            self._refuse(HTTPStatus.NOT_FOUND)
        elif self.command != method:
            self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": method})
        elif not self._authorized(split.query):
            self._refuse(HTTPStatus.FORBIDDEN)
        elif method == "GET":
            self._send_page()
        else:
            self._close_page()

    def _authorized(self, query: str) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in _LOCAL_HOSTS:
            return False
        given = parse_qs(query).get("token", [""])[0]
        return secrets.compare_digest(given.encode(), self.server.owner.token.encode())

    def _send_page(self) -> None:
        owner = self.server.owner
        try:
            body = owner.path.read_bytes()
        except FileNotFoundError:
            self._refuse(HTTPStatus.GONE)
            return
        owner.page_opened()
        self.send_response(HTTPStatus.OK)
        self._headers("text/html; charset=utf-8", len(body))
        self.send_header("Content-Security-Policy", _CSP)
        self.end_headers()
        self.wfile.write(body)

    def _close_page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 65536:
            self.rfile.read(length)
        self.send_response(HTTPStatus.NO_CONTENT)
        self._headers("text/plain", 0)
        self.end_headers()
        self.server.owner.page_closed()

    def _refuse(self, status: HTTPStatus, extra: dict[str, str] | None = None) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self._headers("text/plain; charset=utf-8", len(body))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _headers(self, content_type: str, length: int) -> None:
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")

    def log_message(self, format: str, *args: Any) -> None:
        """Log a request to the module's logger rather than stderr."""
        # The request line holds the token; log the route only.
        logger.debug("report server: %s %s", self.command, urlsplit(self.path).path)
