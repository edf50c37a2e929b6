"""Labels: name each theme by the terms that are frequent in it and rare in the others.

Class-based TF-IDF (c-TF-IDF, as BERTopic does) ranks each theme's terms; ``pick_terms`` keeps
the best ones that do not repeat each other, a phrase taking the place of the words it contains.

A name must say what the theme is about, so some terms never name one:

- *spread* terms, whose papers are spread over the themes about as all papers are ("training",
  "text", "loss" on the sample): learned from the corpus (``coherence.spread_terms``);
- a few words that name no subject on their own in any corpus of papers ("context", "function",
  "structure", "survey"; ``VAGUE_WORDS``), though a phrase with them may ("loss function"), and
  the phrases that name the field itself ("machine learning"; ``VAGUE_PHRASES``);
- near-duplicates of a better term ("pretraining" after "pre-training", "retriever" after
  "retrieval": the same words once hyphens and spaces are ignored, or the same Porter stems),
  and an acronym next to the words it stands for ("DPO" and "preference optimization", as the
  theme's own abstracts spell it out: ``expansion``).

Phrases name a subject better than their words ("preference optimization", "speech synthesis"),
so a phrase's score counts ``PHRASE_BOOST`` times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from ..lunr_stemmer import porter_stem
from .coherence import spread_terms
from .terms import ENGLISH_STOP_WORDS, STOP_WORDS, singular, words

#: A phrase's c-TF-IDF score counts this many times a word's.
PHRASE_BOOST = 2.0
#: A phrase takes the place of a better-ranked word it contains when found in this share of as
#: many papers ("instruction tuning" does not replace "instruction" in a theme of instruction
#: following and tuning).
REPLACE_SHARE = 0.7

#: Words that name no subject on their own, whatever the corpus (normalized: lower-case, singular).
VAGUE_WORDS = frozenset(
    """
    accuracy algorithm answer aspect behavior case component concept content context correct data
    distribution domain downstream feature following form function information input instance item
    level loss network object output pair part pattern prompt property quality question response
    sample score sequence signal solution space structure system target term text token tool type
    unit value variable view
    nlp survey
    """.split()
)
#: Phrases that name the field every paper of the digest is in, not a subject of it.
VAGUE_PHRASES = frozenset(
    {
        "artificial intelligence",
        "deep learning",
        "language processing",
        "machine learning",
        "natural language",
        "neural network",
    }
)


def vague_terms(vocab: Sequence[str]) -> np.ndarray:
    """Which terms of ``vocab`` (normalized) name no subject alone: ``VAGUE_WORDS`` and
    ``VAGUE_PHRASES``."""
    return np.array([t in VAGUE_PHRASES if " " in t else t in VAGUE_WORDS for t in vocab], dtype=bool)


def class_terms(
    counts: sparse.csr_matrix,
    vocab: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    surfaces: dict[str, str],
    n_terms: int = 5,
    documents: Sequence[str] | None = None,
) -> list[list[str]]:
    """``theme_terms``' terms alone."""
    return theme_terms(counts, vocab, labels, n_themes, surfaces, n_terms, documents=documents)[0]


def theme_terms(
    counts: sparse.csr_matrix,
    vocab: Sequence[str],
    labels: np.ndarray,
    n_themes: int,
    surfaces: dict[str, str],
    n_terms: int = 5,
    max_label_df: float = 0.3,
    bound_share: float = 0.9,
    documents: Sequence[str] | None = None,
) -> tuple[list[list[str]], list[bool]]:
    """The ``n_terms`` best terms of each theme, best first, in their usual spelling, and whether
    the theme has a subject at all. With ``documents`` (the texts of ``counts``' rows), a phrase
    must read as written (``readable``), and a theme has a subject only where the terms of its
    label that its titles name (phrases, and words of its titles) are found in ``SUBJECT`` of its
    papers: the papers left over between subjects share no such term ("loss function", in 18 %
    of the sample's leftover papers; every theme a reader calls coherent or loose, 50 % or more).

    c-TF-IDF: per theme, term frequency in the theme's concatenated documents times
    log(1 + average words per theme / the term's frequency over all themes). ``counts`` are the
    documents' term counts over ``vocab`` (sorted), ``labels`` their themes (0 .. ``n_themes`` -
    1); ``max_label_df`` and ``bound_share`` are ``ThemeModel``'s parameters of the same names.
    Everything is computed on the non-zero (theme, term) pairs only: a dense themes x terms
    array is gigabytes at 50,000 papers."""
    if n_themes == 0:
        return [], []
    if counts.shape[1] == 0:
        return [[] for _ in range(n_themes)], [True] * n_themes
    n = len(labels)
    onehot = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(n_themes, n))
    sizes = np.asarray(onehot.sum(axis=1)).ravel()
    tf_class = (onehot @ counts).astype(float).tocsr()
    totals = np.asarray(tf_class.sum(axis=1)).ravel()
    average = tf_class.sum() / n_themes
    idf = np.log(1 + average / np.maximum(np.asarray(tf_class.sum(axis=0)).ravel(), 1))
    binary = counts.copy()
    binary.data = np.ones_like(binary.data, dtype=float)
    df_class = (onehot @ binary).tocsr()
    # A term of one paper can only name a theme of one paper (see min_docs below): where there
    # is none, such terms are left out, which changes no score of the others.
    df_all = np.asarray(df_class.sum(axis=0)).ravel()
    if sizes.min() > 1:
        keep = sparse.diags((df_all >= 2).astype(float))
        tf_class, df_class = (tf_class @ keep).tocsr(), (df_class @ keep).tocsr()
        tf_class.eliminate_zeros()
        df_class.eliminate_zeros()
    tf_class.sort_indices()
    df_class.sort_indices()
    rows = np.repeat(np.arange(n_themes), np.diff(tf_class.indptr))
    cols = tf_class.indices
    df = df_class.data
    safe = np.where(totals > 0, totals, 1.0)
    scores = np.where(totals[rows] > 0, tf_class.data / safe[rows], 0.0) * idf[cols]
    # A label term must be shared by several of the theme's papers, not be one paper's name.
    min_docs = np.maximum(2, np.ceil(0.15 * sizes))
    scores[df < np.minimum(min_docs, sizes)[rows]] = 0
    # A single word found in a large share of all papers and in most themes ("LLMs", "human")
    # is too broad to name a theme alone; a phrase containing it ("human feedback") may still do.
    spread = np.bincount(cols, minlength=len(vocab))
    single = np.array([" " not in t for t in vocab])
    broad = single & (df_all > max_label_df * n) & (spread > n_themes / 2)
    scores[broad[cols]] = 0
    # Terms spread over the themes like all papers are, and vague words alone, name nothing
    # (unless nothing else is left to name a theme by: ``fallback``).
    fallback = scores.copy()
    scores[spread_terms(df_class, sizes)[cols]] = 0
    scores[vague_terms(vocab)[cols]] = 0
    scores[~single[cols]] *= PHRASE_BOOST
    # In a theme, a word that is mostly found inside one phrase ("law" in "scaling law",
    # "following" in "instruction following": most of the theme's papers with the word have
    # the phrase) does not stand on its own; the phrase may. (theme, term) pairs are found by
    # their position in the row-major, sorted entries: key = theme * terms + term.
    column = {t: i for i, t in enumerate(vocab)}
    present = np.unique(cols[~single[cols]])
    words_of = {j: [column[w] for w in vocab[j].split() if w in column] for j in present.tolist()}
    keys = rows.astype(np.int64) * len(vocab) + cols
    at = np.flatnonzero(~single[cols])
    phrase_pos = np.repeat(at, [len(words_of[c]) for c in cols[at].tolist()])
    word_cols = np.array([w for c in cols[at].tolist() for w in words_of[c]], dtype=np.int64)
    if len(word_cols):
        word_keys = rows[phrase_pos].astype(np.int64) * len(vocab) + word_cols
        word_pos = np.minimum(np.searchsorted(keys, word_keys), len(keys) - 1)
        found = keys[word_pos] == word_keys
        bound = found & (df[phrase_pos] >= bound_share * np.where(found, df[word_pos], np.inf))
        scores[word_pos[bound]] = 0

    def wide(word: str) -> bool:
        return word in STOP_WORDS or (word in column and bool(broad[column[word]]))

    terms, subjects = [], []
    by_theme = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=n_themes))])
    for c in range(n_themes):
        span = slice(tf_class.indptr[c], tf_class.indptr[c + 1])
        positive = np.flatnonzero(scores[span] > 0) + span.start
        if not len(positive):
            positive = np.flatnonzero(fallback[span] > 0) + span.start
            scores[positive] = fallback[positive]
        # Ties broken by the term itself (vocab is sorted: by its column), so that the order
        # never depends on the platform.
        ranked = positive[np.lexsort((cols[positive], -scores[positive]))]
        members = by_theme[starts[c] : starts[c + 1]]
        texts = [documents[i].lower() for i in members[:MAX_READ]] if documents is not None else None
        titled = title_words([documents[i] for i in members[:MAX_READ]]) if documents is not None else None
        candidates = [
            (vocab[cols[i]], int(df[i]))
            for i in ranked
            if texts is None or " " not in vocab[cols[i]] or readable(vocab[cols[i]], texts)
        ]
        if texts is not None:
            # A term cut from a longer one ("pre-trained language" of "pre-trained language
            # models") names nothing; the best-ranked are read (the label is chosen among them),
            # and one is kept if nothing else is left.
            whole = [
                t
                for n, t in enumerate(candidates)
                if n >= LABEL_CANDIDATES
                or not fragment(" ".join(surfaces.get(w, w) for w in t[0].split()), texts)
            ]
            candidates = whole or candidates
        # An acronym repeats the words it stands for ("DPO" and "preference optimization").
        # (Words too broad to name a theme, "language" of "large language models", do not count.)
        spelled = {
            t: frozenset(w for w in expansion(surfaces.get(t, t), texts) if not wide(w))
            for t, _ in (candidates[: 4 * n_terms] if texts else [])
        }
        rows = counts[members]
        picked = _choose(
            candidates, titled, texts, min(len(members), MAX_READ), surfaces, spelled, rows, column, n_terms
        )
        terms.append(_by_reach(picked, rows, column)[:n_terms])
        titled_terms = [t for t in picked if titled is None or " " in t[1] or t[1] in titled]
        subjects.append(
            len(members) < 3 or bool(titled_terms) and _reach(titled_terms, rows, column) >= SUBJECT
        )
    return terms, subjects


#: A label names "most" of its theme's papers when one of its terms is found in this share.
MOST = 0.7

#: A theme whose papers' titles share no term found in this share of them has no subject.
SUBJECT = 0.4

#: Papers of a theme a phrase is read in at most (``readable``), so that naming stays linear.
MAX_READ = 40

#: A single word names a theme only if it is a word of the titles of this share of its papers.
TITLE_SHARE = 0.1


#: A word followed by another word (not a stop word) in this share of its occurrences or more
#: reads as a modifier: an adjective, a participle, a verb with its object ("contrastive",
#: "labeled", "implicit", "mitigating" on the sample; "speech", "retrieval", "reward" are
#: followed by one in 18-62 % of theirs).
MODIFIER_SHARE = 2 / 3


def modifier(word: str, texts: Sequence[str]) -> bool:
    """Whether ``word`` (its usual spelling) mostly modifies the word after it in ``texts``
    (lower-case): then it names no theme alone ("implicit", "direct"), though a phrase with it
    may ("implicit reward"). Its plural counts as it; fewer than 3 occurrences tell nothing."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return True  # a past participle ("labeled", "tuned") modifies what it does not name
    # (linear: a fixed word, then at most one run of blanks and one word after it)
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?:e?s)?(?![\w-])(?:[ \t]+([^\W_][\w-]*))?")
    uses = followed = 0
    for text in texts:
        for match in pattern.finditer(text):
            uses += 1
            after = match.group(1)
            followed += after is not None and after not in STOP_WORDS
    return uses >= 3 and followed >= MODIFIER_SHARE * uses


def title_words(documents: Sequence[str]) -> dict[str, int]:
    """The single words (normalized, as terms are) found in the titles of at least
    ``TITLE_SHARE`` of ``documents`` (``terms.document``: each starts with its paper's title),
    and in one at least, with the number of titles they are in. A title names its paper's
    subject: words found in abstracts only ("labeled", "documents", "influence", "categories" on
    the sample) name none alone, though their theme ranks them high. Phrases are not asked to be:
    "human preference" is a subject in any sentence. A word in half the titles or more names the
    theme even where it mostly modifies another ("protein" of "protein folding", ``modifier``)."""
    seen: dict[str, int] = {}
    for text in documents:
        for word in {w for clause in words(text.split("\n", 1)[0]) for w, _ in clause}:
            seen[word] = seen.get(word, 0) + 1
    least = max(1, math.ceil(TITLE_SHARE * len(documents)))
    return {word: n for word, n in seen.items() if n >= least}


def _choose(
    candidates: list[tuple[str, int]],
    titled: dict[str, int] | None,
    texts: list[str] | None,
    read: int,
    surfaces: dict[str, str],
    spelled: dict[str, frozenset[str]],
    counts: sparse.csr_matrix,
    column: dict[str, int],
    n_terms: int,
) -> list[tuple[str, str]]:
    """A theme's label terms (shown, term), of its ``candidates`` (term, papers; best first):
    twice as many as kept, the best, then those that name the most papers (``_by_reach``). A
    single word names the theme only where it is a word of its titles (``titled``, of the
    ``read`` papers whose ``texts`` were read) and does not mostly modify the word after it
    (``modifier``). With fewer than two such terms, the title words top them up, to name the
    theme by two if they can. One term that names ``MOST`` of its papers (``counts``' rows)
    beats two that do not name them; one that names fewer (a theme whose titles share no
    subject) is topped up with the terms as ranked, so that its label still names most of its
    papers. A label of two or more terms that names fewer than ``MOST`` of them gives way to one
    picked from the title words alone (modifiers too) where that names more."""

    def names_alone(term: str) -> bool:
        return (
            titled is None
            or " " in term
            or term in titled
            and (titled[term] >= 0.5 * read or not modifier(surfaces.get(term, term), texts or []))
        )

    def titled_word(term: str) -> bool:
        return titled is None or " " in term or term in titled

    picked: list[tuple[str, str]] = []
    for tier in (names_alone, titled_word, None):
        if tier is None and picked and _reach(picked, counts, column) >= MOST:
            break
        chosen = {term for _, term in picked}
        more = _pick(
            [
                *((t, d) for t, d in candidates if t in chosen),
                *(t for t in candidates if t[0] not in chosen and (tier is None or tier(t[0]))),
            ],
            2 * n_terms,
            surfaces,
            spelled,
        )
        picked = [*picked, *(t for t in more if t[1] not in chosen)][: 2 * n_terms]
        if len(picked) >= 2:
            break
    reach = _shown_reach(picked, counts, column, n_terms) if len(picked) >= 2 else 1.0
    if reach < MOST:
        # The phrases' label names too few of the theme's papers ("scaling law · test-time
        # compute", 58 %): the title words, modifiers too, may name more ("scaling", 67 % alone).
        titled_picked = _pick([t for t in candidates if titled_word(t[0])], 2 * n_terms, surfaces, spelled)
        if _shown_reach(titled_picked, counts, column, n_terms) > reach:
            picked = titled_picked
    return picked


def _shown_reach(
    picked: list[tuple[str, str]], counts: sparse.csr_matrix, column: dict[str, int], n_terms: int
) -> float:
    """The share of a theme's papers that have a term of the label ``picked`` gives it."""
    if not picked:
        return 0.0
    by_shown = dict(picked)
    shown = _by_reach(picked, counts, column)[:n_terms]
    kept = shown_terms(shown)
    return _reach([(t, by_shown[t]) for t in kept], counts, column)


def _reach(picked: list[tuple[str, str]], counts: sparse.csr_matrix, column: dict[str, int]) -> float:
    """The share of a theme's papers (``counts``' rows) that have one of the ``picked`` terms."""
    if counts.shape[0] == 0:
        return 1.0
    return float((counts[:, [column[term] for _, term in picked]].getnnz(axis=1) > 0).mean())


def _by_reach(picked: list[tuple[str, str]], counts: sparse.csr_matrix, column: dict[str, int]) -> list[str]:
    """The picked terms (shown, term), the best first, then each next the one that adds the most
    of the theme's papers (``counts``' rows) not yet named by those before it (ties: the better
    ranked), so that a label of 2-3 terms names as many of its papers as it can."""
    if len(picked) < 3:
        return [shown for shown, _ in picked]
    cols = [column[term] for _, term in picked]
    has = counts[:, cols].toarray() > 0
    order, covered = [0], has[:, 0].copy()
    rest = list(range(1, len(picked)))
    while rest:
        gain = [int((has[:, j] & ~covered).sum()) for j in rest]
        j = rest.pop(int(np.argmax(gain)))
        order.append(j)
        covered |= has[:, j]
    return [picked[j][0] for j in order]


def readable(term: str, texts: Sequence[str]) -> bool:
    """Whether a phrase reads as written: its words stand next to each other (a space or hyphen
    apart) in at least half of the ``texts`` (lower-case) that have both. "chain thought" (made of
    "chain of thought" once stop words are out) and "text image" ("text-to-image") do not."""
    words = term.lower().split()
    if len(words) < 2:
        return True
    having = [t for t in texts if all(w in t for w in words)]
    if not having:
        return True
    # Each word as the start of one (the terms are singular: "pair" in "positive pairs").
    together = re.compile(r"\w*[\s-]+".join(re.escape(w) for w in words))
    return 2 * sum(1 for t in having if together.search(t)) >= len(having)


#: The best-ranked candidate terms of a theme read for ``fragment``: four times the five it
#: keeps (as ``spelled`` reads them), a fixed number, so that naming stays linear.
LABEL_CANDIDATES = 20

#: A term is part of a longer one where this share of its uses has the same word after it, or
#: the same word joined to it by a hyphen before it.
FRAGMENT_SHARE = 0.8


def fragment(term: str, texts: Sequence[str]) -> bool:
    """Whether a term (its usual spelling) is mostly a part of one longer term in ``texts``
    (lower-case), so that it reads cut off and the longer term names the subject: a phrase the
    same word stands after ("pre-trained language" of "pre-trained language models"), or a term
    the same word is joined to by a hyphen before it ("resource language" of "low-resource
    language"). A word before it and a space apart does not cut it: "direct preference
    optimization" is a kind of "preference optimization", which still names the subject; nor
    does a word after a single word (a modifier, ``modifier``). Fewer than 3 uses tell nothing.
    Linear: one search for the term per text, and a bounded stretch read around each use."""
    words = term.lower().split()
    if len(words) == 1 and not any(f"-{words[0]}" in text for text in texts):
        return False  # (a word is cut only by a word joined to it before)
    pattern = re.compile(r"(?<![\w])" + r"\w*[\s-]+".join(re.escape(w) for w in words) + r"\w*")
    after: dict[str, int] = {}
    before: dict[str, int] = {}
    uses = 0
    for text in texts:
        if not all(word in text for word in words):
            continue
        for match in pattern.finditer(text):
            uses += 1
            following = _NEXT.match(text, match.end(), match.end() + 40) if len(words) > 1 else None
            if following and following.group(1) not in ENGLISH_STOP_WORDS:
                key = singular(following.group(1))
                after[key] = after.get(key, 0) + 1
            start = match.start()
            joined = (
                _JOINED.search(text, max(0, start - 41), start - 1)
                if text[start - 1 : start] == "-"
                else None
            )
            if joined:
                before[joined.group(1)] = before.get(joined.group(1), 0) + 1
    most = max([0, *after.values(), *before.values()])
    return uses >= 3 and most >= FRAGMENT_SHARE * uses


_NEXT = re.compile(r"[ \t-]+([^\W_]+)")
_JOINED = re.compile(r"([^\W_]+)$")


def pick_terms(ranked: Iterable[tuple[str, int]], n: int, surfaces: dict[str, str]) -> list[str]:
    """The first ``n`` terms (in their usual spelling) that do not repeat a word of a better-ranked
    term (see ``_pick``)."""
    return [shown for shown, _ in _pick(ranked, n, surfaces)]


def _pick(
    ranked: Iterable[tuple[str, int]],
    n: int,
    surfaces: dict[str, str],
    spelled: dict[str, frozenset[str]] | None = None,
) -> list[tuple[str, str]]:
    """The first ``n`` terms, each (usual spelling, term), that do not repeat a word of a
    better-ranked term; a phrase replaces better-ranked terms it contains ("reward" then "reward
    model" gives "reward model") when it is found in at least ``REPLACE_SHARE`` as many papers as
    each of them: "hate speech" does not replace "speech" in a theme about speech. ``ranked`` gives each term with
    the number of the theme's papers it is found in, best term first. Hyphens count as spaces:
    "instruction-following" repeats "instruction". ``spelled`` gives the words an acronym term
    stands for (``expansion``): they count as its words ("MLLMs" repeats "multimodal")."""
    support: dict[str, int] = {}
    picked: list[tuple[str, frozenset[str], str]] = []  # (shown, its words, term)
    for term, papers in ranked:
        # A phrase and its spelling as one word ("instruction following", "instruction-following",
        # normalized "instructionfollowing") are one term, found in as many papers as the more
        # common spelling at least (mostly the same papers: their sum would count them twice).
        key = term.replace(" ", "")
        support[key] = max(support.get(key, 0), papers)
        shown = " ".join(surfaces.get(w, w) for w in term.split())
        parts = _parts(shown)
        if spelled and spelled.get(term):
            parts = parts | frozenset().union(*(_parts(w) for w in spelled[term]))
        clash = [i for i, (_, other, _) in enumerate(picked) if other & parts]
        if not clash:
            picked.append((shown, parts, term))
        elif all(
            picked[i][1] < parts and support[key] >= REPLACE_SHARE * support[picked[i][2].replace(" ", "")]
            for i in clash
        ):
            # "scaling" and "law" then "scaling law": the phrase takes the first one's place.
            picked[clash[0]] = (shown, parts, term)
            picked = [t for i, t in enumerate(picked) if i not in clash[1:]]
        if len(picked) == n:
            break
    return [(shown, term) for shown, _, term in picked]


#: An acronym: two capitals or more, maybe digits, maybe a plural "s" ("DPO", "MLLMs", "T5").
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]+s?")


def expansion(shown: str, texts: Sequence[str]) -> frozenset[str]:
    """The words an acronym (``shown``, its usual spelling) stands for, as ``texts`` (lower-case)
    spell it out before it in parentheses: the shortest run of words just before "(dpo)" whose
    initials, English stop words left out, are its letters ("direct preference optimization").
    Empty for a term that is no acronym, or is never spelled out. Linear: one ``find`` per text,
    and a bounded stretch of text read before what it finds."""
    if not _ACRONYM.fullmatch(shown):
        return frozenset()
    letters = (shown[:-1] if shown.endswith("s") else shown).lower()
    found: set[str] = set()
    for text in texts:
        for mark in (f"({letters})", f"({letters}s)"):
            at = text.find(mark)
            if at < 0:
                continue
            before = re.findall(r"[a-z0-9]+", text[max(0, at - 30 * len(letters)) : at])
            run: list[str] = []
            for word in reversed(before):
                if word not in ENGLISH_STOP_WORDS or not run:
                    run.insert(0, word)
                initials = "".join(w[0] for w in run)
                if initials == letters:
                    found.update(singular(w) for w in run)
                    break
                if len(initials) >= len(letters) or not letters.endswith(initials):
                    break
    return frozenset(found)


def _parts(shown: str) -> frozenset[str]:
    """What a term is made of, for telling near-duplicates: its words (singular) and their Porter
    stems, and the same for the term written as one word ("pre-training", "pre training" and
    "pretraining" share "pretrain"; "retrieval" and "retriever" share "retriev")."""
    words = [singular(p) for p in re.split(r"[\s-]+", shown.lower()) if p]
    joined = "".join(words)
    return frozenset([*words, *(porter_stem(w) for w in words), joined, porter_stem(joined)])


def label_of(terms: list[str]) -> str:
    return " · ".join(shown_terms(terms))


def shown_terms(terms: Sequence[str]) -> list[str]:
    """The terms a label shows: the first three, or two where three make it long."""
    shown = list(terms[:3])
    return shown if len(" · ".join(shown)) <= 44 or len(shown) < 3 else shown[:2]
