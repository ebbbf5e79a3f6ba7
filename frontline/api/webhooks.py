"""Sending one webhook: sign it (Standard Webhooks) and POST it to an address
that is not ours to protect.

No request goes to loopback, link-local, private or otherwise reserved
addresses unless ``WEBHOOK_ALLOW_PRIVATE`` is set: a webhook must not become a
way to reach services inside our network (SSRF). The name is resolved once,
checked, and the connection made to that very address (a second lookup could
answer differently). Redirects are not followed.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks.webhooks import Webhook

# What is kept of a receiver's answer, for the delivery log.
RESPONSE_KEPT = 1000


class Refused(Exception):
    """The address may not be called (a reason for the delivery log)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def signed_headers(
    secret: str, message_id: str, at: datetime.datetime, body: str
) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": "Frontline-Webhooks/1",
    }


def check_url(url: str) -> None:
    """``Refused`` unless ``url`` is http(s) with a host name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Only http and https addresses with a host name are called.")


def _allowed_address(host: str, port: int) -> str:
    """The first address ``host`` resolves to, if every one of them may be called."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host name does not resolve ({exc}).") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise Refused("The host name does not resolve.")
    if not settings.FRONTLINE["WEBHOOK_ALLOW_PRIVATE"]:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise Refused(f"{address} is a private or reserved address.")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, **kwargs: Any) -> None:
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: str, headers: dict[str, str]) -> Answer:
    """POST ``body``; the receiver's status and the start of its answer.
    ``Refused`` for an address that may not be called; ``OSError`` (timeouts
    among them) when the receiver cannot be reached."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _allowed_address(host, port)
    timeout = settings.FRONTLINE["WEBHOOK_TIMEOUT_SECONDS"]
    connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = connection_class(host, address, port=port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        kept = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
        return Answer(response.status, kept)
    except http.client.HTTPException as exc:
        raise OSError(f"Not an HTTP answer: {exc!r}") from None
    finally:
        connection.close()


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)
