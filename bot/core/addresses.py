"""The unit a per-address limit counts: a client's address, or an IPv6 client's whole /64.

One household or phone is given a whole IPv6 /64, so counting single addresses there would be no
limit at all; an IPv4-mapped address (::ffff:203.0.113.7) is that IPv4 client. The bind lock, the
console's sign-in throttle and the web chat's limits all count this way.
"""

from __future__ import annotations

import ipaddress

#: the longest text kept for something that is no address (a proxy's odd header)
MAX_UNPARSED = 64


def client_network(address: str) -> str:
    """The address itself, its /64 network for IPv6, or its IPv4 form when IPv4-mapped."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:MAX_UNPARSED]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
