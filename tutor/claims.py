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

import re
from dataclasses import dataclass

import numpy as np

from tutor import acronyms, analysis, sentences, thesaurus
from tutor.features import asks
from tutor.index import Index
from tutor.figures import facts, kind, other_day, same_figure, shown
from tutor.kinds import MONTHS, NAME
from tutor.query import Query, related_terms, respell, synonym_terms
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
    "unstated",  # the claim gives years (or figures) and the sentence gives none, or denies what it does not speak of
    "facts_on_topic",  # it gives all the claim's years and figures, and holds the claim's topic (its share of it)
    "facts_differ",  # both give years or figures, and some of the claim's are not the sentence's
    "name_differs",  # a name of the claim is not in it or the two before, and it names someone else
    "negation_differs",  # one of the two says "not", "never", "no" ... and the other does not
    "opposite",  # the sentence holds the opposite of a claim word ("low" for "high") and not the word
)
_NEGATION = re.compile(r"\b(?:not(?! only)|never|no(?! longer| sooner)|neither|nor|cannot|"
                       r"\w+n[’']t|fail(?:ed|s)? to|refus(?:ed|es) to)\b", re.IGNORECASE)
_NEGATIVE_PREFIX = re.compile(r"^(?:un|in|im|ir|il|dis|non)(?=[a-z]{4})")
_CALENDAR = {*MONTHS, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}  # not names
_SOME_NUMBER = re.compile(r"\bsome(?=\s+\d)", re.IGNORECASE)
# "A rather than B" says not B: a negation where the other text speaks of B too ("connect over
# Wi-Fi rather than receive their own feeds" against "do not receive their own feeds"), and
# none where it does not ("relied on mass mobilisation rather than experts").
_CONTRAST = re.compile(r"\b(rather than|instead of)\b([^,;:.]*)", re.IGNORECASE)
# Where a negation's clause ends: a stop, or a word that joins another clause to it.
_CLAUSE_END = re.compile(r"[,;:.!?()\[\]–—]|\b(?:but|while|whereas|as|because|although|though|which|who)\b",
                         re.IGNORECASE)
_TOOK_PLACE = re.compile(r"\b(?:took|take|takes|taken|taking) place\b", re.IGNORECASE)
SCOPE_WORDS = 6  # content words after a negation that it can deny


@dataclass(frozen=True)
class Difference:
    """What a source gives where the claim gives something else."""

    what: str  # "year", "figure", "name", "negation" or "opposite"
    claim: str  # the claim's words
    source: str  # the source's words


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
    negated: tuple[list, list]  # its negations and contrasts with what each denies (``_negated``)


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
    # In the sources' spelling ("Defense" is their "Defence", no other name), acronyms spelt out
    # as they do ("the GLF": "the Great Leap Forward", found in their "GLF" too)
    claim = acronyms.spelt_out(index, respell(index, claim), names=True)[0]
    claim = _TOOK_PLACE.sub("happened", claim)  # "took place" says no more than "happened", a frame word
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
    in_order = [analysis.normalise(w) for w in words]
    for i, stems in thesaurus.phrasal(in_order):  # "turned down" says "rejected"
        kin[analysis.stem(in_order[i])] |= set(stems)
    return _Claim(claim, query, cs, names, {i for c in names for s in c.stems if (i := index.term_ids.get(s)) is not None},
                  [c for c in cs if not c.name and not c.frame] or cs, [c for c in cs if not c.frame] or cs,
                  years, figures, claim_words,
                  {analysis.stem(w) for w in claim_words if w}, _opposites(claim_words),
                  kin, set().union(*kin.values()), _negated(claim))


# Words of going up and of going down: each is the opposite of every word of the other
# ("lowered the price" against "increased the price"), which WordNet links only pair by
# pair ("raise"/"lower", "increase"/"decrease").
_UP = frozenset(analysis.stem(w) for w in "rise rose risen increase grow grew grown raise boost expand gain climb "
                "soar double triple quadruple accelerate speed improve strengthen".split())
_DOWN = frozenset(analysis.stem(w) for w in "fall fell fallen decrease decline drop lower reduce shrink shrank cut "
                  "lose lost plummet halve slow flatten weaken worsen".split())


def _opposites(claim_words: set[str]) -> dict[str, str]:
    """The stems of the opposites of the claim's words (function words too: "less time"
    against "more time"; "efficient" against "inefficient", "unusable" against "usable"),
    each to the claim's word."""
    opposites = {a: w for w in claim_words if w and w.isalpha() for a in thesaurus.antonyms(w)}
    for w in claim_words:
        s = analysis.stem(w) if w else ""
        for a in (_DOWN if s in _UP else _UP if s in _DOWN else ()):
            opposites.setdefault(a, w)
    for w in claim_words:
        if w and analysis.is_content(w) and len(w) > 4:
            bare = _NEGATIVE_PREFIX.sub("", w)
            for other in ([bare] if bare != w else []) + [p + w for p in ("un", "in", "im", "ir", "il", "dis", "non")]:
                opposites.setdefault(analysis.stem(other), w)
    return opposites


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
    # "Not usable" says what "unusable" does: a claim's "not" and the source's opposite of the
    # word it denies cancel out.
    denied = {s for _, scope in c.negated[0] for s in scope}
    undone = {analysis.stem(c.opposites[s]) for s in found_opposite} & denied
    found_opposite = [s for s in found_opposite if analysis.stem(c.opposites[s]) not in undone]
    spoken = {s for s, k in c.kin.items() if k & stems}
    negations = _negations(c.negated, spoken - undone), _negations(_negated(text), c.said)
    # "would not have included any sport" is not stated by a sentence that says nothing of sport
    denies_unspoken = len(_negations(c.negated, None)) > len(_negations(c.negated, spoken | undone))
    another_day = other_day(c.text, text)
    d = _differences(index, c, text, context, (years, figures, unmatched, another_day), other_name, found_opposite,
                     negations)
    facts_same = bool(c.years or c.figures) and c.years <= years and not unmatched and not another_day
    cov_topic = concept_coverage(index, query, c.topic, own)[0]
    return ((concept_coverage(index, query, c.concepts, own)[0], concept_coverage(index, query, c.others, own)[0],
             cov_topic, max(0, len(c.topic) - held), facts_same,
             bool(c.years and not years or c.figures and not {kind(g) for g in figures} & set(map(kind, c.figures))
                  or denies_unspoken),
             cov_topic * facts_same,
             any(x.what in ("year", "figure") for x in d), other_name,
             len(negations[0]) != len(negations[1]), bool(found_opposite)), d)


def _names(text: str) -> list[str]:
    """The names ``text`` writes (``kinds.NAME``), days and months left out."""
    return [m.group() for m in NAME.finditer(text) if m.group().lower() not in _CALENDAR]


def _negations(negated: tuple[list, list], other: set[str] | None) -> list[str]:
    """Of a text's ``_negated``, the negations ("not", "never", ...) whose words the other text
    (its stems ``other``; every negation if None) speaks of too, and each such "rather than" or
    "instead of"."""
    denials, contrasts = negated
    return ([w for w, scope in denials if other is None or set(scope) & other]
            + [w for w, scope in contrasts if other is not None and set(scope) & other])


def _negated(text: str) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """``text``'s negations with what each denies (``_denied``), and its "rather than" and
    "instead of" with the stems of what follows each."""
    return _denied(text), [(m.group(1), analysis.stems(m.group(2))) for m in _CONTRAST.finditer(text)]


def _denied(text: str) -> list[tuple[str, list[str]]]:
    """Each negation of ``text`` with the stems of what it denies.

    Those are the words after it in its clause: "rationing failed to keep pace" says nothing
    against "the cities suffered food shortages", nor "parents dared not tell them otherwise"
    against "children were taught that it succeeded". With no content word after it, its word
    is the one before ("dared not tell them so"); a negation with neither is left out.
    """
    found = []
    for m in _NEGATION.finditer(text):
        clause = text[m.end():]
        end = _CLAUSE_END.search(clause)
        scope = analysis.stems(clause[:end.start()] if end else clause)[:SCOPE_WORDS]
        if not scope:
            before = text[:m.start()]
            starts = [b.end() for b in _CLAUSE_END.finditer(before)]
            scope = analysis.stems(before[starts[-1] if starts else 0:])[-1:]
        if scope:
            found.append((m.group(), scope))
    return found


def _differences(index: Index, c: _Claim, text: str, context: set[int], found: tuple, other_name: bool,
                 found_opposite: list[str], negations: tuple[list[str], list[str]]) -> tuple[Difference, ...]:
    """What sentence ``text`` gives where the claim gives something else."""
    years, figures, unmatched, another_day = found
    d = []
    if c.years and years and not c.years <= years:
        d.append(Difference("year", ", ".join(sorted(c.years - years)), ", ".join(sorted(years))))
    if another_day:
        d.append(Difference("year", *another_day))
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
        d.append(Difference("opposite", ", ".join(dict.fromkeys(c.opposites[s] for s in found_opposite)),
                            ", ".join(analysis.word_with_stem(text, s) for s in found_opposite)))
    return tuple(d)
