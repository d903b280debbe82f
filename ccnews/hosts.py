"""Which CC-NEWS responses belong to a source: by the host of the response's URL."""

from __future__ import annotations

from urllib.parse import urlsplit

HTML_TYPES = ("text/html", "application/xhtml+xml")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url_or_host: str) -> str:
    """The host a URL (or a bare host name) is matched on: lower case, without a leading `www.`
    (sites are archived under both), with the port only when it is not the scheme's default."""
    value = url_or_host.strip()
    parts = urlsplit(value if "//" in value else f"//{value}")
    host = (parts.hostname or "").rstrip(".")
    host = host.removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != _DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host


class HostMatcher:
    """Maps a response to the source whose host it is on; only successful HTML responses count
    (redirects, errors, images and PDFs are skipped unread)."""

    def __init__(self, hosts: dict[str, str]) -> None:
        self._by_host = {host_key(h): name for h, name in hosts.items()}

    def __call__(self, url: str, status: int, content_type: str) -> str | None:
        if status != 200 or not content_type.lower().lstrip().startswith(HTML_TYPES):
            return None
        return self._by_host.get(host_key(url))

    def __bool__(self) -> bool:
        return bool(self._by_host)
