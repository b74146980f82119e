"""What a request says about its client when a reverse proxy may stand in front (web chat, console).

Only with ``trust_proxy`` are ``X-Forwarded-For`` / ``X-Forwarded-Proto`` believed: without a proxy
that overwrites them, any visitor could set them.
"""

from __future__ import annotations

from aiohttp import web


def client_ip(request: web.Request, trust_proxy: bool) -> str:
    """The client's address: the last hop of X-Forwarded-For (the one the proxy saw) when trusted."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.remote or "?"


def is_https(request: web.Request, trust_proxy: bool) -> bool:
    """Whether the browser's connection is HTTPS (directly, or at a trusted proxy)."""
    if request.secure:
        return True
    return trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https"
