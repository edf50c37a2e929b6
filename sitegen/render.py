"""Render pages with Jinja2 (autoescape on). Renderers get ready data and never open inputs."""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .config import SiteConfig
from .errors import SitegenError
from .models import Paper, Site
from .reuse import TEMPLATE_SUFFIXES, PageReuse
from .text import is_code_link, snippet, split_links


def builtin_templates() -> Path:
    """The default templates: inside the package in a wheel, beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise SitegenError(
        f"default templates not found (looked in {here / 'templates'} and {here.parent / 'templates'})"
    )


def _is_template(name: str) -> bool:
    """A template of the search path (not a static file; not a built-in one under ``default/``,
    loaded only by a template that extends it)."""
    return name.endswith(TEMPLATE_SUFFIXES) and not name.startswith(("static/", "default/"))


def relative_root(url: str) -> str:
    """Prefix that leads from the page at ``url`` (site-relative, e.g. ``papers/x/``) to the root."""
    depth = url.count("/")
    return "../" * depth


def quantity(n: int, noun: str, plural: str | None = None) -> str:
    """``1 paper``, ``2 papers``: a count with its noun in the right number (English)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def code_link(paper: Paper) -> str | None:
    """The first link of the abstract that leads to a code repository, if any."""
    return next((link for link in paper.links if is_code_link(link)), None)


def format_date(value: dt.date | None, fmt: str = "%b %-d, %Y") -> str:
    return value.strftime(fmt) if value else ""


class Renderer:
    """Holds the Jinja environment: the user's templates first, then the built-in ones."""

    def __init__(self, config: SiteConfig, site: Site, template_dirs: list[Path]) -> None:
        self.config = config
        self.site = site
        self.reuse: PageReuse | None = None
        """The previous build's pages (``reuse.py``): set by ``render_site`` when it may."""
        self.search_path = [str(d) for d in template_dirs if d.is_dir()] + [str(builtin_templates())]
        self.env = jinja2.Environment(
            # A user's template may extend the built-in one it replaces as "default/<name>".
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(self.search_path),
                    jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(builtin_templates()))}),
                ]
            ),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["date"] = format_date
        self.env.filters["quantity"] = quantity
        self.env.globals["code_link"] = code_link
        self.env.filters["snippet"] = snippet
        self.env.filters["link_parts"] = split_links
        self.env.tests["code_link"] = is_code_link
        self.env.globals["hf_search"] = hf_search
        self.env.globals["scholarly_article"] = scholarly_article

    def load_all(self) -> None:
        """Every template compiled now, so that the workers forked next inherit them rather than
        each compiling its own (the cache keeps no compiled template: it holds data only, never
        code). A template that does not compile is left for ``render`` to report, where used."""
        for name in self.env.list_templates(filter_func=_is_template):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass

    def render(self, template: str, url: str, *, absolute_root: bool = False, **context: Any) -> bytes:
        """Render ``template`` for the page at site-relative ``url``."""
        root = self.config.base_path if absolute_root else relative_root(url)
        try:
            html = self.env.get_template(template).render(
                config=self.config,
                site=self.site,
                url=url,
                root=root,
                home=root or "./",
                canonical=self.config.absolute(url),
                **context,
            )
        except jinja2.TemplateNotFound as exc:
            raise SitegenError(f"template {exc.name!r} not found in: {', '.join(self.search_path)}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise SitegenError(
                f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}"
            ) from None
        except jinja2.UndefinedError as exc:
            raise SitegenError(
                f"{template}: {exc.message} (while rendering {url or 'the home page'})"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any error raised inside a (user's) template
            raise SitegenError(
                f"{_template_frame(exc) or template}: {type(exc).__name__}: {exc} "
                f"(while rendering {url or 'the home page'})"
            ) from None
        return html.encode("utf-8")


def _template_frame(exc: BaseException) -> str | None:
    """``path:line`` of the innermost template frame of a rendering error (Jinja rewrites
    tracebacks so that template lines appear as frames of the template file)."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml", ".txt"))
    ]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def hf_search(paper: Paper) -> str:
    """Where to look the paper up on huggingface.co."""
    from urllib.parse import quote

    if paper.arxiv_id:
        return f"https://huggingface.co/papers/{paper.arxiv_id}"
    return "https://huggingface.co/papers?q=" + quote(paper.title, safe="")


def json_for_script(data: Any) -> Markup:
    """JSON safe inside a <script> data block: '<', '>' and '&' are escaped, so text from a dump
    can never close the element (``</script>``) or open a comment."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def scholarly_article(paper: Paper, url: str) -> Markup:
    """schema.org ScholarlyArticle of a paper page (JSON-LD)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": paper.title[:110],
        "name": paper.title,
        "abstract": paper.abstract,
        "url": url,
        "sameAs": hf_search(paper),
    }
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    if paper.organization:
        data["sourceOrganization"] = {"@type": "Organization", "name": paper.organization.name}
    if paper.theme:
        data["about"] = paper.theme.label
    if paper.comments is not None:
        data["commentCount"] = paper.comments
    return json_for_script(data)


def paper_record(paper: Paper) -> dict[str, Any]:
    """The stable fields of ``data/papers.json`` (other stages add theirs)."""
    org = paper.organization
    return {
        "id": paper.id,
        "url": paper.url,
        "title": paper.title,
        "abstract": paper.abstract,
        "published": paper.published.isoformat() if paper.published else None,
        "comments": paper.comments,
        "authors": paper.authors,
        "organization": {"id": org.id, "name": org.name} if org else None,
        "editions": [e.date.isoformat() if e.date else e.slug for e in paper.editions],
        "links": list(paper.links),
        "arxiv_id": paper.arxiv_id,
        "theme": paper.theme.slug if paper.theme else None,
    }


def dump_json(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
        "utf-8"
    )


#: Papers on one page of a long listing (an organization, a theme, a month).
PAGE_SIZE = 50


@dataclass(slots=True, frozen=True)
class Pagination:
    """One page of a listing split into numbered pages: page 1 at the listing's own URL (so its
    links never move), page n at ``<url>page/<n>/``."""

    base: str
    """Site-relative URL of the listing (its page 1)."""
    number: int
    """1-based."""
    count: int
    """How many pages the listing has."""
    total: int
    """How many items the whole listing has."""
    items: Sequence[Any]
    """The items on this page."""

    def url_of(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def url(self) -> str:
        return self.url_of(self.number)

    @property
    def prev_url(self) -> str | None:
        return self.url_of(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_of(self.number + 1) if self.number < self.count else None

    @property
    def first_index(self) -> int:
        """1-based position of this page's first item in the whole listing."""
        return (self.number - 1) * PAGE_SIZE + 1

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and ``around`` either side of this one;
        None where numbers are left out."""
        shown = sorted({1, self.count, *range(self.number - around, self.number + around + 1)})
        out: list[int | None] = []
        for number in (n for n in shown if 1 <= n <= self.count):
            if out and out[-1] is not None and number > out[-1] + 1:
                out.append(None)
            out.append(number)
        return out


def paginate(base: str, items: Sequence[Any], size: int = PAGE_SIZE) -> list[Pagination]:
    """``items`` split into pages of ``size``; one (possibly empty) page at least."""
    count = max(1, -(-len(items) // size))
    return [
        Pagination(base, n + 1, count, len(items), items[n * size : (n + 1) * size]) for n in range(count)
    ]
