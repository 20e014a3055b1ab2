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
from collections import Counter
from dataclasses import dataclass

from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer, PunktTrainer

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


class _Vars(PunktLanguageVars):
    """NLTK's English Punkt, its ``word_tokenize`` fed a long line in pieces.

    NLTK 3.10 runs each of its patterns under ``nltk.redos``'s wall-clock limit (5 s a
    call), and ``PunktTrainer`` tokenises a text a whole line at a time: on a 20 MB
    one-line document (``corpus.MAX_FILE_BYTES``) the word pattern passed the limit,
    and training, so the build, stopped with ``TimeoutError`` (on a slower computer,
    on shorter lines). A line longer than ``WORD_PIECE`` goes to NLTK's own
    ``word_tokenize`` in pieces, each cut just after a space that follows a character
    other than white space or a full stop. No token crosses such a space (only Punkt's
    spaced ellipsis ". . ." holds white space, each after a full stop), and where the
    pattern looks ahead for the end of a word it finds the end of the piece instead of
    the space, so the tokens are the same: a test checks them against NLTK's.
    """

    __slots__ = ()

    def word_tokenize(self, s):
        if len(s) <= WORD_PIECE:
            return super().word_tokenize(s)
        tokens, start = [], 0
        while len(s) - start > WORD_PIECE and (cut := _WORD_CUT.search(s, start + WORD_PIECE)):
            tokens += super().word_tokenize(s[start:cut.end()])
            start = cut.end()
        return tokens + super().word_tokenize(s[start:])


WORD_PIECE = 100_000  # characters: NLTK tokenised prose at 0.44 s a megabyte here, this in 0.05 s
# An ASCII space after a character that is not a full stop (nor white space, for either
# regular expression engine: NLTK's ``regex`` counts fewer characters as white space).
_WORD_CUT = re.compile(r"[^\s.] ")
_VARS = _Vars()


class _Tokenizer(PunktSentenceTokenizer):
    """NLTK's ``PunktSentenceTokenizer``, remembering whether each full stop's context
    ("furnaces. The") ends a sentence.

    Punkt decides that from the context's text and the learnt parameters alone
    (``text_contains_sentbreak``, a public method), annotating the context's words each
    time; a corpus's contexts recur, and a remembered decision costs a dictionary
    lookup. The boundaries are stock NLTK's: a test checks them against an unpatched
    tokenizer.
    """

    MEMO = 200_000  # contexts remembered per splitter

    def __init__(self, params: PunktParameters, lang_vars: PunktLanguageVars):
        super().__init__(params, lang_vars=lang_vars)
        self._decided: dict[str, bool] = {}

    def text_contains_sentbreak(self, text: str) -> bool:
        found = self._decided.get(text)
        if found is None:
            found = super().text_contains_sentbreak(text)
            if len(self._decided) < self.MEMO:
                self._decided[text] = found
        return found


class SentenceSplitter:
    """Punkt sentence boundaries: NLTK's ``PunktSentenceTokenizer``, with parameters
    that NLTK's ``PunktTrainer`` learnt from the corpus's own text.

    >>> SentenceSplitter().boundaries("Mr. Li came at 5 p.m. on Monday. He left.")
    [0, 33]
    """

    def __init__(self, params: PunktParameters | None = None):
        if params is None:
            params = PunktParameters()
            params.abbrev_types = set(COMMON_ABBREVIATIONS)
        self.params_ = params
        self._json: str | None = None  # to_json's text, made once (a build sends it to each worker, then saves it)
        self._tokenizer = _Tokenizer(params, lang_vars=_VARS)

    @classmethod
    def train(cls, texts: list[str], sampled: bool = False) -> SentenceSplitter:
        """Learn abbreviations, collocations and sentence starters from ``texts``
        (from a sample of them, see ``training_sample``, unless ``sampled`` says they
        are one already).

        A learnt "abbreviation" that the corpus also uses as a plain word without a
        full stop (a "day." at the end of a sentence) is dropped: a small corpus
        mistakes such words for abbreviations.
        """
        if not sampled:
            texts = [texts[i] for i in training_sample([len(t) for t in texts])]
        trainer = PunktTrainer(lang_vars=_VARS)
        # Punkt's default takes a pair seen once ("1830. It") for a collocation that is
        # never split; a small corpus needs real evidence.
        trainer.MIN_COLLOC_FREQ = 5
        raw: Counter[str] = Counter()
        for text in texts:
            trainer.train(text, finalize=False)
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
        return sorted({0, *(start for start, _ in self._tokenizer.span_tokenize(text))})

    def to_json(self) -> str:
        """The Punkt parameters as JSON (data, never a pickle); ``from_json`` reads it."""
        if self._json is None:
            p = self.params_
            self._json = json.dumps(
                {
                    "abbrev_types": sorted(p.abbrev_types),
                    "collocations": sorted(list(c) for c in p.collocations),
                    "sent_starters": sorted(p.sent_starters),
                    # (NLTK reads ortho_context, a defaultdict, so that looking up a word adds a 0)
                    "ortho_context": sorted([k, v] for k, v in p.ortho_context.items() if v),
                },
                ensure_ascii=False,
            )
        return self._json

    @classmethod
    def from_json(cls, data: str) -> SentenceSplitter:
        d = json.loads(data)
        p = PunktParameters()
        p.abbrev_types = set(d["abbrev_types"])
        p.collocations = {tuple(c) for c in d["collocations"]}
        p.sent_starters = set(d["sent_starters"])
        for k, v in d["ortho_context"]:
            p.ortho_context[k] = v
        return cls(p)


def training_sample(lengths: list[int], limit: int = TRAINING_CHARS) -> range:
    """Which texts Punkt learns from, given their lengths: every k-th, so that the
    sample spans the corpus, up to about ``limit`` characters.

    Training is on the build's critical path (pass 2 waits for it) and takes time in
    proportion to the sample. Trained on 1M characters rather than 3M, Punkt split 3 of
    100,872 sentence boundaries differently in 1,539 documents of the 20,000-document
    benchmark corpus, and trained in 0.3 s instead of 0.9 s (a faster trainer of our own
    then; NLTK's takes 1.3 to 1.8 s for 1M characters); ``COMMON_ABBREVIATIONS``
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
    return ([Passage(a, b, text[a:b], para, para_end, line, part, junk)
             for a, b, para, para_end, line, part, junk in passages],
            [Sentence(a, b, text[a:b], p, q) for a, b, p, q in sentences])
