"""A real HTTP server for the demo news site, bound to loopback only.

Stdlib only: ``ThreadingHTTPServer`` in a daemon thread for tests and demos (``start_demo_site``),
or in the foreground for ``newsflow demo-site`` (``serve``). Requests are recorded on the
``DemoSite`` object instead of being printed, so politeness and incremental-crawl tests can
check exactly what the crawler fetched. What each path serves is the route table (``routes``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .content import DemoArticle, load_articles
from .layouts import check_layout
from .listings import not_found_page
from .routes import HTML, build_routes

log = logging.getLogger(__name__)

_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$")


@dataclass(frozen=True)
class RequestRecord:
    """One answered request, as seen by the server."""

    method: str
    path: str
    status: int
    user_agent: str


class DemoHandler(BaseHTTPRequestHandler):
    """Serves the route table; GET and HEAD, with ETag/Last-Modified revalidation."""

    server: DemoHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "Apache/2.4.29"
    timeout = 15  # idle keep-alive connections must not pin threads forever

    def do_GET(self) -> None:  # noqa: N802 (name required by BaseHTTPRequestHandler)
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)

    def do_POST(self) -> None:  # noqa: N802
        """The comment form posts here; the demo site takes no comments."""
        self.close_connection = True
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def _base_url(self) -> str:
        """Absolute links use the Host the client asked for, like WordPress behind a proxy."""
        host = self.headers.get("Host", "")
        if not _HOST_HEADER.match(host):
            host, port = self.server.server_address[:2]
            host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return f"http://{host}"

    def _answer(self, with_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        routes = self.server.routes
        route = routes.get(path)
        if route is None and not path.endswith("/") and path + "/" in routes:
            self._redirect(path + "/")
            return
        base = self._base_url()
        if route is None:
            body = not_found_page(base, self.server.articles).encode("utf-8")
            self._send(HTTPStatus.NOT_FOUND, HTML, body, with_body)
            return
        if self.server.delay_seconds and route.content_type.startswith("text/html"):
            time.sleep(self.server.delay_seconds)  # a slow site: a crawl a test can stop midway
        content = route.render(base)
        body = content.encode("utf-8") if isinstance(content, str) else content
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag}
        if route.last_modified is not None:
            headers["Last-Modified"] = format_datetime(route.last_modified.astimezone(UTC), True)
        if self._not_modified(etag, route.last_modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(HTTPStatus.OK, route.content_type, body, with_body, headers)

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        """RFC 9110: If-None-Match wins; otherwise compare If-Modified-Since to the second."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None or last_modified is None:
            return False
        try:
            since_time = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if since_time.tzinfo is None:
            since_time = since_time.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since_time

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", self._base_url() + location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        with_body: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def version_string(self) -> str:
        return self.server_version

    def send_response(self, code: int, message: str | None = None) -> None:
        """Record the request before any byte reaches the client, so tests never race it."""
        headers = getattr(self, "headers", None)
        self.server.record(
            RequestRecord(
                method=getattr(self, "command", None) or "",
                path=getattr(self, "path", ""),
                status=int(code),
                user_agent=headers.get("User-Agent", "") if headers else "",
            )
        )
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        log.debug("%s - %s", self.address_string(), format % args)


class DemoHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the site's content and its request log."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], articles: list[DemoArticle], layout: str = "classic"
    ) -> None:
        self.address_family = _address_family(address[0])
        self.articles = articles
        self.routes = build_routes(articles, check_layout(layout))
        self.delay_seconds = 0.0
        self.requests: list[tuple[str, str]] = []
        self.request_log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        super().__init__(address, DemoHandler)

    def record(self, entry: RequestRecord) -> None:
        with self._log_lock:
            self.requests.append((entry.method, entry.path))
            self.request_log.append(entry)


def check_loopback(host: str) -> None:
    """The demo site must never be reachable from outside the machine."""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"demo site host must be a loopback address (127.0.0.0/8, ::1 or localhost), "
            f"not {host!r}"
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"refusing to bind the demo site to {host!r}: only loopback addresses "
            f"(127.0.0.0/8, ::1, localhost) are allowed"
        )


def _address_family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _make_server(host: str, port: int, layout: str = "classic") -> DemoHTTPServer:
    check_loopback(host)
    return DemoHTTPServer((host, port), load_articles(), layout)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class DemoSite:
    """A running demo site: ``url``, ``port``, the request log, and ``stop()``."""

    def __init__(self, server: DemoHTTPServer, host: str) -> None:
        self._server = server
        self.host = host
        self.port: int = server.server_address[1]
        self.url = _url(host, self.port)
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-site-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    @property
    def articles(self) -> list[DemoArticle]:
        """The articles being served (newest first)."""
        return self._server.articles

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request answered so far, in order; ``.clear()`` resets it."""
        return self._server.requests

    @property
    def request_log(self) -> list[RequestRecord]:
        """Like ``requests`` but with status and User-Agent."""
        return self._server.request_log

    def clear_requests(self) -> None:
        with self._server._log_lock:
            self._server.requests.clear()
            self._server.request_log.clear()

    def set_layout(self, layout: str) -> None:
        """Serve the articles in another layout from now on (a theme shipped overnight)."""
        self._server.routes = build_routes(self._server.articles, check_layout(layout))

    def set_delay(self, seconds: float) -> None:
        """Wait this long before every HTML page from now on (0: full speed)."""
        self._server.delay_seconds = seconds

    def url_for(self, path: str) -> str:
        return self.url + path

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> DemoSite:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DemoSite(url={self.url!r})"


def start_demo_site(host: str = "127.0.0.1", port: int = 0, layout: str = "classic") -> DemoSite:
    """Start the site in a background daemon thread and return at once (port 0: pick a free
    one); ``layout="redesign"`` serves the articles in changed markup (``layouts``)."""
    return DemoSite(_make_server(host, port, layout), host)


def serve(host: str, port: int, layout: str = "classic") -> None:
    """Run the site in the foreground until Ctrl-C (the ``newsflow demo-site`` command)."""
    server = _make_server(host, port, layout)
    url = _url(host, server.server_address[1])
    print(
        f"Demo news site ({len(server.articles)} articles) at {url}/  (Ctrl-C to stop)", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping demo site.", flush=True)
    finally:
        server.server_close()
