"""Read dumps: the plain text of a Hugging Face "Daily Papers" page (see the README).

The reader never raises on a text file: what it cannot read becomes a warning ``path:line:
message``, the block is skipped (or the one unreadable field dropped), and reading goes on.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from .errors import Diagnostics
from .models import Dump, Organization, PaperEntry
from .text import clean_line, has_controls, org_slug

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

#: Lines longer than this are not text a page copy produces; they are reported and skipped.
MAX_LINE = 50_000
#: Words longer than this are cut (with a warning). A real dump's longest are URLs of a few hundred
#: characters; a run of 50,000 digits or dashes is not a word, and later stages (tokenizers,
#: search) should never have to prove they stay fast on one.
MAX_WORD = 500

_DATE = re.compile(
    r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})"
    r"(?:(?:,\s*|\s+)(?P<year>(?:19|20)\d\d)\b)?(?:\s+(?P<count>\d{1,7}))?$"
)
_AUTHORS = re.compile(r"^[•∙●*-]\s*(?P<n>\d{1,6})\s+authors?$", re.IGNORECASE)
_BULLET = re.compile(r"^[•∙●]")
_DOTS = {"·", "⋅", "∙"}
# Every pattern here sees dump text, so none may backtrack more than a bounded amount per
# character: no two adjacent quantifiers that can match the same characters. (A version suffix
# ``(?:v\d+)?`` before ``[^\s]*`` was one; ``[^\s]*`` covers it.)
_HF_URL = re.compile(r"^<?https?://(?:www\.)?huggingface\.co/papers/(?P<id>\d{4}\.\d{4,5})\S*$")
# Only the heading mark here: ``[text](url)`` is cut by string search in ``_heading_title``
# (a regex ``\[(.+)\]\((.*)\)`` backtracks quadratically on ``# [`` followed by ``](`` x n).
_MD_HEADING = re.compile(r"^#{1,6}\s+(?P<rest>\S.*)$")
_UPVOTES = re.compile(r"^\d{1,6}$")
_TRUNCATED = re.compile(r"^\[?\s*content truncated\s*\]?\.?$", re.IGNORECASE)
_FILE_DATE = re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")

BOILERPLATE = {
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}


class Kind(Enum):
    TEXT = "text"
    AUTHORS = "author count"
    BAD_AUTHORS = "author line"
    DOT = "'·'"
    DATE = "date"
    HF_URL = "paper link"
    HEADING = "heading"
    UPVOTES = "upvote count"
    TRUNCATED = "truncation mark"


@dataclass(slots=True)
class Item:
    kind: Kind
    line: int
    text: str
    match: re.Match[str] | None = None


@dataclass(slots=True)
class RawDate:
    month: int
    day: int
    year: int | None
    line: int


@dataclass(slots=True)
class _Parsed:
    page_date: tuple[int, int] | None = None
    page_year: int | None = None
    page_line: int | None = None
    has_header: bool = False
    """A line of the page's boilerplate ("Daily Papers", "Subscribe", ...) opens the text."""
    entries: list[PaperEntry] = field(default_factory=list)
    raw_dates: list[RawDate | None] = field(default_factory=list)


def decode(raw: bytes, path: str, diags: Diagnostics) -> str | None:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    A UTF-8 file with a few stray bytes (a Latin-1 "é" pasted in) is repaired line by line, each
    bad line reported; only a file whose non-ASCII lines are mostly not UTF-8 is read whole as
    Windows-1252. A UTF-16 line that does not decode is reported and skipped, the others kept.
    Returns None for data that is not text at all (reported)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode_utf16(raw, path, diags)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_mixed(raw, path, diags)
    if _looks_binary(text):
        diags.warn(path, None, "not a text file (binary data); skipped")
        return None
    return text.lstrip("\ufeff")


_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _decode_mixed(raw: bytes, path: str, diags: Diagnostics) -> str:
    """Text that is not all UTF-8: per line (line numbers as ``_items`` counts them)."""
    lines = _NEWLINE.split(raw)
    bad: list[int] = []
    good = 0
    for number, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            lines[number] = line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad.append(number)
    if len(bad) > good:
        text = raw.decode("cp1252", errors="replace")
        if not _looks_binary(text):
            diags.warn(path, None, "not valid UTF-8; read as Windows-1252 (Latin-1)")
        return text
    for number in bad:
        # Only the bytes that are not UTF-8 are read as Windows-1252: the line's other UTF-8
        # characters ('·' say) stay what they are.
        lines[number] = lines[number].decode("utf-8", errors="sitegen-cp1252")
        diags.warn(path, number + 1, "not valid UTF-8; the bad bytes read as Windows-1252 (Latin-1)")
    return "\n".join(line if isinstance(line, str) else line.decode("ascii") for line in lines)


def _cp1252_bytes(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error("sitegen-cp1252", _cp1252_bytes)


def _nul(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return "\0", exc.end


codecs.register_error("sitegen-nul", _nul)


def _decode_utf16(raw: bytes, path: str, diags: Diagnostics) -> str:
    """UTF-16 with BOM; a line with a bad code unit (a lone surrogate, a cut-off last byte) is
    reported and skipped, the good lines kept."""
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError:
        pass
    # NUL marks the bad code units: a dump has none of its own (controls are removed anyway).
    lines = re.split(r"\r\n|\r|\n", raw.decode("utf-16", errors="sitegen-nul"))
    for number, line in enumerate(lines):
        if "\0" in line:
            diags.warn(path, number + 1, "not valid UTF-16; line skipped")
            lines[number] = ""
    return "\n".join(lines)


#: Control characters (category Cc) but tab, newlines and form feed, and lone surrogates (Cs).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    return len(_CONTROL.findall(sample)) / len(sample) > 0.05


def _classify(line: int, text: str) -> Item:
    if text in _DOTS:
        return Item(Kind.DOT, line, text)
    if match := _AUTHORS.match(text):
        return Item(Kind.AUTHORS, line, text, match)
    if _BULLET.match(text):
        return Item(Kind.BAD_AUTHORS, line, text)
    if (match := _DATE.match(text)) and match["mon"].lower() in MONTHS:
        return Item(Kind.DATE, line, text, match)
    if match := _HF_URL.match(text):
        return Item(Kind.HF_URL, line, text, match)
    if match := _MD_HEADING.match(text):
        return Item(Kind.HEADING, line, text, match)
    if _UPVOTES.match(text):
        return Item(Kind.UPVOTES, line, text)
    if _TRUNCATED.match(text):
        return Item(Kind.TRUNCATED, line, text)
    return Item(Kind.TEXT, line, text)


def _items(text: str, path: str, diags: Diagnostics) -> list[Item]:
    items: list[Item] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if len(raw) > MAX_LINE:
            diags.warn(path, number, f"line is {len(raw):,} characters long; skipped")
            continue
        if has_controls(raw):
            diags.warn(path, number, "control characters removed")
        line = clean_line(raw)
        if len(line) > MAX_WORD:
            line = _cut_long_words(line, path, number, diags)
        if line:
            items.append(_classify(number, line))
    return items


def _cut_long_words(line: str, path: str, number: int, diags: Diagnostics) -> str:
    words = line.split(" ")
    longest = max(map(len, words))
    if longest <= MAX_WORD:
        return line
    diags.warn(path, number, f"a word of {longest:,} characters; words cut to {MAX_WORD} characters")
    return " ".join(word if len(word) <= MAX_WORD else word[:MAX_WORD] + "…" for word in words)


_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def _org_like(text: str) -> bool:
    """``<hub id> <display name>``: a short line whose first word could be a Hub id."""
    return len(text) <= 200 and not _abstract_like(text) and bool(_HUB_ID.match(text.split(" ", 1)[0]))


def _title_like(text: str) -> bool:
    return len(text) <= 300 and not text.endswith(".")


def _abstract_like(text: str) -> bool:
    return len(text) >= 300 or (len(text) >= 80 and text.endswith("."))


def _heading_link(rest: str) -> tuple[str, str | None]:
    """``[text](url)`` as (text, url); anything else as (rest, None). The text is the longest
    that leaves a url with no space or ')' (what the greedy regex this replaces matched)."""
    if rest.startswith("[") and rest.endswith(")"):
        cut = rest.rfind("](")
        url = rest[cut + 2 : -1]
        if cut > 1 and ")" not in url and not any(ch.isspace() for ch in url):
            return rest[1:cut], url
    return rest, None


def _heading_title(item: Item) -> tuple[str, str | None]:
    assert item.match is not None
    text, url = _heading_link(item.match["rest"])
    title = clean_line(text)
    arxiv = None
    if url:
        if found := re.search(r"huggingface\.co/papers/(\d{4}\.\d{4,5})", url):
            arxiv = found.group(1)
    return title, arxiv


def _org(text: str) -> Organization:
    hub_id, _, name = text.partition(" ")
    name = name.strip() or hub_id
    return Organization(id=hub_id, name=name, slug=org_slug(hub_id))


def _raw_date(item: Item) -> RawDate | None:
    assert item.match is not None
    month = MONTHS[item.match["mon"].lower()]
    year = int(item.match["year"]) if item.match["year"] else None
    return RawDate(month, int(item.match["day"]), year, item.line)


class _BlockParser:
    """Walks the items of one dump: header, then paper blocks."""

    def __init__(self, items: list[Item], path: str, diags: Diagnostics) -> None:
        self.items = items
        self.path = path
        self.diags = diags
        self.i = 0
        self.result = _Parsed()

    def peek(self, offset: int = 0) -> Item | None:
        index = self.i + offset
        return self.items[index] if index < len(self.items) else None

    def warn(self, line: int, message: str) -> None:
        self.diags.warn(self.path, line, message)

    def parse(self) -> _Parsed:
        self.header()
        if not self.result.has_header and self.result.page_date is None:
            return self.result  # not a dump: reading its lines as papers would only make noise
        while (item := self.peek()) is not None:
            if item.kind in (Kind.TEXT, Kind.HEADING):
                self.block()
            elif item.kind is Kind.UPVOTES:
                self.i += 1
            elif item.kind is Kind.TRUNCATED:
                self.warn(item.line, "the dump says its content was truncated here")
                self.i += 1
            else:
                self.orphan_metadata()
        return self.result

    def orphan_metadata(self) -> None:
        """A run of metadata lines with no title before it: one warning, all skipped."""
        first = self.i
        while (item := self.peek()) is not None and item.kind not in (
            Kind.TEXT,
            Kind.HEADING,
            Kind.TRUNCATED,
        ):
            self.i += 1
        shown = ", ".join(repr(item.text) for item in self.items[first : self.i][:4])
        self.warn(self.items[first].line, f"metadata without a title ({shown}); skipped")

    def header(self) -> None:
        """Skip the page's boilerplate and find the page date (month and day)."""
        limit = min(len(self.items), 12)
        for index in range(limit):
            item = self.items[index]
            if _boilerplate(item.text):
                self.result.has_header = True
            if item.kind is Kind.DATE and item.match and not item.match["count"]:
                raw = _raw_date(item)
                if raw and _valid(2000, raw.month, raw.day):
                    self.result.page_date = (raw.month, raw.day)
                    self.result.page_year = raw.year
                    self.result.page_line = item.line
                    self.i = index + 1
                    return
            if not _boilerplate(item.text) and (
                item.kind is not Kind.TEXT or _abstract_like(item.text) or len(item.text) > 80
            ):
                break
        # No page date: skip only the known boilerplate.
        while (item := self.peek()) is not None and _boilerplate(item.text):
            self.result.has_header = True
            self.i += 1
        if self.result.has_header:
            first = self.peek()
            self.warn(first.line if first else 1, "no page date (such as 'Dec 24') before the papers")

    def starts_block(self, offset: int) -> bool:
        """Whether the TEXT item at ``offset`` is better read as the title of a new block."""
        item, after = self.peek(offset), self.peek(offset + 1)
        if item is None or item.kind is not Kind.TEXT or after is None:
            return False
        if after.kind is Kind.HF_URL:
            return True
        return after.kind is Kind.TEXT and _title_like(item.text) and _abstract_like(after.text)

    def block(self) -> None:
        head = self.items[self.i]
        self.i += 1
        if head.kind is Kind.HEADING:
            title, arxiv = _heading_title(head)
        else:
            title, arxiv = head.text, None
        if (item := self.peek()) is not None and item.kind is Kind.HF_URL:
            arxiv = item.match["id"] if item.match else arxiv
            self.i += 1

        abstract = ""
        item, after = self.peek(), self.peek(1)
        # A line right before '·' is the organization line, unless it reads as an abstract.
        is_org = (
            after is not None
            and after.kind in (Kind.DOT, Kind.DATE)
            and item is not None
            and not _abstract_like(item.text)
        )
        if item is not None and item.kind is Kind.TEXT and not is_org and not self.starts_block(0):
            abstract = item.text
            self.i += 1
        else:
            self.warn(head.line, f"paper {_short(title)!r} has no abstract")

        entry = PaperEntry(title=title, abstract=abstract, line=head.line, arxiv_id=arxiv)
        raw_date = self.metadata(entry)
        self.result.entries.append(entry)
        self.result.raw_dates.append(raw_date)

    def metadata(self, entry: PaperEntry) -> RawDate | None:
        """Organization or author count, then '·' and the date with its comment count."""
        item, after = self.peek(), self.peek(1)
        if item is None:
            return None
        if item.kind is Kind.TEXT and after is not None and after.kind in (Kind.DOT, Kind.DATE):
            if _org_like(item.text):
                entry.organization = _org(item.text)
            else:
                self.warn(item.line, f"cannot read an organization in {_short(item.text)!r}; ignored")
            self.i += 1
        elif item.kind is Kind.AUTHORS and item.match:
            entry.authors = int(item.match["n"])
            self.i += 1
        elif item.kind is Kind.BAD_AUTHORS:
            self.warn(item.line, f"cannot read an author count in {_short(item.text)!r}; ignored")
            self.i += 1

        item = self.peek()
        if item is None:
            return None
        if item.kind is Kind.DOT:
            self.i += 1
            item = self.peek()
            if item is not None and item.kind is Kind.DATE:
                return self.date(entry, item)
            if item is not None and item.kind is Kind.TEXT and not self.starts_block(0):
                self.warn(item.line, f"not a date: {_short(item.text)!r}; date ignored")
                entry.comments = None
                self.i += 1
                return None
            self.warn(self.items[self.i - 1].line, "'·' is not followed by a date")
            return None
        if item.kind is Kind.DATE and (entry.organization or entry.authors is not None):
            self.warn(item.line, "date without the '·' line before it")
            return self.date(entry, item)
        return None

    def date(self, entry: PaperEntry, item: Item) -> RawDate | None:
        self.i += 1
        assert item.match is not None
        entry.comments = int(item.match["count"]) if item.match["count"] else 0
        raw = _raw_date(item)
        if raw is not None and not _valid(raw.year or 2000, raw.month, raw.day):
            self.warn(item.line, f"not a date: {item.text!r}; date ignored")
            return None
        return raw


def _boilerplate(text: str) -> bool:
    """A line of the Daily Papers page's header, also as another rendering shows it
    (``# Daily Papers``, ``**Subscribe**``, ``[Daily Papers]``)."""
    return text.lstrip("#*_[ ").rstrip("*_] ").lower() in BOILERPLATE


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _edition_date(
    name: str,
    path: str,
    parsed: _Parsed,
    configured: dt.date | None,
    default_year: int,
    diags: Diagnostics,
) -> tuple[dt.date | None, str]:
    """The edition's full date; the year by the precedence in the README."""
    page = parsed.page_date
    line = parsed.page_line
    exact: dt.date | None = None
    source = ""
    m = _FILE_DATE.search(name)
    if m and not _valid(int(m["y"]), int(m["m"]), int(m["d"])):
        diags.warn(path, None, f"{m.group(0)} in the file name is not a date; ignored")
        m = None
    if m:
        exact, source = dt.date(int(m["y"]), int(m["m"]), int(m["d"])), "file name"
    elif configured is not None:
        exact, source = configured, "site.yaml"
    if exact is not None:
        if page and page != (exact.month, exact.day):
            diags.warn(
                path,
                line,
                f"the page date {_month_day(page)} differs from {exact.isoformat()} "
                f"given by the {source}; using {exact.isoformat()}",
            )
        return exact, source
    if page is None:
        diags.warn(path, None, "no edition date: name the file YYYY-MM-DD.txt or set it in site.yaml")
        return None, "none"
    if parsed.page_year is not None and _valid(parsed.page_year, *page):
        return dt.date(parsed.page_year, *page), "page"
    years = [raw.year for raw in parsed.raw_dates if raw is not None and raw.year is not None]
    if years:
        year, source = max(years) + 1, "inferred"
    else:
        year, source = default_year, "default"
        diags.warn(
            path,
            line,
            f"cannot infer the edition's year (no paper date has a year); using default_year "
            f"{default_year} (set 'editions: {{{name}: YYYY-MM-DD}}' in site.yaml to fix)",
        )
    if not _valid(year, *page):
        diags.warn(path, line, f"{_month_day(page)} is not a date in {year}")
        return None, "none"
    return dt.date(year, *page), source


def _month_day(page: tuple[int, int]) -> str:
    return dt.date(2000, *page).strftime("%b %-d")


def read_dump(
    path: Path,
    diags: Diagnostics,
    *,
    display: str | None = None,
    configured_date: dt.date | None = None,
    default_year: int = 2025,
) -> Dump | None:
    """Read one dump file. Returns None (with a warning) when it holds no text at all."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        diags.warn(shown, None, f"cannot read: {exc.strerror or exc}")
        return None
    text = decode(raw, shown, diags)
    if text is None:
        return None
    return parse_dump(
        text, shown, path.name, diags, configured_date=configured_date, default_year=default_year
    )


def parse_dump(
    text: str,
    path: str,
    name: str,
    diags: Diagnostics,
    *,
    configured_date: dt.date | None = None,
    default_year: int = 2025,
) -> Dump | None:
    """Parse the text of one dump (already decoded).

    Returns None, with an error, for a text that is not a dump: neither the page's header
    ("Daily Papers", "Subscribe", ...) nor a page date ("Dec 24") opens it. Nothing of it is read."""
    items = _items(text, path, diags)
    if not items:
        diags.warn(path, None, "empty dump: no papers")
        return Dump(path=path, name=name, page_date=None, date=None, date_source="none")
    parsed = _BlockParser(items, path, diags).parse()
    if not parsed.has_header and parsed.page_date is None:
        diags.error(
            path,
            items[0].line,
            "not a Daily Papers dump: it opens with neither the page's header ('Daily Papers') nor "
            "its date (such as 'Dec 24'); nothing of it is published",
        )
        return None
    if items and not parsed.entries:
        diags.warn(path, None, "no paper found in this dump")
    date, source = _edition_date(name, path, parsed, configured_date, default_year, diags)
    year = date.year if date else default_year
    for entry, raw in zip(parsed.entries, parsed.raw_dates, strict=True):
        if raw is None:
            continue
        if raw.year is not None:
            entry.published = dt.date(raw.year, raw.month, raw.day)
            continue
        paper_year = year
        edition_day = (date.month, date.day) if date else parsed.page_date
        if edition_day and (raw.month, raw.day) > edition_day:
            paper_year -= 1
        if _valid(paper_year, raw.month, raw.day):
            entry.published = dt.date(paper_year, raw.month, raw.day)
        else:
            diags.warn(path, raw.line, f"not a date in {paper_year}; date ignored")
    return Dump(
        path=path,
        name=name,
        page_date=parsed.page_date,
        date=date,
        date_source=source,
        entries=parsed.entries,
    )
