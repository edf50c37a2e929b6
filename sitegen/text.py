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


def _plain(text: str) -> bool:
    """Printable ASCII: no control character and no space but the plain one (most lines of a
    dump; the checks below skip their regular expressions for it)."""
    return text.isascii() and text.isprintable()


def single_spaced(text: str) -> bool:
    """Printable ASCII with no two spaces in a row: nothing to collapse, in Python's sense of a
    space or in JavaScript's (``search.js_spaces``)."""
    return _plain(text) and "  " not in text


def has_controls(text: str) -> bool:
    """Whether ``strip_controls`` would remove anything."""
    return not _plain(text) and _CONTROL.search(text) is not None


def strip_controls(text: str) -> str:
    """Remove control characters (XML forbids most of them; none is meaningful in a dump)."""
    return text if _plain(text) else _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """Collapse every kind of space (non-breaking included) and trim."""
    if single_spaced(text):
        return text.strip()
    return _SPACES.sub(" ", strip_controls(text)).strip()


#: Punctuation that carries meaning in a title (C# is not C, 100% is not 100); every other
#: punctuation mark (category P*) is noise. Symbols (S*: +, ∞, emoji...) always carry meaning.
_MEANINGFUL_PUNCTUATION = frozenset("#%&@*†‡§")
# ``title_key`` of an ASCII title in one pass: its words, and its symbols and meaningful marks.
_ASCII_KEY = re.compile(
    "[a-z0-9]+|["
    + re.escape(
        "".join(
            c
            for c in map(chr, range(128))
            if unicodedata.category(c)[0] == "S" or c in _MEANINGFUL_PUNCTUATION
        )
    )
    + "]"
)


def title_key(title: str) -> str:
    """The merge key of a title: case, accents, spacing and punctuation noise do not matter;
    symbols that carry meaning do (C++ vs C#, an emoji, x² vs x2, ∞-Bench vs Bench).

    Words of letters and digits, and each meaningful symbol as a word of its own, joined by
    spaces. Compatibility forms fold (ﬁ is fi, full-width Ａ is A), except super- and subscripts."""
    if title.isascii():  # nothing to fold or decompose: the same words, found ten times faster
        return " ".join(_ASCII_KEY.findall(title.lower())) or " ".join(title.split())
    return _title_key(title)


def _title_key(title: str) -> str:
    """``title_key``, character by character (any title)."""
    words: list[str] = []
    word: list[str] = []
    for char in title.casefold():
        if unicodedata.decomposition(char).startswith(("<super>", "<sub>")):
            parts = char
        else:
            parts = unicodedata.normalize("NFKD", char)
        for ch in parts:
            if unicodedata.combining(ch) or "\ufe00" <= ch <= "\ufe0f":
                continue  # accents, and emoji/text presentation selectors
            if ch.isalnum():
                word.append(ch)
                continue
            if word:
                words.append("".join(word))
                word = []
            if unicodedata.category(ch)[0] == "S" or ch in _MEANINGFUL_PUNCTUATION:
                words.append(ch)
    if word:
        words.append("".join(word))
    # A title with no letter, digit or symbol (".." say) is still a title: it keys on itself.
    return " ".join(words) or " ".join(title.split())


def permalink_key(title: str) -> str:
    """What a paper's permalink hash is computed from: the merge key of earlier versions (\\w+
    words of the NFKD-folded title). Kept as it was, so that no published permalink moves."""
    if title.isascii():  # nothing to decompose, no accent to drop: the same key, at once
        text = title.lower()
    else:
        text = unicodedata.normalize("NFKD", title.casefold())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
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


def unicode_slug(text: str, max_bytes: int = 120) -> str:
    """Words of letters and digits in any script (NFC, lower case) joined by hyphens, at most
    ``max_bytes`` bytes of UTF-8 (a file name has 255): for titles with no ASCII word."""
    slug = ""
    for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text.casefold())):
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate.encode("utf-8")) > max_bytes:
            if not slug:
                slug = word.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
            break
        slug = candidate
    return slug


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


#: Hex digits of the hash that ends a permalink. Six since the first release: changing it would
#: move every published URL. Two papers that would share one are told apart by ``merge``.
PERMALINK_HASH = 6
#: The hash of a paper whose short permalink another paper holds, and of a title with no ASCII
#: word: 64 bits, so no two titles share one in practice, even when crafted to.
LONG_HASH = 16


def permalink_owner(key: str) -> str:
    """What tells which paper a permalink was given to (``themes.json`` carries it for every
    paper): a long hash of the paper's merge key (``title_key``), which no crafted title shares."""
    return short_hash(key, LONG_HASH)


def paper_slug(key: str, title: str, hash_length: int = PERMALINK_HASH) -> str:
    """Permalink slug: title words and a hash of ``key`` (``permalink_key(title)``), stable for a
    title whatever else is in the content. A title with no ASCII word has its words in its own
    script and a long hash (``paper-`` and six hex digits made those collide)."""
    base = slugify(title)
    if not base:
        base = unicode_slug(title) or "paper"
        hash_length = max(hash_length, LONG_HASH)
    return f"{base}-{short_hash(key, hash_length)}"


def org_slug(hub_id: str) -> str:
    """Path segment of an organization's page: one per distinct hub id, whatever else the content
    holds. An id that is its own slug (lower case, digits, single hyphens) is the slug; any other
    (capitals, '_', '.') gets its slug words, '--' (which no such id has) and a hash of the id."""
    slug = slugify(hub_id)
    if slug and slug == hub_id:
        return slug
    return f"{slug or 'org'}--{short_hash(hub_id, 10)}"


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
    if "://" not in text:  # every URL found has it (``_URL``): most abstracts have none
        return []
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
