"""What a student's question means: spelling fixed, follow-ups resolved.

Each step is testable alone:

- ``correct_spelling``: a word that neither the corpus nor an English dictionary
  knows is replaced by the nearest word the corpus knows (optimal string alignment
  distance, via RapidFuzz: 1 edit for words of up to six letters, 2 for longer; ties
  go to the more frequent word). The dictionary (pyspellchecker's English word list)
  only keeps real words from being "corrected": "test" must not become "west" just
  because the corpus never says "test".
- ``related_terms``: a real word the corpus lacks may still be part of words it has
  ("forests" in "deforestation"); those words join the query at a lower weight.
- ``resolve_followup``: a question that points back ("How big were they?", "What
  happened to him?") has its pronoun replaced by the subject of the earlier question,
  and borrows that question's terms at a lower weight.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

from tutor import acronyms, analysis, names, thesaurus
from tutor.index import Index

HISTORY_WEIGHT = 0.5  # an earlier question's terms count half as much as the current one's
RELATED_WEIGHT = 0.5  # a corpus word that contains an unknown query word
SYNONYM_WEIGHT = 0.3  # a corpus word that is a synonym of a query word ("urban" for "cities")

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:and|so|but|ok|okay)\s+)?(?:what (?:happened|happens) to\b"
    r"|(?:what|who|whom|which|where|when|why|how)(?:\s+(?:many|much|big|large|long|often))?"
    r"(?:\s+(?:is|are|was|were|did|does|do|had|has|have|can|could|would|will|should)\b)?"
    r"|(?:tell me about|explain|describe|define))\s*",
    re.IGNORECASE,
)
_DO_SUPPORT = re.compile(r"^\s*(?:what|who|which|where|when|why|how)\b(?:\s+\w+)?\s+(?:did|does|do)\b", re.IGNORECASE)
_AUX_FIRST = re.compile(r"^\s*(is|are|was|were|did|does|do|had|has|have|can|could|would|will|should)\s+", re.IGNORECASE)
_ENDS_ON_BE = re.compile(r"\s+(?:is|are|was|were)$", re.IGNORECASE)
_COPULA = {"is", "are", "was", "were"}
_ARTICLES = {"the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "its"}
# Words that end a question's subject: what follows its verb ("... think of them", "... borrow from").
_FUNCTION_WORDS = _ARTICLES | {"of", "in", "on", "at", "to", "from", "with", "by", "for", "about", "into", "during",
                               "after", "before", "over", "under", "between", "against", "through", "them", "it",
                               "him", "there", "and", "or", "but", "as", "than", "any", "all", "some", "much", "more"}
# A request around a question: "Can you ...", "I want to know why ...", "Please tell me what ...".
_ASKING = re.compile(r"^\W*(?:please\s+)?(?:can|could|would|will) you(?: please)?\s+", re.IGNORECASE)
_TELLING = re.compile(
    r"^\W*(?:please\s+)?(?:tell me|let me know|do you know|i (?:want|need|would like|'d like|wanted)"
    r" to (?:know|find out|understand|learn)|i(?:'m| am| was) wondering|i wonder)\s+"
    r"(?=(?:who|whom|whose|what|when|where|why|how|which)\b)", re.IGNORECASE)
_WHAT_IS = re.compile(r"\b(what|who|where|when|how|why)(?:['’]s|s)(?=\s)", re.IGNORECASE)  # "what's", "whats"
_OBJECT_PRONOUNS = {"they", "them", "it", "he", "him", "she"}
_POSSESSIVE_PRONOUNS = {"their", "its", "his"}
# Words nearly every English question holds one of: what/who/why..., articles, auxiliaries.
_ENGLISH_MARKERS = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which", "the", "did", "does",
                    "do", "was", "were", "is", "are", "of", "and", "tell", "explain", "describe",
                    "whos", "whats", "wat", "wats", "wen", "wich", "hows", "wot"}  # (as students type them)
COMMON_WORD = 10_000  # pyspellchecker's count from which a word is common English
ENGLISH_SHARE = 0.4
ACCENTED_SHARE = 0.6  # when a word with an accent the corpus does not know is there
# A question that only asks to go on: "tell me more", "and then?", "why?". It continues
# the last topic with quotes not yet given ("why" asks for the topic's causes).
_MORE = re.compile(r"^\W*(?:(?:can you |could you |please )?(?:tell|show|give) me more(?: about (?:it|that|this|them|him|her))?"
                   r"|more(?: please)?|go on|continue|keep going|and\W*(?:then|after that)?|then what|what next"
                   r"|what happened (?:next|after(?:wards)?|then)|what else|anything else|explain(?: more| further)?"
                   r"|(?:and )?(?P<why>why|why is that|why was that|how come|how so))(?: please)?\W*$", re.IGNORECASE)
_NEXT = re.compile(r"^\W*(?:and\W*then|and after that|and next|then what|what next|what happened (?:next|after(?:wards)?|then)"
                   r"|what came (?:next|after(?: (?:it|that|this|them))?)|what followed)\W*$", re.IGNORECASE)
_FOLLOWUP_START = re.compile(r"^\s*(?:and|what about|how about|why|why not|how come)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """What was typed, and what is searched for it.

    ``searched`` is the question with spellings fixed and pronouns resolved;
    ``extra`` holds terms borrowed from earlier questions, at ``HISTORY_WEIGHT``.
    """

    typed: str
    searched: str
    corrections: tuple[tuple[str, str], ...] = ()
    followup: bool = False
    extra: tuple[str, ...] = field(default_factory=tuple)
    related: tuple[str, ...] = field(default_factory=tuple)
    synonyms: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (word's stem, synonym's stem)

    @property
    def interpreted(self) -> bool:
        return self.searched != self.typed


REAL_WORD_MIN_COUNT = 10  # a real word is read as a slip only for a corpus word used this often


@lru_cache(maxsize=1)
def _english() -> SpellChecker:
    return SpellChecker(language="en", distance=1)


def is_english_word(word: str) -> bool:
    """True for a word an English dictionary knows (so it is no misspelling)."""
    return word in _english()


def english_frequency(word: str) -> int:
    """How common a word is in English (pyspellchecker's count; 0 when unknown)."""
    return int(_english().word_frequency[word])


def reads_as_english(index: Index, text: str) -> bool:
    """False for a question plainly in another language, so it is told what the tutor reads.

    Cautious, since an English question told so would be a poor answer: a question in
    another script, or of three words or more with no English question or function word
    and under 40 % of its words common in English (or found in the corpus).
    """
    words = [analysis.normalise(w) for w, _, _ in analysis.tokens(text)]
    letters = [ch for w in words for ch in w if ch.isalpha()]
    if letters and sum(ch.isascii() or unicodedata.name(ch, "").startswith("LATIN") for ch in letters) < len(letters) / 2:
        return False
    if len(words) < 3 or any(w in _ENGLISH_MARKERS for w in words):
        return True
    words = [w for w in words if len(w) > 1]  # ("a-t-il": the "a" and "t" say nothing)
    known = sum(english_frequency(w) >= COMMON_WORD or w in index.words for w in words)
    accented = any(not w.isascii() and w not in index.words for w in words)  # "échoué", "qué"
    return known >= (ACCENTED_SHARE if accented else ENGLISH_SHARE) * len(words)


def correct_spelling(index: Index, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Replace misspelt words by the nearest word the corpus knows.

    Returns the corrected text (spans outside the fixed words untouched) and the list
    of ``(typed, corrected)`` pairs.
    """
    words = index.words
    if not words:
        return text, ()
    choices = _choices(index)
    out, fixes, pos = [], [], 0
    for word, a, b in analysis.tokens(text):
        w = analysis.normalise(word)
        if not w.isalpha() or len(w) < 4 or w in words or w in analysis.STOP_WORDS:
            continue
        best = _as_the_sources_spell(index, w)  # "criticized" for their "criticised"
        if best is None and analysis.stem(w) not in index.term_ids:
            best = _nearest(index, w, choices)
        if best is None:
            continue
        if word[:1].isupper():
            best = best[:1].upper() + best[1:]
        out.append(text[pos:a])
        out.append(best)
        pos = b
        fixes.append((word, best))
    out.append(text[pos:])
    return "".join(out), tuple(fixes)


def _nearest(index: Index, w: str, choices: list[str]) -> str | None:
    """The corpus's word that ``w``, which neither it nor a spelling of it has, was meant to be."""
    words = index.words
    if is_english_word(w):
        # A real word the corpus never uses may still be a slip for one it uses often
        # ("steal production" for "steel"): one letter off, and only one such word.
        found = [c for c in process.extract(w, choices, scorer=OSA.distance, score_cutoff=1, limit=20)
                 if words[c[0]] >= REAL_WORD_MIN_COUNT and analysis.stem(c[0]) != analysis.stem(w)]
        return found[0][0] if len(found) == 1 else None
    limit = 1 if len(w) <= 6 else 2
    found = process.extract(w, choices, scorer=OSA.distance, score_cutoff=limit, limit=20)
    return min(found, key=lambda c: (c[1], -words[c[0]], c[0]))[0] if found else None


def respell(index: Index, text: str) -> str:
    """``text`` with each word the corpus does not write in the spelling it does
    ("Defense Minister ... criticized" where the sources say "Defence Minister ...
    criticised"), nothing else changed."""
    out, pos = [], 0
    for word, a, b in analysis.tokens(text):
        w = analysis.normalise(word)
        if w.isalpha() and w not in index.words and (other := _as_the_sources_spell(index, w)):
            out += [text[pos:a], other[:1].upper() + other[1:] if word[:1].isupper() else other]
            pos = b
    return "".join(out) + text[pos:]


def _as_the_sources_spell(index: Index, w: str) -> str | None:
    """A word the corpus does not write, in the spelling across the Atlantic that it does
    (``analysis.other_spellings``): as it stands ("criticised"), or as another form of it
    stands ("analyzed", where the sources write only "analyzing")."""
    return next((v for v in analysis.other_spellings(w) if v in index.words or (
        analysis.stem(v) in index.term_ids and analysis.stem(w) not in index.term_ids)), None)


def _choices(index: Index) -> list[str]:
    memo = index.memo.setdefault("spelling_choices", {})
    if not memo:
        memo[None] = sorted(w for w in index.words if len(w) >= 3)
    return memo[None]


def related_terms(index: Index, text: str) -> tuple[str, ...]:
    """Stems of corpus words that contain a query word the corpus lacks.

    "forests" -> "deforestation"; only for words of six letters or more, so that
    short words do not match inside unrelated ones.
    """
    out = []
    for w in analysis.content_words(text):
        if len(w) < 6 or not w.isalpha() or analysis.stem(w) in index.term_ids or w in analysis.FRAME_WORDS:
            continue
        root = analysis.stem(w)
        for cand in _choices(index):
            if root in cand and cand != w:
                s = analysis.stem(cand)
                if s in index.term_ids and s not in out:
                    out.append(s)
    return tuple(out[:5])


def synonym_terms(index: Index, text: str) -> tuple[tuple[str, str], ...]:
    """``(stem, synonym stem)`` for the question's topic words whose synonyms the corpus has.

    "How did it affect cities?" -> ``(("citi", "urban"),)`` when the sources say "urban".
    Frame words ("effects", "think") are left alone: they say what kind of answer is
    wanted, and their synonyms would only add noise.
    """
    found = [(w, thesaurus.synonyms(w)) for w in analysis.content_words(text)]
    typed = analysis.words(text)
    words = [analysis.normalise(w) for w in typed]
    found += [(words[i], stems) for i, stems in thesaurus.phrasal(words)]  # "turned down": "rejected"
    found += [(w, names.kin(w, index)) for w, t in zip(words, typed) if t[:1].isupper()]  # "Frankish": "Franks"
    out = []
    for w, synonyms in found:
        s = analysis.stem(w)
        if analysis.is_frame(w) or not w.isalpha():
            continue
        for syn in synonyms:
            if syn != s and syn in index.term_ids and (s, syn) not in out:
                out.append((s, syn))
    return tuple(out)


def subject_of(question: str) -> str:
    """The topic of a question: "What were the people's communes?" -> "the people's communes",
    "Was the first five year plan a success?" -> "the first five year plan"."""
    q = question.strip().rstrip("?!. ")
    subject = _SUBJECT_PREFIX.sub("", q, count=1).strip()
    if subject == q and (aux := _AUX_FIRST.match(q)):  # a yes-no question
        subject = _noun_phrase(q[aux.end():].split(), aux.group(1).lower() not in _COPULA)
    elif do := _DO_SUPPORT.match(q):  # "What monastery did the monks establish ...": after "did"
        subject = _noun_phrase([w for w in q[do.end():].split() if w.lower() != "not"], True)
    subject = _ENDS_ON_BE.sub("", subject)  # asked inside a request: "(tell me) what the railway was"
    return subject or q


def _name_first(words: list[str]) -> str | None:
    """A name (with its article) that opens ``words``: "the Liverpool and Manchester Railway ..."."""
    start = 1 if words and words[0].lower() in _ARTICLES else 0
    if len(words) <= start or not words[start][:1].isupper():
        return None
    end = start
    while end < len(words) and (words[end][:1].isupper()
                                or words[end] in ("of", "and", "the") and end + 1 < len(words) and words[end + 1][:1].isupper()):
        end += 1
    return " ".join(words[:end])


def _noun_phrase(words: list[str], verb_follows: bool) -> str:
    """The noun phrase that opens ``words``, a question's subject: a name ("the Great Leap
    Forward borrow from ..."), else the words before the first function word less the verb
    that ends them ("the backyard furnaces fail", "the communes popular with"); after "was" or
    "were", a second article opens what is said of it ("the first five year plan a success")."""
    if name := _name_first(words):
        return name
    start = 1 if words and words[0].lower() in _ARTICLES else 0
    end = next((i for i in range(start, len(words)) if words[i].lower() in _FUNCTION_WORDS), len(words))
    if end - start > 1 and (verb_follows or end == len(words) or words[end].lower() not in _ARTICLES):
        end -= 1
    return " ".join(words[:end])


def is_followup(question: str) -> bool:
    words = [analysis.normalise(w) for w, _, _ in analysis.tokens(question)]
    refers = any(w in _OBJECT_PRONOUNS | _POSSESSIVE_PRONOUNS for w in words)
    bare = not analysis.stems(question) or asks_for_more(question)
    return refers or bare or bool(_FOLLOWUP_START.match(question) and len(words) <= 4)


def resolve_followup(question: str, history: list[str]) -> tuple[str, tuple[str, ...], bool]:
    """``(resolved question, borrowed terms, is_followup)`` given earlier questions.

    History is resolved in order, so a chain of follow-ups keeps its subject.
    """
    resolved_history: list[str] = []
    for h in history:
        if h and h.strip():
            resolved_history.append(_resolve_one(h, resolved_history)[0])
    return _resolve_one(question, resolved_history)


def _resolve_one(question: str, earlier: list[str]) -> tuple[str, tuple[str, ...], bool]:
    if not earlier or not is_followup(question):
        return question, (), False
    previous = next((h for h in reversed(earlier) if analysis.stems(h)), None)
    if previous is None:
        return question, (), False
    subject = subject_of(previous)
    extra = tuple(analysis.terms(previous))
    if more := _MORE.match(question):
        if not more.group("why"):
            return previous, extra, True
        if _AUX_FIRST.match(previous):  # "Were the furnaces abandoned?" -> "Why were the furnaces abandoned?"
            return "Why " + previous.strip()[:1].lower() + previous.strip()[1:].rstrip("?!. ") + "?", extra, True
        return f"Why {subject}?", extra, True
    out, pos, replaced = [], 0, False
    for word, a, b in analysis.tokens(question):
        w = word.lower()
        if replaced:
            break
        if w in _OBJECT_PRONOUNS:
            out += [question[pos:a], subject]
        elif w in _POSSESSIVE_PRONOUNS or (w == "her" and _next_is_noun(question, b)):
            out += [question[pos:a], subject + "’s"]
        elif w == "her":
            out += [question[pos:a], subject]
        else:
            continue
        pos, replaced = b, True
    out.append(question[pos:])
    return "".join(out), extra, True


def asks_for_more(question: str) -> bool:
    """True for "tell me more", "and then?", "why?": go on with what was not yet quoted."""
    return bool(_MORE.match(question))


def asks_what_next(question: str) -> bool:
    """True for "and then?", "what happened next?", "what came after that?": go on in the text."""
    return bool(_NEXT.match(question))


def _next_is_noun(text: str, pos: int) -> bool:
    m = re.match(r"\s+([A-Za-z]+)", text[pos:])
    return bool(m) and m.group(1).lower() not in analysis.STOP_WORDS


def without_request(question: str) -> str:
    """The question inside a polite request: "I want to know why the famine happened" ->
    "why the famine happened", "Can you tell me when it began?" -> "when it began?"; its
    "want" and "know" are not what the sources are searched for."""
    q = _ASKING.sub("", question, count=1)
    q = _TELLING.sub("", q, count=1)
    q = q if analysis.stems(q) or asks_for_more(q) else question
    return _WHAT_IS.sub(lambda m: m.group(1) + " is", q)  # "what's a Turing machine" asks what one is


def understand(index: Index, question: str, history: list[str] | None = None) -> Query:
    """Request wording dropped, spelling fixed, then follow-up resolved, for one question in
    its conversation."""
    fixed, fixes = correct_spelling(index, without_request(question))
    fixed, short = acronyms.spelt_out(index, fixed)
    history = [acronyms.spelt_out(index, correct_spelling(index, without_request(h))[0])[0]
               for h in (history or [])]
    resolved, extra, followup = resolve_followup(fixed, history)
    return Query(question, resolved, fixes, followup, extra, related_terms(index, resolved) + short,
                 synonym_terms(index, resolved))

