"""Quiz questions made from the sources' own sentences, and the checking of answers.

A question blanks one key fact of a sentence: a name, a year or a number (``keys``). The
sentences asked about are those most typical of the documents chosen (nearest, by TF-IDF
cosine, to their centroid), spread over the documents; headings, captions, questions and
exercise lines are never used (only sentences the index marks quotable, of 8 to 45
words). Multiple-choice options other than the answer are keys of the same kind found
elsewhere in the same documents (other years, other names), never one the sources put in
the blank's place (a second right answer). The same corpus, settings
and seed always give the same quiz.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from tutor import analysis, sentences
from tutor.analysis import ENGLISH_STOP_WORDS
from tutor.answer import Citation, sentence_citation
from tutor.figures import facts, unpriced
from tutor.index import Index

MIN_WORDS, MAX_WORDS = 8, 45
SHORTLIST = 4  # sentences considered per question wanted, the most typical first
OPTIONS = 4  # a multiple-choice question's options, the answer among them
NAME_MATCH = 85  # rapidfuzz ratio from which a typed name counts as the name (a slip or two)
BLANK = "_____"

_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})(?:s\b|\b(?![-–]\d))")  # "1958", "the 1950s"; not "1958-62"
_UNIT = r"(?:\s*(?:%|per cent|million|billion))?"
_NUMBER = re.compile(rf"(?<![\w.,\-–])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?{_UNIT}(?![\w\-–]|[,.]\d)")
_WORD = re.compile(r"[A-Z][\w’'-]*\w|[A-Z]")


@dataclass(frozen=True)
class Key:
    """A fact of a sentence a question can blank: ``text`` is ``sentence[start:end]``."""

    kind: str  # "name", "year" or "number"
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    """One quiz question: ``prompt`` is its sentence with the answer blanked; the answer is
    in ``citation.quote``; ``choices`` (multiple choice only) hold it among others."""

    id: str
    type: str  # "cloze" or "choice"
    kind: str  # what is asked: "name", "year" or "number"
    prompt: str
    answer: str
    choices: tuple[str, ...]
    citation: Citation


def keys(index: Index, text: str) -> list[Key]:
    """The names, years and numbers of a sentence. A name is a run of capitalised words of
    which one at least the corpus always capitalises ("Great Leap Forward", "Peng Dehuai"),
    without a leading stop word ("The") or a possessive ending ("Mao’s" names "Mao")."""
    out = [Key("year", m.group(), m.start(), m.end()) for m in _YEAR.finditer(text)]
    taken = [(k.start, k.end) for k in out]
    for m in _NUMBER.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken) and m.group() not in ("0", "1"):
            out.append(Key("number", m.group(), m.start(), m.end()))
    runs: list[list[re.Match]] = []
    for m in _WORD.finditer(text):
        if runs and text[runs[-1][-1].end():m.start()] == " " and not _POSSESSIVE.search(runs[-1][-1].group()):
            runs[-1].append(m)
        else:
            runs.append([m])
    for run in runs:
        while run and run[0].group().lower() in ENGLISH_STOP_WORDS:
            run = run[1:]
        if run and any(_is_name_word(index, m.group()) for m in run):
            end = run[-1].end() - len(_POSSESSIVE.search(run[-1].group()).group() if _POSSESSIVE.search(
                run[-1].group()) else "")
            out.append(Key("name", text[run[0].start():end], run[0].start(), end))
    return sorted(out, key=lambda k: k.start)


_POSSESSIVE = re.compile(r"[’']s$")


def _is_name_word(index: Index, word: str) -> bool:
    return len(word) > 1 and _POSSESSIVE.sub("", word).lower() in index.names


def candidates(index: Index, docs: set[int] | None = None) -> list[int]:
    """Sentences worth asking about, the most typical of the documents first."""
    a = index.a
    pool = [j for j in range(index.n_sentences) if a["sentence_quotable"][j]
            and (docs is None or index.doc_of_passage(int(a["sentence_passage"][j])) in docs)]
    pool = [j for j in pool if MIN_WORDS <= len(index.sentence_text(j).split()) <= MAX_WORDS
            and not index.sentence_text(j).rstrip().endswith(("?", ":"))]
    if not pool:
        return []
    S = sentences.rows(index, pool)
    centroid = np.asarray(S.mean(axis=0)).ravel()
    typical = S @ centroid
    return [pool[i] for i in sorted(range(len(pool)), key=lambda i: (-typical[i], pool[i]))]


def make_quiz(index: Index, count: int = 10, seed: int = 0, docs: set[int] | None = None,
              choice_share: float = 0.5) -> list[Question]:
    """``count`` questions on the documents ``docs`` (all if None); about ``choice_share``
    of them multiple choice, when enough other options of the kind exist."""
    rng = random.Random(seed)
    ranked = candidates(index, docs)
    shortlist = ranked[:count * SHORTLIST]
    rng.shuffle(shortlist)
    # The shortlist first, spread over the documents; then, if it asked too few, the rest.
    shortlist = round_robin(index, shortlist) + ranked[count * SHORTLIST:]
    found = _Keys(index, docs)
    out: list[Question] = []
    asked: set[str] = set()
    for j in shortlist:
        if len(out) == count:
            break
        c = sentence_citation(index, 1, j)
        usable = [k for k in keys(index, c.quote) if k.text.lower() not in asked and not found.trivial(k)
                  and k.end - k.start < len(c.quote) / 2]
        if not usable:
            continue
        key = rng.choice(usable)
        asked.add(key.text.lower())
        prompt = c.quote[:key.start] + BLANK + c.quote[key.end:]
        frame = _frame(c.quote, key)
        others = [o for o in found.alike(key) if o not in c.quote and not found.said_in(o, key.kind, frame)]
        choices: tuple[str, ...] = ()
        if rng.random() < choice_share and len(others) >= OPTIONS - 1:
            picked = rng.sample(others[:2 * (OPTIONS - 1)], OPTIONS - 1)
            choices = tuple(sorted([key.text, *picked], key=lambda o: (_sort_key(o), o)))
        out.append(Question(f"q{len(out) + 1}", "choice" if choices else "cloze", key.kind, prompt, key.text,
                            choices, c))
    return out


def round_robin(index: Index, order: list[int]) -> list[int]:
    """The sentences ``order``, taking one from each document in turn (spread over them)."""
    turn: dict[int, int] = {}
    seen: dict[int, int] = {}
    for j in order:
        d = index.doc_of_passage(int(index.a["sentence_passage"][j]))
        turn[j] = seen.get(d, 0)
        seen[d] = turn[j] + 1
    return sorted(order, key=lambda j: turn[j])


FRAME_REACH = 3  # an option this near (in content words) to the blank's neighbour fills its place
TRIVIAL_SHARE = 0.04  # a key in more of the sentences than this is the subject itself ("China")


class _Keys:
    """Every key in the documents' quotable sentences: how often each occurs, and which
    are like one another (wrong options for it)."""

    def __init__(self, index: Index, docs: set[int] | None):
        a = index.a
        self.js = [j for j in range(index.n_sentences) if a["sentence_quotable"][j]
                   and (docs is None or index.doc_of_passage(int(a["sentence_passage"][j])) in docs)]
        self.where: dict[str, dict[str, list[int]]] = {}
        self.text: dict[str, str] = {}
        for row, j in enumerate(self.js):
            for k in keys(index, index.sentence_text(j)):
                self.where.setdefault(k.kind, {}).setdefault(k.text.lower(), []).append(row)
                self.text.setdefault(k.text.lower(), k.text)
        self.index = index
        self._S = None
        self._people: set[str] | None = None
        self._docs = docs

    @property
    def people(self) -> set[str]:
        """The names ``glossary.people`` finds in the documents, and each of their words."""
        if self._people is None:
            from tutor.glossary import people  # (glossary reads names with this module's keys)

            names = [e.name.lower() for e in people(self.index, self._docs)]
            self._people = set(names) | {w for n in names for w in n.split()}
        return self._people

    def trivial(self, key: Key) -> bool:
        """A key too common to ask (the subject itself), or a piece of a longer name that
        is usually written whole ("Forward" of a "Great leap Forward")."""
        names = self.where.get(key.kind, {})
        n = len(set(names.get(key.text.lower(), [])))
        if n > max(2, TRIVIAL_SHARE * len(self.js)):
            return True
        if key.kind == "name" and " " not in key.text:
            word = key.text.lower()
            return any(len(rows) >= 3 * n for t, rows in names.items() if " " in t and word in t.split())
        return False

    def said_in(self, option: str, kind: str, frame: tuple[str | None, str | None]) -> bool:
        """True when a sentence puts ``option`` where the blank is: right after the content
        word before the blank, or right before the one after it ("catch up with the West"
        makes "West" no wrong option for "catch up with the _____")."""
        before, after = frame
        for row in self.where.get(kind, {}).get(option.lower(), []):
            text = self.index.sentence_text(self.js[row])
            for m in re.finditer(rf"(?<!\w){re.escape(option)}(?!\w)", text):
                if before and before in analysis.stems(text[:m.start()])[-FRAME_REACH:]:
                    return True
                if after and after in analysis.stems(text[m.end():])[:FRAME_REACH]:
                    return True
        return False

    def alike(self, key: Key) -> list[str]:
        """The other keys of the kind, most alike first: years and numbers nearest in value;
        names said more than once, of as many words, in the most alike sentences."""
        others = [t for t in self.where.get(key.kind, {}) if t != key.text.lower()]
        if key.kind != "name":  # (of the same unit: "15" years is not set against "5.35 million")
            target, unit = _sort_key(key.text)[0], _unit(key.text)
            return sorted((self.text[t] for t in others if _unit(t) == unit),
                          key=lambda o: (abs(_sort_key(o)[0] - target), o))
        words = len(key.text.split())
        others = [t for t in others if len(self.where["name"][t]) >= 2 and len(t.split()) == words
                  and not self.trivial(Key("name", t, 0, 0))]
        # A person's name among people, any other name among other names: "Britain" is not
        # set against "Liu Shaoqi".
        person = key.text.lower() in self.people
        same = [t for t in others if (t in self.people) == person]
        others = same if len(same) >= OPTIONS - 1 else others
        if self._S is None:
            self._S = sentences.rows(self.index, self.js)
        own = np.asarray(self._S[self.where["name"].get(key.text.lower(), [])].sum(axis=0)).ravel()
        own /= np.linalg.norm(own) or 1.0

        def likeness(t: str) -> float:
            v = np.asarray(self._S[self.where["name"][t]].sum(axis=0)).ravel()
            return float(v @ own) / (np.linalg.norm(v) or 1.0)

        return [self.text[t] for t in sorted(others, key=lambda t: (-likeness(t), t))]


def _frame(quote: str, key: Key) -> tuple[str | None, str | None]:
    """The stems of the content words next to a blank: the last before it and the first
    after it (None at either end of the sentence)."""
    before, after = analysis.stems(quote[:key.start]), analysis.stems(quote[key.end:])
    return (before[-1] if before else None), (after[0] if after else None)


def _unit(number: str) -> str:
    return re.sub(r"[\d.,\s]", "", number).replace("percent", "%")


def _sort_key(option: str) -> tuple[float, str]:
    digits = re.sub(r"[^\d.]", "", option.split()[0]) if option[:1].isdigit() else ""
    try:
        return float(digits), option
    except ValueError:
        return 0.0, option


# -- checking an answer ------------------------------------------------------------------------

_FILLER = re.compile(r"^(?:(?:in|the|by|around|about|approximately|roughly|circa|c\.|some|over|almost) )+")


def _plain(text: str) -> str:
    """Lower case, ASCII, no punctuation but "%" and a decimal point; "1,200" as "1200";
    "in", "the", "about" and the like before a year or number left out."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = " ".join(re.sub(r"[^\w%.]+", " ", text).replace("per cent", "%").split()).strip(". ")
    return _FILLER.sub("", text)


def is_right(q: Question, given: str) -> bool:
    """Whether a student's answer is the question's: a choice as offered; a name with a slip
    or two in its spelling (or one of a longer name's words, spelt right); a year or number
    in digits or in words ("fifteen", "15"), commas and "per cent" as written or not."""
    given = given.strip()
    if not given:
        return False
    if q.kind in ("year", "number"):
        (years, figures), (want_years, want_figures) = facts(_plain(given)), facts(_plain(q.answer))
        if years and want_years:
            return years == want_years  # ("1958 or 1959" hedges: not the answer)
        if figures and want_figures:  # ("4.2 billion" for "£4.2bn": the sign is in the question)
            return set(map(unpriced, figures)) == set(map(unpriced, want_figures))
        return _plain(given) == _plain(q.answer)
    a, g = _plain(q.answer), _plain(given)
    if q.type == "choice" and g != a and any(_plain(o) == g for o in q.choices):
        return False  # another option, spelt exactly: wrong, however alike the two look
    if fuzz.ratio(a, g) >= NAME_MATCH:
        return True
    words = a.split()
    return len(words) > 1 and g in words and len(g) >= 3
