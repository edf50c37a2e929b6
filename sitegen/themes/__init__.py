"""Themes: group the papers by what they are about, name each group, find each paper's neighbours.

The stage runs on every build, so it is small and deterministic:

1. **Vectorize** title + abstract with TF-IDF over words and two-word phrases. The stop words are
   scikit-learn's English list plus the generic words every abstract uses ("model", "propose",
   "results", ...), so that what is left is what a paper is *about*.
2. **Factorize** the TF-IDF matrix with non-negative matrix factorization (NMF): k topics, each a
   non-negative mix of terms, and each paper a non-negative mix of topics. A paper's theme is its
   strongest topic. Unlike k-means on the same vectors, which must split the papers into round
   cells and so makes grab-bags of what is left over, a topic is a set of terms that occur
   *together*, and a paper can lean on it without sharing its every word.
3. **Choose k**: the number of themes is the one whose assignment has the best cosine silhouette
   in a latent semantic (TruncatedSVD) space, over a range derived from the number of papers (a
   ``themes:`` setting overrides it). Past ``max_full`` papers the count is chosen on a sample and
   the papers are first split into areas, each clustered alone (``areas.py``; the areas are
   k-means cells of the latent space: there, cells of comparable size are wanted), so that the cost
   stays about linear in the number of papers. When the previous build's themes are stored alongside the
   content (``content/themes.json``), the factorization starts from them instead, so that adding
   a dump keeps existing papers where they were and theme slugs survive (see
   ``scripts/theme_stability.py``); the count grows with the papers as a fresh build's does, so
   that a subject the new papers bring gets a theme of its own.
   Either way the themes are then refined until a round changes nothing (``_settle``): a build's
   themes, stored and built again, come back unchanged. While the papers the stored themes were
   fitted on are at least 90 % of all, they are *carried* instead (``carry.py``): nothing is
   factorized, and each new paper joins the theme it is most like.
   A theme whose papers share no subject term (a grab-bag, ``coherence.py``) is dissolved into
   the themes its papers lean to next.
4. **Label** each theme with class-based TF-IDF (c-TF-IDF, as BERTopic does): the terms that are
   frequent in this theme *and* rare in the others, not merely frequent; no term spread over all
   themes, phrases first (``labels.py``). A theme keeps its stored name while it keeps most of its
   papers, and a name pinned in ``content/themes.yaml`` wins (``names.py``). A group whose
   titles share no term in 40 % of its papers (the papers left over between subjects) is no
   theme: it is not named, and its papers are listed apart ("Papers of no theme",
   ``Site.leftover``), while the next build is still seeded with it. A term cut from a longer
   one ("pre-trained language" of "pre-trained language models") names nothing.
5. **Rehome** the papers of no theme that carry a theme's name: each joins the theme it is likest
   to where that theme's label has a term of its own, else the likest whose label has a word of
   its title or a phrase of its text (``rehome.py``); the others stay of no theme.
6. **Relate**: each paper's nearest papers by cosine similarity of their TF-IDF vectors, in
   blocks, within its area (``related.py``); a pair's similarity depends on the two papers only,
   so with carried themes the papers of the last build keep their neighbours and are compared
   with the new papers only.

The modules, in the order the stage runs them: ``terms`` (text to terms), ``vectors`` (TF-IDF
and unit rows, without importing scikit-learn), ``model`` (``ThemeModel``, a scikit-learn style
estimator: ``__init__`` stores parameters, ``fit`` does the work and returns ``self``, learned
attributes end in ``_``), ``carry`` (stored themes carried while few papers are new),
``areas`` (the cost at scale), ``coherence`` (grab-bags), ``labels`` (c-TF-IDF), ``names``
(carried and pinned names), ``rehome`` (papers of no theme that carry a theme's name),
``related``, ``stored`` (``content/themes.json``) and ``stage``
(``assign_themes``, the build stage that turns the model's output into ``Theme`` records).
"""

from .labels import class_terms, label_of, pick_terms, theme_terms
from .model import ThemeModel
from .names import Pin, read_pins
from .stage import OTHER, assign_themes, themes_in
from .stored import StoredTheme, permalink_owners, read_stored, themes_record
from .terms import GENERIC_WORDS, STOP_WORDS, analyze, document, singular, terms_of, words

__all__ = [
    "GENERIC_WORDS",
    "OTHER",
    "Pin",
    "STOP_WORDS",
    "StoredTheme",
    "ThemeModel",
    "analyze",
    "assign_themes",
    "class_terms",
    "document",
    "label_of",
    "pick_terms",
    "permalink_owners",
    "read_pins",
    "read_stored",
    "singular",
    "terms_of",
    "theme_terms",
    "themes_in",
    "themes_record",
    "words",
]
