"""URLs and hosts compared one way everywhere: whether two URLs name the same endpoint (a token goes only to
the server it belongs to) and whether a host is loopback (a server without authentication listens only there)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def normalise(url: str) -> str:
    """``url`` compared as scheme, host, port and path: case-insensitive where URLs are, no trailing slash.
    Raises ``ValueError`` for a port that is not a number."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}:{port}{parts.path.rstrip('/')}"


def same_url(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name the same endpoint (``http://h`` and ``http://h:80/`` do)."""
    try:
        return normalise(a) == normalise(b)
    except ValueError:
        return a.strip().rstrip("/") == b.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.x.x.x`` or ``::1`` (brackets allowed)."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
