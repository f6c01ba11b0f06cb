"""URLs a reader can see but not follow by accident, and never mistake for another site.

Only http(s), ftp and mailto survive; any other scheme (javascript:, data:, file:, cid:, ...)
is removed, however it is disguised. Under DEFANG the scheme and every dot of the host are
broken (`hxxps://example[.]com/`) so no client turns them back into links; userinfo is moved
out of the URL because `http://paypal.com@evil.example/` goes to evil.example. Hosts are shown
in punycode so a Cyrillic `а` cannot pass for a Latin `a`.

In text, a host without a scheme counts too, because clients link `evil.example.com/path`
and even `evil.example.com` by themselves: any dotted run of ASCII labels ending in an
alphabetic label (`example.co.jp`, `invoice.zip`, the domain of `a@example.com`) has its dots
defanged under DEFANG, and with a path after it is a URL (removed under REMOVE). Names whose
last label is a common file extension that is no top-level domain (`report.pdf`, `setup.exe`)
and anything without a letter label at the end (`1.2.3`, `e.g.`) are left as written.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import unquote

import idna

from gateway.pipeline.labels import label
from gateway.pipeline.textclean import strip_invisible
from gateway.types import Language, UrlPolicy

MAX_URL_CHARS = 2000
_MAX_HOST = 253
_MAX_LABEL = 63
_MAX_ADDRESSES = 20  # in one mailto:, more is no message to a person
_CUT = "…"
_DEFANGED_SCHEME = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}
_WEB_SCHEMES = frozenset(_DEFANGED_SCHEME)
_SHOWN_SCHEMES = _WEB_SCHEMES | {"mailto"}

# Browsers drop tab and newline anywhere in a URL and C0 controls and spaces at either end:
# `java\tscript:` runs as javascript:, so the scheme is judged on the same cleaned string.
_DROPPED_ANYWHERE = dict.fromkeys([0x09, 0x0A, 0x0D])
_EDGE = "".join(chr(c) for c in range(0x21)) + "\u3000"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_BARE_HOST = re.compile(r"www\d{0,3}\.", re.IGNORECASE)
_IDEOGRAPHIC_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})
_UNSHOWABLE = re.compile(r"[\s<>]")
_ESCAPES = {"<": "%3C", ">": "%3E"}
_AUTHORITY = re.compile(r"[^/?#]*")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_INNER_SCHEME = re.compile(r"(https?|ftp)://", re.IGNORECASE)


def _cap(text: str) -> str:
    return text if len(text) <= MAX_URL_CHARS else text[: MAX_URL_CHARS - 1] + _CUT


def _ascii_host(host: str) -> str:
    """Lowercase ASCII; every non-ASCII label in punycode, whatever the IDNA rules think of it."""
    if "%" in host:
        host = unquote(host)
    if host.isascii():
        return host.lower()
    # Punycode is quadratic in a label's distinct characters (a crafted 8,000-character label
    # took 17 s); no DNS name is longer than 253 characters or has a label over 63.
    return _punycode_host(host[:_MAX_HOST])


@functools.lru_cache(maxsize=4096)  # IDNA in Python costs ~15 us; a mail repeats its hosts
def _punycode_host(host: str) -> str:
    host = host.translate(_IDEOGRAPHIC_DOTS)
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        pass
    # Neither codec accepts it (emoji, underscores, a 64-char label): punycode each label
    # raw, so the reader still never sees a non-ASCII host.
    labels = []
    for part in host.lower().split("."):
        part = part[:_MAX_LABEL]
        labels.append(part if part.isascii() else "xn--" + part.encode("punycode").decode())
    return ".".join(labels)


def _defang_host(host: str) -> str:
    return host.replace(".", "[.]")


def _show_path(rest: str) -> str:
    # A URL is shown between spaces and angle brackets; whitespace in a href would split it.
    if not _UNSHOWABLE.search(rest):
        return rest
    return _UNSHOWABLE.sub(lambda found: _ESCAPES.get(found.group(), "%20"), rest)


def _mailto(rest: str, policy: UrlPolicy) -> str | None:
    addresses = []
    decoded = strip_invisible(unquote(rest.split("?", 1)[0]))  # %E2%80%AE is a bidi override
    for raw in decoded.split(",")[:_MAX_ADDRESSES]:
        local, at, domain = raw.strip().rpartition("@")
        if not at or not local or not domain:
            continue
        domain = _ascii_host(domain)
        if policy is UrlPolicy.DEFANG:
            domain = _defang_host(domain)
        addresses.append(f"{_show_path(local)}@{domain}")
    return _cap(", ".join(addresses)) if addresses else None


def _web(scheme: str, rest: str, policy: UrlPolicy) -> str:
    """`rest` is everything after `scheme:`; an empty scheme means a bare `www.` host."""
    if "\\" in rest:
        rest = rest.replace("\\", "/")
    slashes = "//" if scheme else ""
    if scheme:
        rest = rest.lstrip("/")
    authority_end = _AUTHORITY.match(rest)
    cut = authority_end.end() if authority_end else 0
    authority, tail = rest[:cut], rest[cut:]
    userinfo, _, hostport = authority.rpartition("@")
    if _IPV6.fullmatch(hostport.partition("]")[0] + "]"):  # no dots to defang, no IDNA
        host, _, port = hostport.partition("]")
        host += "]"
        port = port[1:] if port.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
        host = _ascii_host(host)
    port_part = f":{port}" if port.isascii() and port.isdigit() else ""  # else not a URL port
    tail = _show_path(tail)
    if policy is UrlPolicy.KEEP:
        user_part = f"{userinfo}@" if userinfo else ""
        return _cap(f"{scheme}{':' if scheme else ''}{slashes}{user_part}{host}{port_part}{tail}")
    shown_scheme = f"{_DEFANGED_SCHEME[scheme]}:{slashes}" if scheme else ""
    shown = f"{_defang_host(host)}{port_part}{tail}"
    if "://" in shown:  # `?next=https://...`, or a percent-encoded one the host decoding revived
        shown = _INNER_SCHEME.sub(
            lambda found: _DEFANGED_SCHEME[found.group(1).lower()] + "://", shown
        )
    url = f"{shown_scheme}{shown}"
    if userinfo:
        user = _show_path(strip_invisible(unquote(userinfo)))
        url = f"{_cap(url)} (user: {_defang_host(user)})"
    return _cap(url)


def _clean(url: str) -> str:
    # Bounded work for a megabyte-long href: the cap applies to what is shown anyway.
    raw = url[: MAX_URL_CHARS * 4]
    if raw.isascii() and raw.isprintable():  # the common case: nothing invisible to drop
        return raw.strip(" ")
    return strip_invisible(raw.translate(_DROPPED_ANYWHERE)).strip(_EDGE)


def _scheme(cleaned: str) -> str | None:
    """The scheme in lowercase; "" for a host written without one, None for no URL at all."""
    if cleaned.startswith(("//", "\\\\")) or _BARE_HOST.match(cleaned):
        return ""  # `www.example.com:8080` is a host and port, not the scheme `www.example.com`
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def neutralize_url(url: str, policy: UrlPolicy) -> str | None:
    """The URL as it may be shown, or None when it must not be shown at all."""
    if policy is UrlPolicy.REMOVE:
        return None
    cleaned = _clean(url)
    scheme = _scheme(cleaned)
    if scheme not in _SHOWN_SCHEMES and "&" in cleaned:
        # `jav&#x61;script:` decoded once more than the HTML parser did; the decoded form
        # only judges the scheme, a web URL is shown as the parser gave it.
        decoded = _scheme(_clean(html.unescape(cleaned)))
        if decoded and decoded not in _SHOWN_SCHEMES:
            return None
    if scheme is None:
        return None  # a relative reference: without a base it leads nowhere
    if scheme == "":
        if cleaned.startswith(("//", "\\\\")):  # protocol-relative: the browser would use http
            return _web("http", cleaned, policy)
        return _web("", cleaned, policy)
    rest = cleaned[len(scheme) + 1 :]
    if scheme == "mailto":
        return _mailto(rest, policy)
    if scheme not in _WEB_SCHEMES:
        return None
    return _web(scheme, rest, policy)


# Candidates in plain text. Every quantifier ends at a character class the next part cannot
# start with, so the scan is linear even on a megabyte of "http://http://...".
_HOST_CHARS = r"[^\s<>\"'/?#\\\u3000-\u303f\uff00-\uffef]"
_PATH_CHARS = r"[!#-;=?-~]"  # printable ASCII except space, ", < and >
# The pattern opens with a character class so the regex engine skips to plausible starts in C;
# an alternation first would be tried at every position, several times slower.
_IN_TEXT = re.compile(
    rf"(?i)[dfhjlmvw](?:"
    rf"(?<=h)ttps?://{_HOST_CHARS}*(?:[/?#\\]{_PATH_CHARS}*)?"
    rf"|(?<=f)tp://{_HOST_CHARS}*(?:[/?#\\]{_PATH_CHARS}*)?"
    rf"|(?<=w)ww\d{{0,3}}\.{_HOST_CHARS}+(?:[/?#\\]{_PATH_CHARS}*)?"
    rf"|(?<=m)ailto:{_PATH_CHARS}+"
    rf"|(?<=j)avascript\s*:{_PATH_CHARS}+"
    rf"|(?<=v)bscript\s*:{_PATH_CHARS}+"
    rf"|(?<=l)ivescript\s*:{_PATH_CHARS}+"
    rf"|(?<=d)(?<![a-z0-9]d)ata:(?:[a-z]+/[a-z0-9.+\-]+|,){_PATH_CHARS}*"  # not metadata:
    rf"|(?<=f)ile:/{_PATH_CHARS}*"
    rf")"
)
_WWW = re.compile(r"(?i)www\d{0,3}\.")
# An ASCII domain written straight into Japanese text: `example.comをご覧` ends at the kana.
_ASCII_DOMAIN_THEN_CJK = re.compile(
    r"(?:[a-z]+://)?[a-z0-9.\-]*[a-z0-9]\.[a-z]{2,}(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\""
_CLOSERS = {")": "(", "]": "["}


def _trim(candidate: str) -> str:
    """Punctuation closing a sentence or a parenthesis is not part of the URL."""
    open_count = {opener: candidate.count(opener) for opener in _CLOSERS.values()}
    close_count = {closer: candidate.count(closer) for closer in _CLOSERS}
    end = len(candidate)
    while end:
        last = candidate[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in _CLOSERS and close_count[last] > open_count[_CLOSERS[last]]:
            close_count[last] -= 1
            end -= 1
        else:
            break
    return candidate[:end]


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A host written without a scheme. It starts where no label character comes before it, nor
# a label character and a dot, so the scan tries each name once and stays linear on
# "a.a.a.a..." and on megabytes of letters (each label is atomic); it ends where no label
# character or @ follows (`first.last@` is no host).
_HOST_IN_TEXT = re.compile(
    rf"(?<![a-z0-9_\-])(?<![a-z0-9_]\.)((?:(?>{_LABEL})\.)+([a-z]{{2,63}}|xn--[a-z0-9\-]{{1,59}}))"
    r"(?![a-z0-9_\-@])",
    re.IGNORECASE,
)
_PATH_AFTER = re.compile(rf"(?::\d{{1,5}})?[/?#]{_PATH_CHARS}*")
_DOTTED = re.compile(r"[a-z0-9]\.[a-z]", re.IGNORECASE)
# File extensions that are not top-level domains: `report.pdf` is a file name, never a host.
# (.zip, .mov, .py, .sh and .md are domains and clients link them, so they are not here.)
_NOT_DOMAINS = frozenset(
    re.split(
        r"\s+",
        """pdf doc docx docm xls xlsx xlsm ppt pptx pptm txt csv tsv rtf odt ods odp htm html xhtml
        xml json yaml yml ini cfg log jpg jpeg png gif bmp tif tiff svg webp heic mp3 mp4 wav avi
        wmv mkv exe dll msi bat cmd vbs lnk iso dmg rar 7z gz tgz bz2 xz tar lzh jar apk eml msg
        ics vcf dat bin bak tmp jtd hwp php aspx jsp cgi css js""",
    )
)


def _bare_hosts(text: str, policy: UrlPolicy, language: Language) -> str:
    """Hosts without a scheme defanged; under REMOVE, one with a path goes like any URL."""
    if policy is UrlPolicy.KEEP or "." not in text or not _DOTTED.search(text):
        return text
    pieces: list[str] = []
    done = 0
    for found in _HOST_IN_TEXT.finditer(text):
        start, end = found.span()
        if start < done or found.group(2).lower() in _NOT_DOMAINS:
            continue  # inside a removed URL, or a file name
        pieces.append(text[done:start])
        path = _PATH_AFTER.match(text, end) if policy is UrlPolicy.REMOVE else None
        if path:
            pieces.append(label(language, "url_removed"))
            done = start + len(_trim(text[start : path.end()]))
        else:
            pieces.append(_defang_host(found.group(1)))
            done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def neutralize_urls_in_text(text: str, policy: UrlPolicy, language: Language) -> str:
    """Every URL written in plain text rewritten through neutralize_url, then every host left
    with its dots (bare, or inside a URL's path or query) defanged."""
    if ":" not in text and (("w" not in text and "W" not in text) or not _WWW.search(text)):
        return _bare_hosts(text, policy, language)
    pieces: list[str] = []
    done = 0
    for match in _IN_TEXT.finditer(text):
        candidate = match.group()
        if not candidate.isascii():
            cjk = _ASCII_DOMAIN_THEN_CJK.match(candidate)
            if cjk:
                candidate = cjk.group()
        candidate = _trim(candidate)
        if not candidate or candidate.lower() in {"http://", "https://", "ftp://"}:
            continue
        start = match.start()
        shown = neutralize_url(candidate, policy)
        pieces.append(text[done:start])
        pieces.append(label(language, "url_removed") if shown is None else shown)
        done = start + len(candidate)
    if not pieces:
        return _bare_hosts(text, policy, language)
    pieces.append(text[done:])
    return _bare_hosts("".join(pieces), policy, language)
