"""The SSRF guard: a webhook goes only to public addresses, unless a setting admits some networks.

The target's host is resolved once, every address it resolves to must be public (or inside a network of the
`webhook_allowed_networks` setting, e.g. `127.0.0.0/8,::1/128` for a receiver on this machine), and the request
then connects to that checked address (the Host header and TLS name stay the URL's), so a DNS answer that
changes between the check and the connection cannot point the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(Exception):
    """The target is not http(s), does not resolve, or resolves to an address the guard refuses."""


@dataclass(frozen=True)
class Target:
    url: str          # the URL to connect to: the checked address in place of the host name
    host_header: str  # the URL's own host[:port]
    tls_name: str | None  # the name TLS verifies (https only)


def networks(setting: str) -> list[Network]:
    """The networks of a `webhook_allowed_networks` value (comma-separated CIDRs); TargetRefused if malformed."""
    try:
        return [ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip()]
    except ValueError as exc:
        raise TargetRefused(f"the setting webhook_allowed_networks is malformed: {exc}") from None


def is_public(address: Address) -> bool:
    """Globally routable unicast (an IPv4-mapped IPv6 address is judged as its IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check(url: str, allowed: list[Network]) -> Target:
    """Resolve the URL's host and refuse it unless every address is public or allowed; the pinned target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http and https URLs with a host are delivered")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise TargetRefused(f"{parts.hostname} does not resolve: {exc}") from None
    addresses = sorted({ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}, key=str)
    for address in addresses:
        if not is_public(address) and not any(address in net for net in allowed):
            raise TargetRefused(f"{parts.hostname} resolves to {address}, which is not a public address "
                                "(private, loopback, link-local or reserved)")
    if not addresses:
        raise TargetRefused(f"{parts.hostname} does not resolve")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    pinned = parts._replace(netloc=f"{literal}:{port}").geturl()
    return Target(url=pinned, host_header=parts.netloc.rsplit("@", 1)[-1],
                  tls_name=parts.hostname if parts.scheme == "https" else None)
