"""Small text helpers shared by the stages: normalization, slugs, links."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Characters XML 1.0 forbids, and other C0/C1 controls that have no business in a title.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sourceforge.net")


def strip_controls(text: str) -> str:
    """Remove control characters (XML forbids most of them; none is meaningful in a dump)."""
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """Collapse every kind of space (non-breaking included) and trim."""
    return _SPACES.sub(" ", strip_controls(text)).strip()


def title_key(title: str) -> str:
    """The merge key of a title: case, accents, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # A title with no letter or digit (".." say) is still a title: it keys on itself.
    return " ".join(re.findall(r"\w+", text)) or " ".join(text.split())


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII words joined by hyphens; empty when nothing ASCII is left."""
    text = unicodedata.normalize("NFKD", text)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def paper_slug(key: str, title: str, hash_length: int = 6) -> str:
    """Permalink slug: stable for a title whatever else is in the content, and distinct for two
    different titles that slugify alike (the hash is of the merge key)."""
    base = slugify(title) or "paper"
    return f"{base}-{short_hash(key, hash_length)}"


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL, and closing brackets it did not open.

    One pass from the end with running bracket counts (re-counting after each dropped character
    was quadratic on ``https://x/`` followed by thousands of ')')."""
    balance = {")": url.count(")") - url.count("("), "]": url.count("]") - url.count("[")}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in ".,;:!?\"'":
            end -= 1
        elif last in ")]" and balance[last] > 0:
            balance[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def split_links(text: str) -> list[tuple[str, str | None]]:
    """Cut text into (segment, href) parts so templates can link URLs without raw HTML."""
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if len(url) <= len("https://"):
            continue
        if match.start() > pos:
            parts.append((text[pos : match.start()], None))
        parts.append((url, url))
        pos = match.start() + len(url)
    if pos < len(text):
        parts.append((text[pos:], None))
    return parts


def find_links(text: str) -> list[str]:
    """URLs in an abstract, in order of first appearance, without trailing punctuation."""
    return list(dict.fromkeys(href for _, href in split_links(text) if href))


def is_code_link(url: str) -> bool:
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/", 1)[0].lower()
    host = host.removeprefix("www.")
    return host in _CODE_HOSTS


def snippet(text: str, length: int = 240) -> str:
    """The first ``length`` characters, cut at a word boundary."""
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"
