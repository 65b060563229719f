"""Short product labels: an HS text a person reads at a glance in a chart or a table.

HS texts run to 500 characters of legal wording ("Footwear; n.e.c. in heading no. 6402,
(other than just covering the ankle), with outer soles and uppers of rubber or plastics").
A label keeps what names the goods and drops the rest, by rules, in this order, until it
fits LABEL_WIDTH characters:

1. boilerplate: "n.e.c. in heading no. 6402", "[25.27]", a bare "n.e.c.", a clause that is
   just "other", a fragment that repeats its heading ("Copper ores and concentrates.");
2. parentheses ("(including cermets)", "(other than just covering the ankle)");
3. clauses that only exclude or cross-refer ("excluding fillets", "other than ...",
   "whether or not ...", "of heading 6811");
4. middle clauses, keeping the head (what the goods are) and the last, most specific one;
5. only then words from the end, at a word boundary, marked with one ellipsis.

A word is never cut. For the codes that matter most to the focus areas a cited override
(tradeviz/data/hs_label_overrides.csv: revs, code, label, source) replaces the rules.
Computed once by scripts/build_hs_reference.py into the shipped codes table; the full
description stays beside it in every frame and download."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

LABEL_WIDTH = 60  # characters of a label (the code, when shown, comes before it)
ALL_REVS = ("H0", "H1", "H2", "H3", "H4", "H5", "H6")

_REFERENCE = re.compile(
    r",?\s*\bn\.e\.c\.\s+in\s+(?:sub)?(?:heading|item|chapter)s?\s*(?:no\.?\s*)?"
    r"[\d.]+(?:\s*(?:,|or|and|to)\s*[\d.]+)*"
    r"|\s*\[[\d.\s\[\]]+\]",
    re.IGNORECASE,
)
_BARE_NEC = re.compile(r"(?<![\w.])n\.e\.c\.(?=\s*(?:[,;]|$))", re.IGNORECASE)
_PARENS = re.compile(r"\s+\([^()]*\)(?!\w)")  # not inside a name: bis(2-...)sulfide
_WEAK = re.compile(
    r"^(?:excluding|excl\.|other than|not |whether or not|including|but not|except)"
    r"|\b(?:sub)?headings?\b|\bitem no\b|\bchapter \d",
    re.IGNORECASE,
)
_OTHER = re.compile(r"^(?:other|others|n\.e\.c\.?|not elsewhere specified(?: or included)?)$", re.I)
# a subheading text that only qualifies its heading ('Other', 'Of a cylinder capacity ...')
_DEPENDENT = re.compile(
    r"(?:other|of|in|with|without|not|containing|for|having|weighing|exceeding|put up|"
    r"mixed|unmixed|excluding|including|whether|but|less|more|n\.e\.[cs])\b",
    re.IGNORECASE,
)
# removed (never replaced: a label has only words of its own text) when a text is too long
_FILLER = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (r"\s+by weight\b", r"\s+of a kind(?= used)", r"\s*\(INN\)", r",?\s+therefor\b")
)
_DANGLING = {"a", "an", "and", "or", "of", "the", "for", "with", "to", "by"}  # 'bone in' is whole
_TAIL_WORDS = {"a", "an", "and", "or", "of", "the", "for", "with", "in", "to", "by", "on", "not"}


def _clean(text: str) -> str:
    """Whitespace, trailing full stop, cross-references and bare n.e.c. removed."""
    t = re.sub(r"\s+", " ", str(text)).strip()
    t = _REFERENCE.sub("", t)
    t = _BARE_NEC.sub("", t)
    t = re.sub(r"\s+([,;:])", r"\1", t)
    t = re.sub(r"[,;](?:\s*[,;])+", _stronger, t)  # "; ," left by a removal
    t = re.sub(r"^[\s,;:]+|[\s,;:.]+$", "", t)
    words = re.sub(r"\s{2,}", " ", t).split(" ")
    while len(words) > 1 and words[-1].lower() in _DANGLING:  # a text cut in the source
        words.pop()
    return " ".join(words).rstrip(" ,;:")


def _stronger(m: re.Match) -> str:
    return ";" if ";" in m.group(0) else ","


def _clauses(text: str) -> list[tuple[str, str]]:
    """(separator before, clause) pairs: split at '; ' and ', ' (never inside '1,500')."""
    parts = re.split(r"(;\s+|,\s+)", text)
    out = [("", parts[0])]
    for sep, clause in zip(parts[1::2], parts[2::2], strict=True):
        out.append((sep.strip() + " ", clause))
    return [(s, c.strip()) for s, c in out if c.strip()]


def _join(clauses: list[tuple[str, str]]) -> str:
    text = "".join(sep + (_lower(c) if sep else c) for sep, c in clauses).strip()
    return text[:1].upper() + text[1:] if text else text


def _lower(clause: str) -> str:
    """'In powder' -> 'in powder' after a break; 'LED' and 'U235' stay."""
    return clause[:1].lower() + clause[1:] if clause[1:2].islower() else clause


def _word_cut(text: str, width: int) -> str:
    """At most `width` characters ending at a word boundary, one ellipsis marking the cut."""
    words = text[: width - 1].split(" ")
    if len(text) > width - 1 and text[width - 1] != " ":
        words = words[:-1]  # the last word was cut: leave it out whole
    while len(words) > 1 and words[-1].lower().strip(",;:") in _TAIL_WORDS | {""}:
        words.pop()
    return " ".join(words).rstrip(" ,;:(") + "…"


def shorten(text: str, heading: str | None = None, width: int = LABEL_WIDTH) -> str:
    """The label of one HS text (`heading`: the heading's first clause, for a subheading
    text that is a fragment such as 'Other' or 'Natural gas')."""
    body = _clean(text)
    if heading:
        head = _clean(heading)
        if not body or _OTHER.match(body):
            body = head  # 'Other' under 'Motorcycles': the heading says it
        elif head.lower() not in body.lower():  # a repeated heading is not said twice
            both = f"{head}; {_lower(body)}"
            # a subheading that names its goods ('Hydrogen fluoride') stands alone when
            # the heading would not fit beside it
            alone = len(both) > width and body[:1].isupper() and not _DEPENDENT.match(body)
            body = body if alone else both
    clauses = [(s, c) for s, c in _clauses(body) if not _OTHER.match(c)] or _clauses(body)
    text = _join(clauses)
    if len(text) <= width:
        return text
    text = _clean(_PARENS.sub("", text))
    for filler in _FILLER:  # words that say nothing a reader needs, when space is short
        if len(text) > width:
            text = filler.sub("", text)
    if len(text) <= width:
        return text
    clauses = _drop_weak(_clauses(text), width)
    text = _join(clauses)
    if len(text) <= width:
        return text
    prefix, both = _prefix(clauses, width), _head_and_last(clauses, width)
    # the leading clauses read best (a head and its first qualifiers); the head with the
    # last, most specific clause when the leading ones say little; else a word cut
    for candidate in (prefix if prefix.count(",") + prefix.count(";") else "", both, prefix):
        if len(candidate) >= width // 2:
            return candidate
    return _word_cut(text, width)


def _drop(clauses: list[tuple[str, str]], i: int) -> None:
    """Delete clause i; the next one inherits a '; ' before it (the stronger break)."""
    if i + 1 < len(clauses) and clauses[i][0].startswith(";"):
        clauses[i + 1] = (clauses[i][0], clauses[i + 1][1])
    del clauses[i]


def _drop_weak(clauses: list[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """Without the clauses that only exclude or cross-refer, last first, until the text fits;
    an exclusion takes the list after it ('excluding fillets, fish meat of 0304, ...') up to
    the next '; '."""
    out = list(clauses)
    i = len(out) - 1
    while i > 0 and len(_join(out)) > width:
        if _WEAK.search(out[i][1]):
            end = i + 1
            while end < len(out) and not out[end][0].startswith(";"):
                end += 1
            for k in range(end - 1, i - 1, -1):
                _drop(out, k)
        i = min(i, len(out)) - 1
    return out


def _head_and_last(clauses: list[tuple[str, str]], width: int) -> str:
    """The head and the last clause, then middle clauses from the left while they fit."""
    if not 2 <= len(clauses) <= 4:  # in a longer run the last clause ends a list
        return ""
    # after a long clause, ', images or other data' ends that clause's list: not a qualifier
    if not clauses[-1][0].startswith(";") and len(clauses[-2][1].split()) > 3:
        return ""

    def text(picked: list[int]) -> str:  # the head's own break stays after it
        out = [clauses[i] for i in picked]
        out[1] = (clauses[1][0], out[1][1])
        return _join(out)

    keep = [0, len(clauses) - 1]
    if len(text(keep)) > width:
        return ""
    for k in range(1, len(clauses) - 1):
        trial = sorted([*keep, k])
        if len(text(trial)) <= width:
            keep = trial
    return text(keep)


def _prefix(clauses: list[tuple[str, str]], width: int) -> str:
    """The longest run of leading clauses that fits ('' when even the head does not)."""
    for k in range(len(clauses), 0, -1):
        text = _join(clauses[:k])
        if len(text) <= width:
            return text
    return ""


@lru_cache(maxsize=1)
def overrides() -> pd.DataFrame:
    """The cited override labels, one row per revision and code: rev, code, label, source."""
    path = resources.files("tradeviz.data").joinpath("hs_label_overrides.csv")
    with path.open("r", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False, comment="#")
    revs = [list(ALL_REVS) if r.strip() == "*" else r.split() for r in raw["revs"].str.strip()]
    out = raw.assign(rev=revs).explode("rev")
    return out[["rev", "code", "label", "source"]].reset_index(drop=True)


def labels(
    rev: pd.Series, code: pd.Series, text: pd.Series, heading: pd.Series | None = None
) -> pd.Series:
    """Labels for columns of revisions, codes, texts and (for fragments, else null) heading
    clauses: the override where one is listed, else shorten()."""
    heads = heading if heading is not None else pd.Series(None, index=text.index, dtype=object)
    out = [
        shorten(t, h if isinstance(h, str) and h else None)
        for t, h in zip(text.astype(object), heads.astype(object), strict=True)
    ]
    ov = overrides()
    table = dict(zip(zip(ov["rev"], ov["code"], strict=True), ov["label"], strict=True))
    out = [
        table.get((r, c), label)
        for r, c, label in zip(rev.astype(object), code.astype(object), out, strict=True)
    ]
    return pd.Series(out, index=text.index, dtype="str")
