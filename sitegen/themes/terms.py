"""Terms: what a paper's text is reduced to before it is clustered and labelled.

Title and abstract are split into clauses, each into words: lower-case, singular, hyphens
dropped, stop words (scikit-learn's English list plus the generic words every abstract uses) out.
A document's terms are its words and the two-word phrases inside a clause.
"""

from __future__ import annotations

import re
from collections import Counter

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..models import Paper

# Words that every abstract uses whatever it is about. They would otherwise dominate both the
# clusters (papers grouped by writing style) and the labels ("model · results").
GENERIC_WORDS = frozenset(
    """
    model models modeling modelling propose proposed proposes proposing result results method
    methods approach approaches paper papers show shows shown showing performance perform performs
    based using use used uses new novel work works framework frameworks demonstrate demonstrates
    demonstrated achieve achieves achieved achieving significant significantly substantially
    existing state art sota experiment experiments experimental extensive outperform outperforms
    outperforming improve improves improved improving improvement improvements task tasks study
    studies introduce introduces introduced present presents presented effective effectively
    efficient efficiently key various different challenge challenges challenging furthermore
    moreover additionally however specifically particular particularly recent recently prior
    previous including include includes provide provides provided enable enables enabling allow
    allows leverage leverages leveraging address addresses addressing remain remains suggest
    suggests finding findings evaluate evaluated evaluation evaluations analysis analyze analyse
    conduct conducted compared compare comparison baseline baselines benchmark benchmarks dataset
    datasets code available release released github https http com www org io html url et al ie eg e
    g i vs via etc large small simple strong high low better best good higher lower number set sets
    way ways able wide widely range problem problems issue issues question questions setting
    settings despite level levels step steps make makes making like typically often usually commonly
    generally strategy strategies technique techniques mechanism design designed process key
    important crucial potential impact insight insights aim aims goal goals paradigm effectiveness
    efficiency capability capabilities ability abilities generalization robust robustness scalable
    accuracy accurate quality state-of-the-art consistently competitive superior comprehensive
    empirical empirically theoretical theoretically superiority versatile diverse diversity scenario
    scenarios real world practical fundamental limitations limitation limited lack lacks fail fails
    gap gaps open source publicly specific enhance enhanced enhancing enhances need needs identify
    given lead leads require requires required rely relies current additional directly single
    multiple example examples general research application applications obtain obtained yield yields
    effect effects respectively thereby overall instead particular remarkable notably stateoftheart
    largescale wellknown
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | GENERIC_WORDS)

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# A run of letters and digits, possibly hyphenated ("fine-tuning", "text-to-image"). It must hold
# a letter ("3D" yes, "2025" no); that is checked after the match, since a look-ahead for it
# re-scans every long run of digits, "-" or "_" from each of its positions (quadratic time).
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
#: Longer tokens are not words (a run of digits, a hash, a separator line); they are dropped.
MAX_TOKEN = 64
# Two-word phrases are only formed inside a clause, never across punctuation.
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”]|\s[-–—]\s")
# Plural endings that are not plurals.
_KEEP_S = ("ss", "us", "is", "as", "os", "ys")


def singular(word: str) -> str:
    """A light, predictable singularizer ("models" -> "model", "strategies" -> "strategy"), so that
    a label does not list a word and its plural as two terms."""
    if len(word) <= 3 or not word.isalpha() or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4 and word not in ("series", "species"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def words(text: str) -> list[list[tuple[str, str]]]:
    """The clauses of ``text``, each a list of (normalized word, surface form), stop words out.
    The normalized word is lower-case, singular and without hyphens, so that "Pre-training",
    "pretraining" and "pre-trainings" are one term."""
    clauses = []
    for clause in _CLAUSE.split(_URL.sub(" ", text)):
        kept = []
        for token in _TOKEN.findall(clause):
            if len(token) > MAX_TOKEN or not _LETTER.search(token):
                continue
            # A compound with a stop word in it ("prompt-based", "text-to-image") counts as its
            # other words, so that no term of a label carries a stop word.
            parts = token.split("-")
            if len(parts) > 1 and any(p.lower() in STOP_WORDS for p in parts):
                surfaces = [p for p in parts if p.lower() not in STOP_WORDS]
            else:
                surfaces = [token]
            for surface in surfaces:
                lower = surface.lower()
                norm = singular(lower.replace("-", ""))
                if len(norm) < 2 or lower in STOP_WORDS or norm in STOP_WORDS:
                    continue
                kept.append((norm, surface))
        if kept:
            clauses.append(kept)
    return clauses


def terms_of(clauses: list[list[tuple[str, str]]]) -> list[str]:
    """Terms of a text split by ``words``: normalized words and two-word phrases."""
    terms: list[str] = []
    for clause in clauses:
        norms = [norm for norm, _ in clause]
        terms.extend(norms)
        terms.extend(f"{a} {b}" for a, b in zip(norms, norms[1:], strict=False) if a != b)
    return terms


def analyze(text: str) -> list[str]:
    """Terms of ``text``: normalized words and two-word phrases."""
    return terms_of(words(text))


def pretokenized(terms: list[str]) -> list[str]:
    # The vectorizers get documents already split into terms (split once, used three times).
    return terms


def document(paper: Paper) -> str:
    """The text a paper is clustered by. The title counts twice: it is the densest summary."""
    return f"{paper.title}.\n{paper.title}.\n{paper.abstract}"


def surface_forms(documents: list[list[list[tuple[str, str]]]]) -> dict[str, str]:
    """Most frequent spelling of each normalized word ("llm" -> "LLMs", "dpo" -> "DPO")."""
    seen: dict[str, Counter] = {}
    for doc in documents:
        for clause in doc:
            for norm, surface in clause:
                # Title Case comes from titles; the lower-case spelling of abstracts reads better.
                if surface[:1].isupper() and surface[1:].islower():
                    surface = surface.lower()
                seen.setdefault(norm, Counter())[surface] += 1
    return {norm: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for norm, c in seen.items()}
