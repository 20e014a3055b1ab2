"""Split a document into passages and sentences, as ``[start, end)`` ranges of its text.

Paragraphs are found line by line (a pasted web page puts each paragraph, heading and
list item on its own line; hard-wrapped lines that continue a sentence are joined).
Passages group paragraphs: a heading opens a passage and stays with what follows it,
short list items gather under the line that introduces them, and a paragraph longer
than ``max_chars`` is cut at sentence boundaries into parts of similar length.

Invariants (tested as properties on arbitrary text):

- ``text[p.start:p.end] == p.text`` for every passage and sentence;
- passages do not overlap and, together, cover every non-white-space character;
- every sentence lies inside its passage.

Sentences come from NLTK's Punkt, trained on the corpus itself (no download).
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from nltk.tokenize import punkt as _punkt
from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer, PunktToken, PunktTrainer

from tutor.cleaning import BODY, HEADING, JUNK, Line, classify, ends_sentence

MAX_CHARS = 1500  # a passage longer than this is split at sentence boundaries
MIN_CHARS = 350  # a passage shorter than this takes in the next paragraph
SHORT_BLOCK = 160  # list items and one-liners this short gather with their neighbours
MAX_SENTENCE = 600  # a "sentence" with no punctuation is cut at white space
MIN_QUOTE_WORDS = 4
TRAINING_CHARS = 1_000_000  # Punkt learns from at most this much text (about 170,000 words; see training_sample)

# Abbreviations common in English prose that a small corpus may not teach Punkt.
COMMON_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e cf ca c no nos vol vols p pp ch fig figs ed eds "
    "approx dept est gen gov lt col capt sgt rev hon inc ltd co corp jan feb mar apr jun jul aug "
    "sep sept oct nov dec u.s u.k u.n a.m p.m b.c a.d".split()
)


@dataclass(frozen=True)
class Passage:
    """A retrievable unit of a document: ``document.text[start:end] == text``.

    ``para``/``para_end`` are the document's paragraph numbers it spans (1-based, as a
    reader counts them), ``line`` the line it starts on, ``part`` its part number when a
    long paragraph was split (0 when it was not), ``boilerplate`` whether it is page
    furniture that is never indexed or quoted.
    """

    start: int
    end: int
    text: str
    para: int
    para_end: int
    line: int
    part: int = 0
    boilerplate: bool = False


@dataclass(frozen=True)
class Sentence:
    """A quotable span: ``document.text[start:end] == text``, inside ``passages[passage]``.

    ``quotable`` is False for headings and for fragments too short to stand as a quote.
    """

    start: int
    end: int
    text: str
    passage: int
    quotable: bool


@dataclass(frozen=True)
class _Block:
    start: int
    end: int
    kind: str
    para: int
    line: int


class _PlainVars(PunktLanguageVars):
    """NLTK's Punkt patterns, compiled with the standard ``re`` module.

    NLTK 3.10 sends every pattern through ``nltk.redos`` (the ``regex`` engine and a
    wall-clock timeout on every call), a guard meant for patterns a caller supplies.
    These are NLTK's own fixed patterns, linear on any input (its ReDoS fix of issue
    2866), and the guard cost more than the matching: the same patterns with ``re``
    split sentences about three times as fast, with the same boundaries.
    """

    __slots__ = ()
    re_boundary_realignment = re.compile(PunktLanguageVars.re_boundary_realignment.pattern, re.MULTILINE)

    def _word_tokenizer_re(self):
        return _compiled(self._word_tokenize_fmt, NonWord=self._re_non_word_chars,
                         MultiChar=self._re_multi_char_punct, WordStart=self._re_word_start)

    def period_context_re(self):
        return _compiled(self._period_context_fmt, NonWord=self._re_non_word_chars,
                         SentEndChars=self._re_sent_end_chars)


@lru_cache(maxsize=None)
def _compiled_pattern(fmt: str, parts: tuple[tuple[str, str], ...]) -> re.Pattern:
    return re.compile(fmt % dict(parts), re.UNICODE | re.VERBOSE)


def _compiled(fmt: str, **parts: str) -> re.Pattern:
    """One of Punkt's format patterns filled in and compiled with ``re``, once."""
    return _compiled_pattern(fmt, tuple(sorted(parts.items())))


class _PlainToken(PunktToken):
    """``PunktToken`` with its patterns compiled by ``re`` (see ``_PlainVars``)."""

    __slots__ = ()
    _RE_ELLIPSIS = re.compile(r"\.\.+$")
    _RE_NUMERIC = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
    _RE_INITIAL = re.compile(r"[^\W\d]\.$", re.UNICODE)
    _RE_ALPHA = re.compile(r"[^\W\d]+$", re.UNICODE)


_VARS = _PlainVars()
_PERIOD_CONTEXT = _VARS.period_context_re()
_WORD_TOKEN = _VARS._word_tokenizer_re()
_REALIGN = _VARS.re_boundary_realignment
_SENT_END_CHARS = frozenset(_VARS.sent_end_chars)
_PUNCTUATION = frozenset(PunktSentenceTokenizer.PUNCTUATION)
_ASCII_SPACE = string.whitespace
_OTHER_SPACE = re.compile("[\t\n\r\x0b\x0c]")
# The commonest candidate context: a word of two or more ASCII letters, a full stop,
# spaces, a capitalised word.
_PLAIN_CONTEXT = re.compile(r"([A-Za-z]{2,})\. +([A-Z][a-z]*)")
# Its full stop and capitalised word found in a whole paragraph (the word is all of the
# token after the full stop: white space or the end follows it).
_PLAIN_FULL_STOP = re.compile(r"\.(?= +([A-Z][a-z]*)(?!\S))")
_NUMBER = "##number##"


class SentenceSplitter:
    """Punkt sentence boundaries, with parameters learnt from the corpus's own text.

    ``boundaries`` is NLTK's ``PunktSentenceTokenizer.span_tokenize`` (with boundary
    realignment) rewritten for speed: the same candidates, the same decision at each,
    but on plain strings instead of a ``PunktToken`` object per word of every
    candidate's context. Splitting is most of the cost of building an index, and
    tests check the two agree on every corpus they see.
    """

    def __init__(self, params: PunktParameters | None = None):
        if params is None:
            params = PunktParameters()
            params.abbrev_types = set(COMMON_ABBREVIATIONS)
        self.params_ = params
        self._json: str | None = None  # to_json's text, made once (a build sends it to each worker, then saves it)
        self._tokenizer = PunktSentenceTokenizer(params, lang_vars=_VARS, token_cls=_PlainToken)
        self._abbrev = frozenset(params.abbrev_types)
        self._collocations = frozenset(params.collocations)
        self._special = self._abbrev | {first for first, _ in self._collocations}
        self._starters = frozenset(params.sent_starters)
        self._ortho = dict(params.ortho_context)

    @classmethod
    def train(cls, texts: list[str], sampled: bool = False) -> "SentenceSplitter":
        """Learn abbreviations, collocations and sentence starters from ``texts``
        (from a sample of them, see ``training_sample``, unless ``sampled`` says they
        are one already).

        A learnt "abbreviation" that the corpus also uses as a plain word without a
        full stop (a "day." at the end of a sentence) is dropped: a small corpus
        mistakes such words for abbreviations.
        """
        trainer = _Trainer()
        if not sampled:
            texts = [texts[i] for i in training_sample([len(t) for t in texts])]
        # Punkt's default takes a pair seen once ("1830. It") for a collocation that is
        # never split; a small corpus needs real evidence.
        trainer.MIN_COLLOC_FREQ = 5
        raw: Counter[str] = Counter()
        for text in texts:
            trainer.train_text(text)
            raw.update(text.split())
        trainer.finalize_training()
        params = trainer.get_params()
        plain = {w.lower() for w in raw if w.isalpha()}
        params.abbrev_types = {a for a in params.abbrev_types if "." in a or len(a) == 1 or a not in plain}
        params.abbrev_types |= COMMON_ABBREVIATIONS
        return cls(params)

    def boundaries(self, text: str) -> list[int]:
        """Start offsets of the sentences of ``text`` (the first is always 0)."""
        if not text.strip():
            return [0]
        plain = self._plain_boundaries(text)
        if plain is not None:
            return plain
        # NLTK's _slices_from_text and _realign_boundaries, in one loop.
        starts: list[int] = []
        ends: list[int] = []
        last_break = 0
        for match, start in self._candidates(text):
            if self._breaks(text, start, match.end("after_tok")):
                starts.append(last_break)
                ends.append(match.end())
                last_break = match.start("next_tok") if match.group("next_tok") else match.end()
        starts.append(last_break)
        ends.append(len(text.rstrip()))
        out = {0}
        realign = 0
        for i, (a, b) in enumerate(zip(starts, ends)):
            a += realign
            if i + 1 == len(starts):
                if b > a:
                    out.add(a)
                continue
            m = _REALIGN.match(text[starts[i + 1]:ends[i + 1]])
            if m:
                out.add(a)
                realign = m.end()
            else:
                realign = 0
                if b > a:
                    out.add(a)
        return sorted(out)

    def _plain_boundaries(self, text: str) -> list[int] | None:
        """``boundaries`` of a paragraph whose every possible sentence end (but a last one,
        at its end) is a "Word. Next" context of plain words, the commonest paragraph;
        None for any other.

        Such an end is a candidate of its own (a space before its word and after its
        full stop), there is nothing to realign (a capital follows), and Punkt's decision
        is ``_breaks``'s first: a break unless the word is an abbreviation (then None:
        Punkt's full decision) or the pair a collocation.
        """
        if text[0].isspace():
            return None  # (NLTK takes a white space at the very start for none)
        body = text.rstrip()
        ends = body.count(".") + body.count("?") + body.count("!") - (body[-1] in _SENT_END_CHARS)
        starts = [0]
        for match in _PLAIN_FULL_STOP.finditer(body):
            ends -= 1
            stop = match.start()
            word = body[body.rfind(" ", 0, stop) + 1:stop]
            if len(word) < 2 or not (word.isascii() and word.isalpha()):
                return None
            word = word.lower()
            if word in self._special:  # an abbreviation, or the first word of a collocation
                if word in self._abbrev:
                    return None
                if (word, match.group(1).lower()) in self._collocations:
                    continue
            starts.append(match.start(1))
        return starts if ends == 0 else None  # (another kind of candidate: Punkt's full decision)

    @staticmethod
    def _candidates(text: str):
        """NLTK's ``_match_potential_end_contexts``: each possible sentence end, and where
        the text around it starts (the word before it; it, and what follows, end at
        ``match.end("after_tok")``)."""
        other_space = _OTHER_SPACE.search(text) is not None
        prev_start = prev_stop = 0
        prev_match = None
        for match in _PERIOD_CONTEXT.finditer(text):
            start = match.start()
            # The last ASCII white space between the previous candidate and this one
            # (mostly a space, with no other white space after it).
            last = text.rfind(" ", prev_stop, start)
            if other_space and _OTHER_SPACE.search(text, max(last + 1, prev_stop), start):
                last = max(text.rfind(ch, prev_stop, start) for ch in _ASCII_SPACE)
            # NLTK counts a white space at the very first position as none found.
            word_start = last + 1 if last > prev_stop else prev_start
            if prev_match is not None and prev_stop <= word_start:
                yield prev_match, prev_start
            prev_match, prev_start, prev_stop = match, word_start, start
        if prev_match is not None:
            yield prev_match, prev_start

    def _breaks(self, text: str, start: int, end: int) -> bool:
        """NLTK's ``text_contains_sentbreak`` on the context ``text[start:end]``: does a
        word of it other than the last end a sentence, after Punkt's two annotation passes?"""
        plain = _PLAIN_CONTEXT.fullmatch(text, start, end)
        if plain:
            # "Word. Next": the word ends a sentence unless it is an abbreviation or the
            # pair a collocation (what the passes below decide for such a context).
            word = plain.group(1).lower()
            if word not in self._abbrev:
                return (word, plain.group(2).lower()) not in self._collocations
        toks: list[str] = []
        for line in text[start:end].split("\n"):
            if line.strip():
                toks.extend(_WORD_TOKEN.findall(line))
        n = len(toks)
        if n < 2:
            return False
        # First pass: each word alone. (sentbreak, abbr, ellipsis) per word.
        first = [self._first_pass(t) for t in toks]
        for i in range(n - 1):
            if self._second_pass(toks[i], first[i], toks[i + 1], first[i + 1][0]):
                return True
        return False

    def _first_pass(self, tok: str) -> tuple[bool, bool, bool]:
        if tok in _SENT_END_CHARS:
            return True, False, False
        if len(tok) >= 2 and not tok.strip("."):  # an ellipsis: two or more full stops
            return False, False, True
        if tok.endswith(".") and not tok.endswith(".."):
            low = tok[:-1].lower()
            if low in self._abbrev or low.split("-")[-1] in self._abbrev:
                return False, True, False
            return True, False, False
        return False, False, False

    def _second_pass(self, tok: str, state: tuple[bool, bool, bool], nxt: str, nxt_break: bool) -> bool:
        """Whether ``tok`` ends a sentence, given the next word (Punkt's section 4)."""
        sentbreak, abbr, ellipsis = state
        if not tok.endswith("."):
            return sentbreak
        typ = _type_no_period(_type(tok))
        next_typ = _type(nxt)
        if nxt_break:
            next_typ = _type_no_period(next_typ)
        initial = _is_initial(tok)
        if (typ, next_typ) in self._collocations:
            return False
        if (abbr or ellipsis) and not initial:
            ortho = self._ortho_heuristic(nxt, next_typ)
            if ortho is True:
                return True
            if nxt[0].isupper() and next_typ in self._starters:
                return True
        if initial or typ == _NUMBER:
            ortho = self._ortho_heuristic(nxt, next_typ)
            if ortho is False:
                return False
            if ortho is None and initial and nxt[0].isupper() and not (self._ortho.get(next_typ, 0) & _punkt._ORTHO_LC):
                return False
        return sentbreak

    def _ortho_heuristic(self, tok: str, typ: str) -> bool | None:
        """True: ``tok`` starts a sentence; False: it does not; None: unknown."""
        if tok in _PUNCTUATION:
            return False
        context = self._ortho.get(typ, 0)
        if tok[0].isupper() and (context & _punkt._ORTHO_LC) and not (context & _punkt._ORTHO_MID_UC):
            return True
        if tok[0].islower() and ((context & _punkt._ORTHO_UC) or not (context & _punkt._ORTHO_BEG_LC)):
            return False
        return None

    def to_json(self) -> str:
        if self._json is None:
            p = self.params_
            self._json = json.dumps(
                {
                    "abbrev_types": sorted(p.abbrev_types),
                    "collocations": sorted(list(c) for c in p.collocations),
                    "sent_starters": sorted(p.sent_starters),
                    "ortho_context": sorted([k, v] for k, v in p.ortho_context.items()),
                },
                ensure_ascii=False,
            )
        return self._json

    @classmethod
    def from_json(cls, data: str) -> "SentenceSplitter":
        d = json.loads(data)
        p = PunktParameters()
        p.abbrev_types = set(d["abbrev_types"])
        p.collocations = {tuple(c) for c in d["collocations"]}
        p.sent_starters = set(d["sent_starters"])
        for k, v in d["ortho_context"]:
            p.ortho_context[k] = v
        return cls(p)


class _Counts(Counter):
    """The trainer's table of word types: ``FreqDist``'s ``N`` kept as words are counted
    (``FreqDist`` counts each word through a Python ``__setitem__``)."""

    n = 0

    def N(self) -> int:
        return self.n


class _Trainer(PunktTrainer):
    """NLTK's ``PunktTrainer`` (with ``_PlainToken``), its per-text pass rewritten for speed.

    ``train_text(text)`` learns what ``train(text, finalize=False)`` learns, in the same
    order (Punkt's abbreviations change from one text to the next), but on plain strings
    with each distinct word's properties worked out once, instead of a ``PunktToken``
    per word and several passes over them. Training sits between the build's two passes,
    with no other work beside it; a test checks the parameters equal NLTK's.
    """

    def __init__(self):
        super().__init__(lang_vars=_VARS, token_cls=_PlainToken)
        self._type_fdist = _Counts()
        self._words: dict[str, tuple] = {}

    def _word(self, tok: str) -> tuple:
        """A word's type, that type without a final full stop, whether the word ends in
        one, its case, whether it is a number or an initial, whether it is alphabetic."""
        typ = _type(tok)
        first = tok[0]
        info = (typ, typ[:-1] if len(typ) > 1 and typ[-1] == "." else typ, tok.endswith("."),
                "lower" if first.islower() else "upper" if first.isupper() else "none",
                typ.startswith(_NUMBER) or _is_initial(tok), _PlainToken._RE_ALPHA.match(tok) is not None)
        self._words[tok] = info
        return info

    def train_text(self, text: str) -> None:
        self._finalized = False
        params = self._params
        abbrev = params.abbrev_types
        # Words line by line; the first word of a line, and whether a blank line came before.
        toks: list[str] = []
        line_start: dict[int, bool] = {}
        para = False
        for line in text.split("\n"):
            if line.strip():
                found = _WORD_TOKEN.findall(line)
                if found:
                    line_start[len(toks)] = para
                    para = False
                    toks.extend(found)
            else:
                para = True
        known = self._words
        info = [known.get(t) or self._word(t) for t in toks]
        types = [w[0] for w in info]
        self._type_fdist.update(types)
        self._type_fdist.n += len(types)
        ends = [i for i, t in enumerate(toks) if t[-1] in _SENT_END_CHARS]  # only these can be marked
        self._num_period_toks += sum(toks[i][-1] == "." for i in ends)

        # New abbreviations, and types that no longer are (NLTK's _reclassify_abbrev_types,
        # asked only of the types it would not skip).
        candidates = {t for t in types if t[-1] == "." or t in abbrev}
        for typ, score, is_add in self._reclassify_abbrev_types(t for t in set(types) if t in candidates):
            if score >= self.ABBREV:
                if is_add:
                    abbrev.add(typ)
            elif not is_add:
                abbrev.remove(typ)

        # First pass: only a word that ends in a full stop, or is "?" or "!", is marked.
        # mark: 1 sentence break, 2 abbreviation, 3 ellipsis.
        marks: dict[int, int] = {}
        for i in ends:
            t = toks[i]
            if t in _SENT_END_CHARS:
                marks[i] = 1
            elif len(t) >= 2 and not t.strip("."):
                marks[i] = 3
            elif t[-1] == "." and not t.endswith(".."):
                low = t[:-1].lower()
                marks[i] = 2 if low in abbrev or low.split("-")[-1] in abbrev else 1

        # Orthographic contexts (NLTK's _get_orthography_data). A word's context follows
        # from the word before it and from where its line starts; most words are in the
        # middle of a sentence, after an unmarked word, and are done together.
        ortho = params.ortho_context
        special = {*line_start, *marks, *(i + 1 for i in marks)}
        plain = toks.copy()
        for i in special:
            if i < len(plain):
                plain[i] = None
        for t in set(plain) - {None}:
            w = known[t]
            flag = _punkt._ORTHO_MAP.get(("internal", w[3]), 0)
            if flag:
                ortho[w[0]] |= flag
        for i in special:
            if i >= len(toks):
                continue
            before = marks.get(i - 1, 0)
            if before == 1:
                context = "unknown" if info[i - 1][4] else "initial"
            else:
                context = "unknown" if before else "internal"
            para_start = line_start.get(i)
            if para_start is not None:
                if para_start and context != "unknown":
                    context = "initial"
                if context == "internal":
                    context = "unknown"
            w = info[i]
            flag = _punkt._ORTHO_MAP.get((context, w[3]), 0)
            if flag:
                ortho[w[1] if marks.get(i) == 1 else w[0]] |= flag
        breaks = [i for i, m in marks.items() if m == 1]
        self._sentbreak_count += len(breaks)

        # Pairs whose first word ends in a full stop: only a sentence break can make a rare
        # abbreviation, precede a sentence starter or open a collocation.
        fdist = self._type_fdist
        for i in breaks:
            if i + 1 == len(toks) or not info[i][2]:
                continue
            w1, w2, nxt = info[i], info[i + 1], toks[i + 1]
            typ = w1[1]
            # A rare abbreviation (NLTK's _is_rare_abbrev_type).
            if typ not in abbrev and fdist[typ] + fdist[typ[:-1]] < self.ABBREV_BACKOFF:
                if nxt[:1] in self._lang_vars.internal_punctuation:
                    abbrev.add(typ)
                elif w2[3] == "lower":
                    typ2 = w2[1] if marks.get(i + 1) == 1 else w2[0]
                    context = ortho[typ2]
                    if (context & _punkt._ORTHO_BEG_UC) and not (context & _punkt._ORTHO_MID_UC):
                        abbrev.add(typ)
            if not w1[4]:
                if w2[5]:
                    self._sent_starter_fdist[w2[0]] += 1
            elif _punkt._re_non_punct.search(w1[0]) and _punkt._re_non_punct.search(w2[0]):
                self._collocation_fdist[(typ, w2[1] if marks.get(i + 1) == 1 else w2[0])] += 1


def _type(tok: str) -> str:
    """Punkt's word type: lower case, a number as ``##number##``."""
    return _PlainToken._RE_NUMERIC.sub(_NUMBER, tok.lower())


def _type_no_period(typ: str) -> str:
    return typ[:-1] if len(typ) > 1 and typ[-1] == "." else typ


def _is_initial(tok: str) -> bool:
    return _PlainToken._RE_INITIAL.match(tok) is not None


def training_sample(lengths: list[int], limit: int = TRAINING_CHARS) -> range:
    """Which texts Punkt learns from, given their lengths: every k-th, so that the
    sample spans the corpus, up to about ``limit`` characters.

    Training is on the build's critical path (pass 2 waits for it) and takes time in
    proportion to the sample. Trained on 1M characters rather than 3M, Punkt split 3 of
    100,872 sentence boundaries differently in 1,539 documents of the 20,000-document
    benchmark corpus, and trained in 0.3 s instead of 0.9 s; ``COMMON_ABBREVIATIONS``
    cover the everyday abbreviations a sample may miss."""
    total = sum(lengths)
    return range(0, len(lengths), 1 if total <= limit else math.ceil(total / limit))


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _cut_long(text: str, a: int, b: int, limit: int) -> list[tuple[int, int]]:
    """Cut ``[a, b)`` into pieces of at most ``limit`` characters, at white space if any."""
    out = []
    while b - a > limit:
        cut = text.rfind(" ", a + limit // 2, a + limit)
        cut = cut if cut > a else a + limit
        piece = _strip_span(text, a, cut)
        if piece[1] > piece[0]:
            out.append(piece)
        a, _ = _strip_span(text, cut, b)
    if b > a:
        out.append((a, b))
    return out


def _blocks(text: str, lines: list[Line]) -> list[_Block]:
    blocks: list[_Block] = []
    para = 0
    prev: Line | None = None
    for number, ln in enumerate(lines, start=1):
        if ln.kind == "blank":
            prev = None
            continue
        a, b = _strip_span(text, ln.start, ln.end)
        joins = (
            prev is not None and blocks and prev.kind == ln.kind
            and (ln.kind == JUNK or (ln.kind == BODY and not ends_sentence(text[prev.start:prev.end])
                                     and text[a:a + 1].islower()))
        )
        if joins:
            last = blocks[-1]
            blocks[-1] = _Block(last.start, b, last.kind, last.para, last.line)
        else:
            para += 1
            blocks.append(_Block(a, b, ln.kind, para, number))
        prev = ln
    return blocks


def _group(text: str, blocks: list[_Block], max_chars: int, min_chars: int) -> list[list[_Block]]:
    cur: list[_Block] = []
    groups: list[list[_Block]] = [cur]

    def body_len(group: list[_Block]) -> int:
        body = [b for b in group if b.kind == BODY]
        return body[-1].end - body[0].start if body else 0

    for blk in blocks:
        size = blk.end - blk.start
        if blk.kind == JUNK:
            if not (cur and cur[-1].kind == JUNK):
                groups.append(cur := [])
            cur.append(blk)
            continue
        if cur and cur[-1].kind == JUNK:
            groups.append(cur := [])
        has_body = any(b.kind == BODY for b in cur)
        if blk.kind == HEADING:
            last_text = text[cur[-1].start:cur[-1].end] if cur else ""
            attribution = has_body and last_text.rstrip().endswith(("”", '"')) and size <= 80
            if attribution or not has_body:
                cur.append(blk)
            else:
                groups.append(cur := [blk])
            continue
        if not has_body:
            cur.append(blk)
            continue
        n = body_len(cur)
        last_text = text[cur[-1].start:cur[-1].end]
        fits = n + size <= max_chars
        wants = n < min_chars or last_text.rstrip().endswith(":") or size <= SHORT_BLOCK
        if fits and wants:
            cur.append(blk)
        else:
            groups.append(cur := [blk])
    groups = [g for g in groups if g]
    # A heading-only group at the very end (a signature, a stray label) joins the group before it.
    if len(groups) > 1 and all(b.kind == HEADING for b in groups[-1]) and groups[-2][-1].kind != JUNK:
        groups[-2].extend(groups.pop())
    return groups


def chunk(
    text: str,
    splitter: SentenceSplitter | None = None,
    lines: list[Line] | None = None,
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
) -> tuple[list[Passage], list[Sentence]]:
    """Passages and sentences of ``text``; see the module docstring for the invariants."""
    passages, sentences = spans(text, splitter, lines, max_chars, min_chars)
    return ([Passage(a, b, text[a:b], para, para_end, line, part, junk)
             for a, b, para, para_end, line, part, junk in passages],
            [Sentence(a, b, text[a:b], p, q) for a, b, p, q in sentences])


def spans(
    text: str,
    splitter: SentenceSplitter | None = None,
    lines: list[Line] | None = None,
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
) -> tuple[list[tuple[int, int, int, int, int, int, bool]], list[tuple[int, int, int, bool]]]:
    """``chunk`` as plain tuples, without the texts (what a build needs, made quicker):
    passages ``(start, end, para, para_end, line, part, boilerplate)`` and sentences
    ``(start, end, passage, quotable)``."""
    splitter = splitter or SentenceSplitter()
    lines = lines if lines is not None else classify(text)
    passages: list[tuple[int, int, int, int, int, int, bool]] = []
    sentences: list[tuple[int, int, int, bool]] = []
    for group in _group(text, _blocks(text, lines), max_chars, min_chars):
        first, last = group[0], group[-1]
        if first.kind == JUNK:
            passages.append((first.start, last.end, first.para, last.para, first.line, 0, True))
            continue
        # Units: headings whole, body paragraphs cut into sentences.
        units: list[tuple[int, int, bool]] = []
        for blk in group:
            if blk.kind == HEADING:
                units.append((blk.start, blk.end, False))
                continue
            bounds = [blk.start + s for s in splitter.boundaries(text[blk.start:blk.end])] + [blk.end]
            for a, b in zip(bounds, bounds[1:]):
                a, b = _strip_span(text, a, b)
                # (most sentences are short: what _cut_long would give them, without the call)
                for pa, pb in ((a, b),) if b - a <= MAX_SENTENCE else _cut_long(text, a, b, MAX_SENTENCE):
                    if pb > pa:
                        # MIN_QUOTE_WORDS words or more (the split stops counting there)
                        quotable = len(text[pa:pb].split(None, MIN_QUOTE_WORDS - 1)) >= MIN_QUOTE_WORDS
                        units.append((pa, pb, quotable))
        total = units[-1][1] - units[0][0]
        pieces = [units]
        if total > max_chars:
            target = total / math.ceil(total / max_chars)
            pieces, cur = [], []
            for u in units:
                if cur and u[1] - cur[0][0] > max_chars and any(q for *_, q in cur):
                    pieces.append(cur)
                    cur = []
                cur.append(u)
                if cur[-1][1] - cur[0][0] >= target and any(q for *_, q in cur):
                    pieces.append(cur)
                    cur = []
            if cur:
                pieces.append(cur)
        for part, piece in enumerate(pieces, start=1 if len(pieces) > 1 else 0):
            a, b = piece[0][0], piece[-1][1]
            paras = [blk for blk in group if blk.end > a and blk.start < b]
            idx = len(passages)
            passages.append((a, b, paras[0].para, paras[-1].para, paras[0].line, part, False))
            sentences.extend((sa, sb, idx, q) for sa, sb, q in piece)
    return passages, sentences
