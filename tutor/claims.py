"""What describes a source sentence for one claim: named features of the pair.

``candidates`` reads the sentences of the passages a claim retrieves, each with a row of
``NAMES``: how much of the claim it holds (its words, their inflections and synonyms;
names also from the two sentences before), whether it gives the same years and figures or others,
whether one of the two negates what the other says, and whether it holds a word's
opposite ("unusable" against "high-quality"). ``tutor.check`` weighs the rows with two
logistic regressions fitted by ``benchmarks/train_check.py`` (``tutor/data/check.json``):
the probability that the sentence states the claim, and that it says otherwise.

``Difference`` names what differs, for the teacher: "1958" in the claim, "1953" in the source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from tutor import analysis, sentences, thesaurus
from tutor.features import asks
from tutor.index import Index
from tutor.kinds import MONTHS, NAME, figure_spans
from tutor.query import Query, related_terms, synonym_terms
from tutor.retrieval import concept_coverage, concepts, rerank, scores

PASSAGES = 10  # a claim's sentences are looked for in this many leading passages
CANDIDATES = 15  # and the best this many by cosine are weighed
CONTEXT = 2  # a sentence is read with this many before it in its passage, for the names it leaves out
ABOUT = 9  # the first nine features say whether a sentence speaks of what the claim does; the rest, how it differs
NAMES = (
    "coverage",  # share of the claim's concepts (weighted by rarity) the sentence holds
    "coverage_others",  # the same for the claim's concepts other than names and frame words (for "X, not Y, did it")
    "coverage_topic",  # the same for its topic, the words that frame it left out ("began", "effects")
    "missing",  # how many of the claim's topic concepts it lacks
    "similarity",  # its cosine with the claim over the best candidate's
    "similarity_raw",  # its cosine with the claim
    "facts_same",  # the claim gives years or figures and the sentence gives them all
    "facts_missing",  # the claim gives years (or figures) and the sentence gives none
    "facts_on_topic",  # it gives all the claim's years and figures, and holds the claim's topic (its share of it)
    "facts_differ",  # both give years or figures, and some of the claim's are not the sentence's
    "name_differs",  # a name of the claim is not in it or the two before, and it names someone else
    "negation_differs",  # one of the two says "not", "never", "no" ... and the other does not
    "opposite",  # the sentence holds the opposite of a claim word ("low" for "high") and not the word
)
_NEGATION = re.compile(r"\b(?:not(?! only)|never|no(?! longer| sooner)|neither|nor|cannot|"
                       r"\w+n[’']t|fail(?:ed|s)? to|refus(?:ed|es) to)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")
_SHORT_RANGE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\s*[-–]\s*([0-9]{2})\b")
_NEGATIVE_PREFIX = re.compile(r"^(?:un|in|im|ir|il|dis|non)(?=[a-z]{4})")
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SMALL = "|".join([*_UNITS, *_TENS])
# "and" only after a scale, as in "two hundred and five": "fifteen and forty-five" is two numbers.
_AFTER_SCALE = "|".join(f"(?<={s})" for s in _SCALES)
_NUMBER_RUN = re.compile(rf"\b(?:(?:{_SMALL})(?:(?:(?:{_AFTER_SCALE})[\s-]+and[\s-]+|[\s-]+)(?:{_SMALL}|{'|'.join(_SCALES)}))*"
                         rf"|an?\s+(?:{'|'.join(_SCALES)})(?:[\s-]+(?:{'|'.join(_SCALES)}))*)\b", re.IGNORECASE)
_FRACTIONS = {"a half": 50, "one half": 50, "half": 50, "½": 50, "a third": 33, "one third": 33, "⅓": 33,
              "two thirds": 67, "⅔": 67, "a quarter": 25, "one quarter": 25, "one in four": 25, "¼": 25,
              "three quarters": 75, "¾": 75, "a tenth": 10, "one tenth": 10, "one in ten": 10, "a fifth": 20,
              "one fifth": 20, "one in five": 20}
_FRACTION = re.compile("|".join(rf"(?<!\w){re.escape(f)}(?!\w)" for f in sorted(_FRACTIONS, key=len, reverse=True)),
                       re.IGNORECASE)
_ORDINALS = {w: f"{i}th" for i, w in enumerate("third fourth fifth sixth seventh eighth ninth tenth".split(), start=3)}
_ORDINAL = re.compile(rf"\b(?:{'|'.join(_ORDINALS)})\b", re.IGNORECASE)
# "first" and "second" mean too much else ("first supplied", "a second"): they are ordinals
# after "the" or a possessive ("Europe's first pay-TV platform", "the second largest").
# Not before a number: "the first thirty days" are thirty days.
_FIRST_SECOND = re.compile(rf"(\b(?:the|its|their|his|her)\s+|\w['’]s\s+)(first|second)\b"
                           rf"(?!\s+(?:\d|(?:{_SMALL}|a hundred)\b))", re.IGNORECASE)
_TIMES = re.compile(r"\b(?:twice|thrice)\b", re.IGNORECASE)
_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion)", re.IGNORECASE)
# "£4.2bn", "£362m": a magnitude written short after a number ("m" only after money: "100m"
# may be metres).
_SHORT_SCALE = re.compile(r"((?:[£$€]\s?)?\d+(?:[.,]\d+)*)\s?(bn|m)\b")
_MONTH_DAY = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?=\s+(?:of\s+)?(?:{'|'.join(MONTHS)})\b)"
                        rf"|\b((?:{'|'.join(MONTHS)})\s+)\d{{1,2}}(?:st|nd|rd|th)?\b(?![.]?\d)", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({'|'.join(MONTHS)})\b"
                           rf"|\b({'|'.join(MONTHS)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+(?!1\d{3}\b|20\d{2}\b)(\d[\d.,]*)\s+and\s+(?!1\d{3}\b|20\d{2}\b)(\d[\d.,]*)",
                      re.IGNORECASE)
_CALENDAR = {*MONTHS, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}  # not names
_SOME_NUMBER = re.compile(r"\bsome(?=\s+\d)", re.IGNORECASE)
# "A rather than B" says not B: a negation where the other text speaks of B too ("connect over
# Wi-Fi rather than receive their own feeds" against "do not receive their own feeds"), and
# none where it does not ("relied on mass mobilisation rather than experts").
_CONTRAST = re.compile(r"\b(rather than|instead of)\b([^,;:.]*)", re.IGNORECASE)
_CURRENCY = re.compile(r"[£$€]\s?$")
_MONEY_WORDS = r"pounds?|dollars?|euros?|yuan|francs?|rupees?|roubles?|rubles?|yen"  # (not "marks": "(6 marks)")
_MONEY_AFTER = re.compile(rf"\s*({_MONEY_WORDS})\b", re.IGNORECASE)  # "820,000 pounds"
_MONEY_SUFFIX = re.compile(rf" (?:{_MONEY_WORDS})$")


@dataclass(frozen=True)
class Difference:
    """What a source gives where the claim gives something else."""

    what: str  # "year", "figure", "name", "negation" or "opposite"
    claim: str  # the claim's words
    source: str  # the source's words


def facts(text: str) -> tuple[set[str], set[str]]:
    """Years, and figures normalised for comparison ("fifteen" and "15" alike; "30 %" as "30%")."""
    years = set(_YEAR.findall(text))
    years |= {a[:2] + b for a, b in _SHORT_RANGE.findall(text)}  # "1958-62" ends in 1962
    figures = set()
    # Fractions become percentages ("a third", "one in four", "¾"); numbers in words become
    # digits ("six hours", "thirty per cent", "six hundred thousand"), but "one" alone stays a
    # word ("one of the causes").
    words_to_digits = _FRACTION.sub(lambda m: f"{_FRACTIONS[m.group().lower()]}% ", text)
    words_to_digits = _NUMBER_RUN.sub(lambda m: f"{n} " if (n := _number(m.group())) >= 2 else m.group(),
                                      words_to_digits)
    words_to_digits = _ORDINAL.sub(lambda m: _ORDINALS[m.group().lower()], words_to_digits)
    words_to_digits = _FIRST_SECOND.sub(lambda m: m.group(1) + {"first": "1st", "second": "2nd"}[m.group(2).lower()],
                                         words_to_digits)
    words_to_digits = _TIMES.sub(lambda m: {"twice": "2 times", "thrice": "3 times"}[m.group().lower()], words_to_digits)
    words_to_digits = _SHORT_SCALE.sub(_scaled_short, words_to_digits)
    words_to_digits = _MONTH_DAY.sub(lambda m: m.group(1) or "", words_to_digits)  # "22 May": a day is part of a date
    words_to_digits = _BETWEEN.sub(r"\1 to \2", words_to_digits)  # "between 15 and 45 million": "15 to 45 million"
    for start, end, f in figure_spans(words_to_digits):
        f = _SCALED.sub(lambda m: str(round(float(m.group(1)) * _SCALES[m.group(2).lower()])), f)
        f = re.sub(r"[\s,]", "", f.lower()).replace("percent", "%").replace("percent", "%")
        f = re.sub(r"^(\d+)\.\d+%$", lambda m: f"{round(float(m.group()[:-1]))}%", f)
        # Money and angles are kinds of their own: "£299" is not contradicted by "22".
        currency = _CURRENCY.search(words_to_digits[max(0, start - 2):start])
        named = _MONEY_AFTER.match(words_to_digits, end)
        figures.add((currency.group().strip() if currency else "") + f
                    + (" " + named.group(1).lower() if named and not currency else "")
                    + ("°" if words_to_digits[end:end + 1] == "°" else ""))
    return years, figures


def _scaled_short(m: re.Match) -> str:
    """A ``_SHORT_SCALE`` match written out: "£4.2bn" as "£4.2 billion", "£362m" as "£362 million"."""
    number, short = m.groups()
    if short == "bn":
        return f"{number} billion"
    return f"{number} million" if number[0] in "£$€" else m.group()


def same_figure(a: str, b: str) -> bool:
    """Two figures (as ``facts`` gives them) alike, or one the other rounded ("almost 3.4
    million" for "3,393,000": within half of 3.4 million's last digit; "over a third"
    for "36%" is 33 % against 36 %: within 3 points); a figure inside a range is alike too
    ("about 45 million" and "15 to 45 million"). "912" is not "911", nor 17,000 18,000."""
    if a == b:
        return True
    x, y = _bounds(a), _bounds(b)
    if x is None or y is None or kind(a) != kind(b):
        return False
    slack = 3 if a.endswith("%") else max(_rounding(v) for v in (*x, *y))
    if x[0] == x[1] or y[0] == y[1]:  # one figure against another, or inside a range
        return min(x[1], y[1]) - max(x[0], y[0]) >= -slack
    return abs(x[0] - y[0]) <= slack and abs(x[1] - y[1]) <= slack  # two ranges: the same one


def _rounding(value: float) -> float:
    """How far a figure written as ``value`` may lie from what it rounds: half a unit of its
    last digit other than 0, and at most 5 % of it (3,400,000: 50,000; 30,000,000: 1.5
    million; ten: 0.5; 911: 0.5)."""
    v = abs(value)
    unit = 1.0
    if v and v == int(v):
        n = int(v)
        while n % 10 == 0:
            n //= 10
            unit *= 10
    return min(unit / 2, 0.05 * v) if v != int(v) else max(0.5, min(unit / 2, 0.05 * v))


def kind(figure: str) -> str:
    """What a figure (as ``facts`` gives it) counts: "percent", "money", "degrees" or "number"."""
    return ("percent" if figure.endswith("%") else "money" if figure.startswith(("£", "$", "€"))
            or _MONEY_SUFFIX.search(figure) else "degrees" if figure.endswith("°") else "number")


def unpriced(figure: str) -> str:
    """A figure (as ``facts`` gives it) without its currency: "£820000" and "820000 pounds" as "820000"."""
    return _MONEY_SUFFIX.sub("", figure).lstrip("£$€")


def _bounds(figure: str) -> tuple[float, float] | None:
    """A figure's lowest and highest value: "15to45000000" is 15 to 45 million (the scale
    is said once, after the second number), "30%" is 30 to 30."""
    figure = unpriced(figure).rstrip("%°")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(?:to|-|–)(\d+(?:\.\d+)?)", figure)
    if not m:
        try:
            v = float(figure)
        except ValueError:
            return None
        return v, v
    low, high = float(m.group(1)), float(m.group(2))
    if high >= 1000 and low < high / 1000:
        low *= 10 ** (3 * int(math.log10(high) // 3))
    return low, high


def shown(figure: str) -> str:
    """A figure as ``facts`` gives it, for a teacher: "45000000" as "45 million", "15to45000000"
    as "15 to 45 million", "3393000" as "3,393,000", "£4200000000" as "£4.2 billion"."""
    bounds = _bounds(figure)
    if bounds is None:
        return figure
    unit = figure[-1] if kind(figure) in ("percent", "degrees") else ""
    money = figure[0] if figure.startswith(("£", "$", "€")) else ""
    unit = m.group() if (m := _MONEY_SUFFIX.search(figure)) else unit  # "820,000 pounds"
    def one(v: float) -> str:
        for scale, word in ((1e9, "billion"), (1e6, "million")):
            if v >= scale and abs(round(v / scale, 2) * scale - v) < 0.5:  # ("5.35 million", as a text writes it)
                return f"{v / scale:g} {word}"
        return f"{v:,.0f}" if v == int(v) else f"{v:g}"
    low, high = bounds
    if low == high:
        return money + one(low) + unit
    lo, hi = one(low), one(high)
    if lo.split()[-1] == hi.split()[-1] and " " in lo:  # "15 million to 45 million" -> "15 to 45 million"
        lo = lo.split()[0]
    return f"{money}{lo} to {hi}{unit}"


def _number(words: str) -> int:
    """"six hundred thousand" -> 600000, "thirty" -> 30, "two and a half" is left to the text."""
    total, current = 0, 0
    for w in re.findall(r"[a-z]+", words.lower()):
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
    return total + current


def claim_query(index: Index, claim: str) -> Query:
    """The claim read as a question is: its words, and the corpus's synonyms of them."""
    return Query(claim, claim, related=related_terms(index, claim), synonyms=synonym_terms(index, claim))


@dataclass
class _Claim:
    """What is read from a claim once, for weighing each candidate sentence against it."""

    text: str
    query: Query
    concepts: list  # its concepts (``retrieval.Concept``), numbers alone left out
    names: list  # those it writes as names
    name_ids: set[int]  # their term ids (a sentence may take them from the sentences before)
    others: list  # its concepts other than names and frame words
    topic: list  # its concepts other than frame words
    years: set[str]
    figures: set[str]
    words: set[str]  # its normalised words
    stems: set[str]
    opposites: dict[str, str]  # the stem of an opposite of a claim word -> that word
    kin: dict[str, set[str]]  # a claim word's stem -> it and its synonyms' stems
    said: set[str]  # every stem in ``kin``: what the claim says, in its words or their synonyms


def candidates(index: Index, claim: str, docs: set[int] | None = None
               ) -> tuple[Query, list[int], np.ndarray, list[tuple[Difference, ...]]]:
    """``(query, [sentence], X, differences)``: the claim's candidate source sentences, best
    by cosine first, their features (``NAMES``) and what each gives otherwise."""
    c = _read(index, claim)
    if not c.concepts:
        return c.query, [], np.zeros((0, len(NAMES))), []
    p_scores, s_scores = scores(index, c.query, docs)
    passages = [h.passage for h in rerank(index, c.query, p_scores, PASSAGES)]
    s_scores.prepare(passages)
    offsets, quotable = index.passage_sentences, index.a["sentence_quotable"]
    js = [j for p in passages for j in range(int(offsets[p]), int(offsets[p + 1]))  # never a heading,
          if quotable[j] and s_scores[j] > 0 and not asks(index.sentence_text(j))]  # a fragment, a question
    js = sorted(js, key=lambda j: (-s_scores[j], j))[:CANDIDATES]
    top = max((float(s_scores[j]) for j in js), default=0.0) or 1.0
    rows, diffs = [], []
    for j in js:
        row, d = _weigh(index, c, j)
        rows.append((*row[:4], float(s_scores[j]) / top, float(s_scores[j]), *row[4:]))
        diffs.append(d)
    return c.query, js, np.array(rows, dtype=float).reshape(len(rows), len(NAMES)), diffs


def _read(index: Index, claim: str) -> _Claim:
    query = claim_query(index, claim)
    cs = [c for c in concepts(index, query) if not all(s.replace(".", "").isdigit() for s in c.stems)]
    words = analysis.words(claim)  # (the first word is a name when the corpus writes it so, or a name follows)
    titled = analysis.title_cased(words)  # ("The Great Leap Forward Began In 1958."; then the corpus says)
    capitalised = {analysis.normalise(w) for i, w in enumerate(words) if w[:1].isupper() and (
        i > 0 and not titled or analysis.normalise(w) in index.names
        or (not titled and len(words) > 1 and words[1][:1].isupper()))} - _CALENDAR
    # (what a claim says "rather than" is not a name the source must give)
    capitalised -= {analysis.normalise(w) for m in _CONTRAST.finditer(claim) for w in analysis.words(m.group(2))}
    names = [c for c in cs if c.name and set(c.words) & capitalised]  # as the claim writes them
    claim_words = {analysis.normalise(w) for w in words}
    years, figures = facts(claim)
    kin = {analysis.stem(w): {analysis.stem(w), *thesaurus.synonyms(w)} for w in claim_words if w}
    return _Claim(claim, query, cs, names, {i for c in names for s in c.stems if (i := index.term_ids.get(s)) is not None},
                  [c for c in cs if not c.name and not c.frame] or cs, [c for c in cs if not c.frame] or cs,
                  years, figures, claim_words,
                  {analysis.stem(w) for w in claim_words if w}, _opposites(claim_words),
                  kin, set().union(*kin.values()))


def _opposites(claim_words: set[str]) -> dict[str, str]:
    """The stems of the opposites of the claim's words (function words too: "less time"
    against "more time"; "efficient" against "inefficient", "unusable" against "usable"),
    each to the claim's word."""
    opposites = {a: w for w in claim_words if w and w.isalpha() for a in thesaurus.antonyms(w)}
    for w in claim_words:
        if w and analysis.is_content(w) and len(w) > 4:
            bare = _NEGATIVE_PREFIX.sub("", w)
            for other in ([bare] if bare != w else []) + [p + w for p in ("un", "in", "im", "ir", "il", "dis", "non")]:
                opposites.setdefault(analysis.stem(other), w)
    return opposites


def _word_with_stem(text: str, stem: str) -> str:
    """The word of ``text`` that has ``stem`` in one of its spellings ("criticised" for "critic")."""
    return next((w for w in analysis.words(text)
                 if stem in {analysis.stem(v) for v in analysis.spellings(analysis.normalise(w))}), stem)


def _weigh(index: Index, c: _Claim, j: int) -> tuple[tuple, tuple[Difference, ...]]:
    """Sentence ``j``'s features (``NAMES`` but the two cosines) and what it gives otherwise."""
    text, query = index.sentence_text(j), c.query
    own = sentences.terms(index, j)
    # A name may come from the sentences before ("Peng was denounced. He was replaced ..."),
    # or from the line under a quotation that says whose it is ("John K. Fairbank, historian").
    p = int(index.a["sentence_passage"][j])
    first, last = int(index.passage_sentences[p]), int(index.passage_sentences[p + 1])
    credited = [i for i in range(j + 1, last) if not index.a["sentence_quotable"][i]]
    context = own.union(*(sentences.terms(index, i) & c.name_ids
                          for i in [*range(max(first, j - CONTEXT), j), *credited]))
    # ("some 600,000" is about 600,000: no opposite of "all")
    stems = {analysis.stem(v) for w in analysis.words(_SOME_NUMBER.sub("", text))
             for v in analysis.spellings(analysis.normalise(w))}
    # An opposite counts when the claim's word (or a synonym of it) is not there too.
    # Nor when the claim says it in other words ("began" for "started", against "stopped").
    found_opposite = sorted(s for s in c.opposites if s in stems and s not in c.said
                            and not c.kin[analysis.stem(c.opposites[s])] & stems)
    # A sentence that says the opposite of a claim word speaks of what the claim does:
    # "low grade and unusable" is about "high-grade and usable" steel.
    own = own | {i for s in found_opposite if (i := index.term_ids.get(analysis.stem(c.opposites[s]))) is not None}
    context |= own
    names_ok = all(concept_coverage(index, query, [n], context)[0] > 0 for n in c.names)
    _, held = concept_coverage(index, query, c.concepts, context if names_ok else own)
    years, figures = facts(text)
    unmatched = {f for f in c.figures if not any(same_figure(f, g) for g in figures)}
    other_name = bool(c.names) and not names_ok and bool(_names(text))
    negations = _negations(c.text, stems), _negations(text, c.said)
    other_day = _other_day(c.text, text)
    d = _differences(index, c, text, context, (years, figures, unmatched, other_day), other_name, found_opposite,
                     negations)
    facts_same = bool(c.years or c.figures) and c.years <= years and not unmatched and not other_day
    cov_topic = concept_coverage(index, query, c.topic, own)[0]
    return ((concept_coverage(index, query, c.concepts, own)[0], concept_coverage(index, query, c.others, own)[0],
             cov_topic, max(0, len(c.topic) - held), facts_same,
             bool(c.years and not years or c.figures and not {kind(g) for g in figures} & set(map(kind, c.figures))),
             cov_topic * facts_same,
             any(x.what in ("year", "figure") for x in d), other_name,
             len(negations[0]) != len(negations[1]), bool(found_opposite)), d)


def _other_day(claim: str, text: str) -> tuple[str, str] | None:
    """A day of a month the claim gives where the sentence gives another day of that month
    ("2 October" against "1 October"), as each writes it; None when they agree, or the
    sentence gives no day of that month ("in October 1998" says no day)."""
    theirs = _days(text)
    for key, written in _days(claim).items():
        others = [w for (month, _), w in theirs.items() if month == key[0]]
        if key not in theirs and others:
            return written, others[0]
    return None


def _days(text: str) -> dict[tuple[str, int], str]:
    """Each date that gives its day ("1 October", "1st of October", "October 1"), as
    ``(month, day)``, with the words that give it."""
    return {((m.group(2) or m.group(3)).lower(), int(m.group(1) or m.group(4))): m.group().strip()
            for m in _DAY_OF_MONTH.finditer(text)}


def _names(text: str) -> list[str]:
    """The names ``text`` writes (``kinds.NAME``), days and months left out."""
    return [m.group() for m in NAME.finditer(text) if m.group().lower() not in _CALENDAR]


def _negations(text: str, other: set[str]) -> list[str]:
    """The negations of ``text`` ("not", "never", ...), and each "rather than" or "instead of"
    whose words the other text (its stems ``other``) speaks of too."""
    contrasts = [m.group(1) for m in _CONTRAST.finditer(text) if set(analysis.stems(m.group(2))) & other]
    return _NEGATION.findall(text) + contrasts


def _differences(index: Index, c: _Claim, text: str, context: set[int], found: tuple, other_name: bool,
                 found_opposite: list[str], negations: tuple[list[str], list[str]]) -> tuple[Difference, ...]:
    """What sentence ``text`` gives where the claim gives something else."""
    years, figures, unmatched, other_day = found
    d = []
    if c.years and years and not c.years <= years:
        d.append(Difference("year", ", ".join(sorted(c.years - years)), ", ".join(sorted(years))))
    if other_day:
        d.append(Difference("year", *other_day))
    # A figure differs from another of its kind: "£299" not from "22", "25,000 people" not from "28.5°".
    differing = {f for f in unmatched if any(kind(f) == kind(g) for g in figures)}
    if differing:
        d.append(Difference("figure", ", ".join(shown(f) for f in sorted(differing)),
                            ", ".join(shown(g) for g in sorted(figures) if kind(g) in {kind(f) for f in differing})))
    if other_name:
        theirs = [n for n in _names(text) if not {w.lower() for w in re.split(r"[\s-]+", n)} & c.words
                  and (" " in n or n.lower() in index.names)]  # not "Since" opening a clause
        d.append(Difference("name", ", ".join(" ".join(n.words).title() for n in c.names
                                              if concept_coverage(index, c.query, [n], context)[0] == 0),
                            ", ".join(dict.fromkeys(theirs[:3]))))
    claim_not, source_not = negations
    if len(claim_not) != len(source_not):
        more = len(claim_not) > len(source_not)  # the claim says "not" where the source does not, or back
        said = (claim_not if more else source_not)[-1]
        d.append(Difference("negation", said if more else "", "" if more else said))
    if found_opposite:
        d.append(Difference("opposite", ", ".join(c.opposites[s] for s in found_opposite),
                            ", ".join(_word_with_stem(text, s) for s in found_opposite)))
    return tuple(d)
