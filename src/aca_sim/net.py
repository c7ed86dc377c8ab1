"""Network addresses: which ones only this machine reaches."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for a host name or address that only this machine reaches ("localhost",
    127.0.0.0/8, ::1); False for any other, or for a name that is not an address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
