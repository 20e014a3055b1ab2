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
from collections import Counter
from dataclasses import dataclass

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

from tutor.cleaning import BODY, HEADING, JUNK, Line, classify, ends_sentence

MAX_CHARS = 1500  # a passage longer than this is split at sentence boundaries
MIN_CHARS = 350  # a passage shorter than this takes in the next paragraph
SHORT_BLOCK = 160  # list items and one-liners this short gather with their neighbours
MAX_SENTENCE = 600  # a "sentence" with no punctuation is cut at white space
MIN_QUOTE_WORDS = 4
TRAINING_CHARS = 3_000_000  # Punkt learns from at most this much text (its statistics settle long before)

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


class SentenceSplitter:
    """Punkt sentence boundaries, with parameters learnt from the corpus's own text."""

    def __init__(self, params: PunktParameters | None = None):
        if params is None:
            params = PunktParameters()
            params.abbrev_types = set(COMMON_ABBREVIATIONS)
        self.params_ = params
        self._tokenizer = PunktSentenceTokenizer(params)

    @classmethod
    def train(cls, texts: list[str]) -> "SentenceSplitter":
        """Learn abbreviations, collocations and sentence starters from ``texts``.

        A learnt "abbreviation" that the corpus also uses as a plain word without a
        full stop (a "day." at the end of a sentence) is dropped: a small corpus
        mistakes such words for abbreviations.
        """
        trainer = PunktTrainer()
        texts = _training_sample(texts, TRAINING_CHARS)
        # Punkt's default takes a pair seen once ("1830. It") for a collocation that is
        # never split; a small corpus needs real evidence.
        trainer.MIN_COLLOC_FREQ = 5
        words: Counter[str] = Counter()
        for text in texts:
            trainer.train(text, finalize=False)
            words.update(w.lower() for w in text.split() if w.isalpha())
        trainer.finalize_training()
        params = trainer.get_params()
        params.abbrev_types = {a for a in params.abbrev_types if "." in a or len(a) == 1 or words[a] == 0}
        params.abbrev_types |= COMMON_ABBREVIATIONS
        return cls(params)

    def boundaries(self, text: str) -> list[int]:
        """Start offsets of the sentences of ``text`` (the first is always 0)."""
        starts = [a for a, _ in self._tokenizer.span_tokenize(text)] if text.strip() else []
        return sorted({0, *starts})

    def to_json(self) -> str:
        p = self.params_
        return json.dumps(
            {
                "abbrev_types": sorted(p.abbrev_types),
                "collocations": sorted(list(c) for c in p.collocations),
                "sent_starters": sorted(p.sent_starters),
                "ortho_context": sorted([k, v] for k, v in p.ortho_context.items()),
            },
            ensure_ascii=False,
        )

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


def _training_sample(texts: list[str], limit: int) -> list[str]:
    """Every k-th document, so the sample spans the corpus, up to about ``limit`` characters."""
    total = sum(len(t) for t in texts)
    if total <= limit:
        return texts
    return texts[::math.ceil(total / limit)]


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
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    for group in _group(text, _blocks(text, lines), max_chars, min_chars):
        first, last = group[0], group[-1]
        if first.kind == JUNK:
            passages.append(Passage(first.start, last.end, text[first.start:last.end],
                                    first.para, last.para, first.line, 0, True))
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
                for pa, pb in _cut_long(text, a, b, MAX_SENTENCE):
                    quotable = len(text[pa:pb].split()) >= MIN_QUOTE_WORDS
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
            passages.append(Passage(a, b, text[a:b], paras[0].para, paras[-1].para, paras[0].line, part))
            sentences.extend(Sentence(sa, sb, text[sa:sb], idx, q) for sa, sb, q in piece)
    return passages, sentences
