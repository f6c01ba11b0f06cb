"""Domain comparison and which domains may be local (the Public Suffix List and LGWAN naming)."""

from __future__ import annotations

import pytest

from gateway.domains import domain_matches, domain_of, local_domain_problem, normalize_domain


def test_internationalized_domains_compare_as_a_labels() -> None:
    assert normalize_domain(" 例え.JP. ") == "xn--r8jz45g.jp"
    assert domain_of("受付@市役所.例え.jp") == "xn--7sto6a74d.xn--r8jz45g.jp"
    assert domain_of("x@" + "ü" * 300) == "ü" * 300  # too long for IDNA: left as is, no crash
    assert domain_of("x@a..b") == "a..b"
    assert domain_of("nodomain") == domain_of("@x.jp") == ""


def test_a_domain_matches_itself_and_its_subdomains_only() -> None:
    local = ["city.example.lg.jp"]
    assert domain_matches("city.example.lg.jp", local)
    assert domain_matches("soumu.city.example.lg.jp", local)
    assert not domain_matches("xcity.example.lg.jp", local)
    assert not domain_matches("example.lg.jp", local)
    assert not domain_matches("", local)


@pytest.mark.parametrize("domain", [
    "localhost",  # the embedded default
    "city.nagoya.lg.jp", "pref.aichi.lg.jp", "city.example.lg.jp", "town.example.lg.jp",
    "city.fuchu.tokyo.lg.jp",
    "city.nagoya.jp",  # the PSL's exception under *.nagoya.jp
    "example.co.jp", "mail.example.com", "xn--r8jz45g.jp",
])
def test_real_organisation_domains_may_be_local(domain: str) -> None:
    assert local_domain_problem(domain) is None


@pytest.mark.parametrize(("domain", "says"), [
    ("lg.jp", "public suffix"),
    ("jp", "public suffix"),
    ("co.jp", "public suffix"),
    ("com", "public suffix"),
    ("tokyo.jp", "public suffix"),
    ("kawasaki.jp", "public suffix"),
    ("x.kawasaki.jp", "public suffix"),  # *.kawasaki.jp
    ("blogspot.com", "public suffix"),  # the PSL's private section counts too
    ("localdomain", "public suffix"),  # a single unknown label: a TLD for all we know
    ("nagoya.lg.jp", "several authorities"),
    ("aichi.lg.jp", "several authorities"),
    ("a b.example.jp", "not a domain"),
    ("x.test", "not a domain"),  # special-use: no address there can be valid
    ("-x.example.jp", "not a domain"),
])
def test_public_suffixes_and_shared_names_may_not(domain: str, says: str) -> None:
    problem = local_domain_problem(domain)
    assert problem is not None and says in problem and repr(domain) in problem
