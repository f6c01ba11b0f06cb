"""Domain names as the gateway compares them, and which of them may be a local domain.

Matching rule: a domain in a list matches itself and every subdomain, like Postfix's
relay_domains with parent_domain_matches_subdomains ("city.example.lg.jp" takes
soumu.city.example.lg.jp). Names are compared lower-case, without the root dot, with U-labels
as A-labels, so 例え.jp configured matches xn--r8jz45g.jp in an address and the other way round.

A local domain takes every subdomain, so one that is a public suffix would make the gateway
take (and, with a relay host, relay) mail for every organisation below it. The Public Suffix
List decides what is public (the copy bundled with `publicsuffixlist`: nothing is fetched at run
time), plus one rule of LGWAN naming that the list does not carry: under lg.jp the second label
is a locality (aichi.lg.jp, kyoto.lg.jp) that the prefecture and the city of the same name share
(pref.kyoto.lg.jp, city.kyoto.lg.jp), and only the third names one organisation. The list
itself has only lg.jp, so it would let kyoto.lg.jp take the mail of two authorities.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import email_validator
from publicsuffixlist import PublicSuffixList

_MAX_DOMAIN = 255
# RFC 6761 6.3 lets software treat "localhost" as it likes; here it names this host, the
# embedded default's only local domain. email-validator refuses it unless taken off its list
# of special-use names, which its documentation gives as the way to allow one.
LOCALHOST = "localhost"
if LOCALHOST in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(LOCALHOST)

_LG_JP = "lg.jp"


def normalize_domain(domain: str) -> str:
    """Lower-case, without the root dot, U-labels as A-labels when convertible."""
    domain = domain.strip().lower().rstrip(".")
    if domain.isascii() or len(domain) > _MAX_DOMAIN:
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def domain_of(address: str) -> str:
    local, at, domain = address.rpartition("@")
    return normalize_domain(domain) if at and local else ""


def domain_matches(domain: str, domains: Iterable[str]) -> bool:
    if not domain:
        return False
    return any(domain == d or domain.endswith("." + d) for d in domains)


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def local_domain_problem(domain: str) -> str | None:
    """Why `domain` (normalized) cannot be a local domain, or None when it can."""
    if domain == LOCALHOST:
        return None
    try:
        email_validator.validate_email(
            f"postmaster@{domain}", check_deliverability=False, globally_deliverable=False
        )
    except email_validator.EmailNotValidError as exc:
        return f"{domain!r} is not a domain an address can have: {exc}"
    if _public_suffixes().is_public(domain):
        return (
            f"{domain!r} is a public suffix: every domain under it would be local; "
            "give your own domain, e.g. city.example.lg.jp"
        )
    labels = domain.split(".")
    if domain.endswith("." + _LG_JP) and len(labels) < 4:
        return (
            f"{domain!r} is a locality under lg.jp that several authorities share "
            f"(pref.{labels[0]}.lg.jp, city.{labels[0]}.lg.jp); give your own, "
            f"e.g. city.{labels[0]}.lg.jp"
        )
    return None
