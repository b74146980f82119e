"""The unit the per-address limits count (bind lock, console sign-in, web chat)."""

from __future__ import annotations

import pytest

from bot.core.addresses import client_network


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client seen through an IPv6 socket
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),  # the same household
        ("not an address" + "x" * 100, ("not an address" + "x" * 100)[:64]),
    ],
)
def test_a_client_counts_by_its_address_or_its_ipv6_network(address, counted):
    assert client_network(address) == counted
