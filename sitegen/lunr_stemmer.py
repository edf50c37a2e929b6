"""The Porter stemmer exactly as lunr.js 2.3.9 has it (``lunr.stemmer``), ported to Python.

Why not lunr.py's stemmer: it is Martin Porter's original Python code, and lunr.js uses his later
JavaScript version, which differs. For example step 1c: lunr.py stems ``survey`` to ``survei``,
lunr.js leaves it ``survey``; an index built with lunr.py's stemmer then misses every query for
"survey" typed in the browser. The index must contain the terms lunr.js makes of a query, so it is
built with this port, and ``tests/test_search.py`` checks it against lunr.js on the whole sample
vocabulary. Each regular expression below is the one of the same name in lunr.js.
"""

from __future__ import annotations

import re

from lunr.token import Token

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
    "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate",
    "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al",
    "iviti": "ive", "biliti": "ble", "logi": "log",
}  # fmt: skip
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}

_c = "[^aeiou]"  # consonant
_v = "[aeiouy]"  # vowel
_C = _c + "[^aeiouy]*"  # consonant sequence
_V = _v + "[aeiou]*"  # vowel sequence

# JavaScript's "." stops at \n, \r, \u2028 and \u2029; Python's only at \n.
_ANY = "[^\n\r\u2028\u2029]"

re_mgr0 = re.compile("^(" + _C + ")?" + _V + _C)  # [C]VC... is m>0
re_meq1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + ")?$")  # [C]VC[V] is m=1
re_mgr1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)  # [C]VCVC... is m>1
re_s_v = re.compile("^(" + _C + ")?" + _v)  # vowel in stem

re_1a = re.compile(f"^({_ANY}+?)(ss|i)es$")
re2_1a = re.compile(f"^({_ANY}+?)([^s])s$")
re_1b = re.compile(f"^({_ANY}+?)eed$")
re2_1b = re.compile(f"^({_ANY}+?)(ed|ing)$")
re_1b_2 = re.compile(f"{_ANY}$")
re2_1b_2 = re.compile("(at|bl|iz)$")
re3_1b_2 = re.compile(r"([^aeiouylsz])\1$")
re4_1b_2 = re.compile("^" + _C + _v + "[^aeiouwxy]$")

re_1c = re.compile(f"^({_ANY}+?[^aeiou])y$")
re_2 = re.compile(
    f"^({_ANY}+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism"
    "|iveness|fulness|ousness|aliti|iviti|biliti|logi)$"
)
re_3 = re.compile(f"^({_ANY}+?)(icate|ative|alize|iciti|ical|ful|ness)$")
re_4 = re.compile(f"^({_ANY}+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$")
re2_4 = re.compile(f"^({_ANY}+?)(s|t)(ion)$")
re_5 = re.compile(f"^({_ANY}+?)e$")
re_5_1 = re.compile("ll$")
re3_5 = re.compile("^" + _C + _v + "[^aeiouwxy]$")


def _search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    # JavaScript's "$" (without the m flag) matches only at the very end; Python's also before a
    # final "\n". Refusing such a match keeps the two the same.
    match = pattern.search(text)
    if match and pattern.pattern.endswith("$") and match.end() != len(text):
        return None
    return match


def _drop_last(text: str) -> str:
    """``w.replace(/.$/, "")``."""
    match = _search(re_1b_2, text)
    return text[: match.start()] + text[match.end() :] if match else text


def porter_stem(w: str) -> str:
    """Stem one word the way lunr.js 2.3.9's ``porterStemmer`` does."""
    if len(w) < 3:
        return w
    firstch = w[0]
    if firstch == "y":
        w = firstch.upper() + w[1:]

    # Step 1a
    if m := _search(re_1a, w):
        w = m.group(1) + m.group(2) + w[m.end() :]
    elif m := _search(re2_1a, w):
        w = m.group(1) + m.group(2) + w[m.end() :]

    # Step 1b
    if m := _search(re_1b, w):
        if re_mgr0.search(m.group(1)):
            w = _drop_last(w)
    elif m := _search(re2_1b, w):
        stem = m.group(1)
        if re_s_v.search(stem):
            w = stem
            if _search(re2_1b_2, w):
                w = w + "e"
            elif _search(re3_1b_2, w):
                w = _drop_last(w)
            elif _search(re4_1b_2, w):
                w = w + "e"

    # Step 1c: a final y becomes i after a consonant that is not the first letter (cry -> cri, say -> say)
    if m := _search(re_1c, w):
        w = m.group(1) + "i"

    # Step 2
    if m := _search(re_2, w):
        stem, suffix = m.group(1), m.group(2)
        if re_mgr0.search(stem):
            w = stem + _STEP2[suffix]

    # Step 3
    if m := _search(re_3, w):
        stem, suffix = m.group(1), m.group(2)
        if re_mgr0.search(stem):
            w = stem + _STEP3[suffix]

    # Step 4
    if m := _search(re_4, w):
        stem = m.group(1)
        if re_mgr1.search(stem):
            w = stem
    elif m := _search(re2_4, w):
        stem = m.group(1) + m.group(2)
        if re_mgr1.search(stem):
            w = stem

    # Step 5
    if m := _search(re_5, w):
        stem = m.group(1)
        if re_mgr1.search(stem) or (_search(re_meq1, stem) and not _search(re3_5, stem)):
            w = stem
    if _search(re_5_1, w) and re_mgr1.search(w):
        w = _drop_last(w)

    if firstch == "y":
        w = firstch.lower() + w[1:]
    return w


def stemmer(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    """Lunr pipeline function: lunr.js's stemmer."""
    return token.update(lambda s, metadata=None: porter_stem(s))
