"""Who may send through us and to whom: pure decisions, no I/O, no SMTP replies.

Matching rules:
- Recipient domains: a domain in smtp.local_domains matches itself and every subdomain
  (gateway/domains.py). "postmaster" without a domain is always local (RFC 5321 4.5.1).
- Sender domains: the same domain-or-subdomain rule; the deny list wins over the allow list;
  an empty allow list allows every domain. The null sender <> (bounces) is never refused
  here, because RFC 5321 4.5.5 requires accepting it.
- Clients: deny wins over allow; an empty allow list allows every address; IPv4-mapped IPv6
  peers are matched as IPv4.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.domains import domain_matches, domain_of

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def recipient_is_local(address: str, local_domains: Sequence[str]) -> bool:
    if address.lower() == "postmaster":
        return True
    return domain_matches(domain_of(address), local_domains)


def is_null_sender(address: str) -> bool:
    return address in ("", "<>")


def sender_allowed(address: str, allow: Sequence[str], deny: Sequence[str]) -> bool:
    if is_null_sender(address):
        return True
    domain = domain_of(address)
    if domain_matches(domain, deny):
        return False
    return not allow or domain_matches(domain, allow)


def parse_address(host: str) -> IPAddress | None:
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    allow: tuple[IPNetwork, ...]
    deny: tuple[IPNetwork, ...]

    @classmethod
    def from_cidrs(cls, allow: Iterable[str], deny: Iterable[str]) -> ClientPolicy:
        return cls(
            allow=tuple(ipaddress.ip_network(n, strict=False) for n in allow),
            deny=tuple(ipaddress.ip_network(n, strict=False) for n in deny),
        )

    def allows(self, host: str) -> bool:
        if not self.allow and not self.deny:
            return True
        addr = parse_address(host)
        if addr is None:  # not an IP peer (e.g. a UNIX socket): only when nothing is required
            return not self.allow
        if any(addr in net for net in self.deny):
            return False
        return not self.allow or any(addr in net for net in self.allow)
