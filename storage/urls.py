"""URL identity: one article, one key, however a feed or a share link spelled its URL."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "_gl",
    "ocid",
    "cmpid",
    "smid",
    "ncid",
    "icid",
    "mkt_tok",
    "ref",
    "ref_src",
    "ref_url",
    "share",
    "amp",
    "output",
}
# utm_ (Google Analytics), pk_ (Piwik), mtm_ (Matomo), hsa_ (HubSpot ads).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))
