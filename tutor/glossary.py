"""Key terms the sources define, and the people they name, each with the sentences that
define or describe them, cited.

- A **term** is what a sentence defines by its shape: "X is/was a ...", "X refers to ...",
  "X means ...", "known as X", "called X", a quoted term followed by "was/is". It must
  recur in the documents (``MIN_MENTIONS``), be at most five words, and not be a pronoun.
- A **person** is a name (``quiz.keys``) the sources treat as one: a title before it
  ("Defence Minister Peng Dehuai", "Chairman Mao"), or a verb of saying, thinking or
  living after it ("Mao claimed", "Khrushchev died"). A one-word name that is part of a
  longer one ("Peng" of "Peng Dehuai") is counted with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


from tutor.analysis import ENGLISH_STOP_WORDS
from tutor.answer import Citation, sentence_citation
from tutor.index import Index
from tutor.quiz import keys

MIN_MENTIONS = 2
PER_ENTRY = 3  # sentences cited for each term or person
_TITLES = ("chairman president premier marshal general minister mr mrs ms dr sir king queen emperor empress pope "
           "lord lady prince princess duke duchess bishop archbishop saint professor secretary chancellor governor "
           "senator captain colonel admiral leader historian economist writer author poet philosopher scientist "
           "engineer inventor").split()
# Verbs a person does and a country, a party or an event hardly does ("China decided" is said too).
_PERSON_VERBS = ("said says argued argues believed believes wrote writes claimed claims died married criticised "
                 "criticized told replied thought feared hoped admitted insisted confessed recalled remembered "
                 "noted observes observed suggested suggests saying claiming arguing believing writing").split()
_DID = set("built made wrote led took gave became won began saw found thought went sent held fought drew ran "
           "kept lost met paid sold taught told".split())
_NOT_PEOPLE = set("union republic party company canal railway empire kingdom states square river sea ocean "
                  "conference congress plan forward revolution army navy committee council parliament church "
                  "university society bank street road war treaty act league government ministry mountains".split())
MIN_CUE_SHARE = 0.1  # of a name's mentions, those with a title or such a verb: a person's name has several
_VERB = r"(?:is|was|are|were|refers to|means|describes|is defined as|was defined as)"
_DEFINITIONS = (
    re.compile(rf"^(?:The |An? )?(?P<term>[^,.;:()“”\"‘’]{{3,50}}?) (?:\([^()]*\) )?{_VERB} "
               r"(?:(?:an?|the|one|when|how)\b|(?:\w+ ){1,3}(?:who|which|that|where)\b)"),
    re.compile(r"\b(?:known|referred to|described) as (?:the )?[‘“\"']?(?P<term>[^,.;:()’”\"']{3,50}?)[’”\"']?[,.;:)]"),
    re.compile(r"\bcalled (?:the )?[‘“\"'](?P<term>[^’”\"']{3,50})[’”\"']"),
    re.compile(rf"[‘“\"'](?P<term>[^’”\"']{{3,50}})[’”\"'],? {_VERB}\b"),
    re.compile(r"^(?P<term>[A-Z][^:.;]{2,40}): (?:an?|the) "),  # a glossary line: "Commune: a large ..."
    re.compile(r"\b[A-Z][\w’'-]+(?: [\w’'-]+){1,6} \((?P<term>[A-Z]{2,6}s?)\)"),  # "... Cooperatives (APCs)"
)


@dataclass(frozen=True)
class Entry:
    """A term or a person, and the sentences that define or describe it (the first the clearest)."""

    name: str
    citations: tuple[Citation, ...]


def _pool(index: Index, docs: set[int] | None) -> list[int]:
    a = index.a
    return [j for j in range(index.n_sentences) if a["sentence_quotable"][j]
            and (docs is None or index.doc_of_passage(int(a["sentence_passage"][j])) in docs)
            and not index.sentence_text(j).rstrip().endswith("?")]


def _cite(index: Index, js: list[int]) -> tuple[Citation, ...]:
    """The first ``PER_ENTRY`` of the sentences ``js`` as citations, none inside another
    (a lead-in ending in ":" is quoted with the sentence after it)."""
    out: list[Citation] = []
    for j in js:
        c = sentence_citation(index, len(out) + 1, j)
        if not any(o.doc == c.doc and o.start <= c.start and c.end <= o.end for o in out):
            out.append(c)
        if len(out) == PER_ENTRY:
            break
    return tuple(out)


def terms(index: Index, docs: set[int] | None = None, count: int | None = None) -> list[Entry]:
    """The terms the documents define, the most mentioned first (ties in alphabetical order)."""
    pool = _pool(index, docs)
    found: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for j in pool:
        text = index.sentence_text(j)
        for pattern in _DEFINITIONS:
            m = pattern.search(text)
            term = m and " ".join(m.group("term").split())
            if term and _good_term(term):
                found.setdefault(term.lower(), []).append(j)
                shown.setdefault(term.lower(), term)
                break
    everything = " ".join(index.sentence_text(j) for j in pool).lower()
    mentions = {t: len(re.findall(rf"(?<!\w){re.escape(t)}(?!\w)", everything)) for t in found}
    kept = sorted((t for t in found if mentions[t] >= MIN_MENTIONS), key=lambda t: (-mentions[t], t))
    return [Entry(shown[t], _cite(index, found[t])) for t in kept[:count]]


def _good_term(term: str) -> bool:
    words = term.lower().split()
    return (1 <= len(words) <= 5 and words[0] not in ENGLISH_STOP_WORDS and words[-1] not in ENGLISH_STOP_WORDS
            and not any(ch.isdigit() for ch in term))


def people(index: Index, docs: set[int] | None = None, count: int | None = None) -> list[Entry]:
    """The people the documents name, the most mentioned first, each with the sentences
    that say most of them (a title or a verb of theirs first)."""
    pool = _pool(index, docs)
    mentions: dict[str, list[tuple[int, bool]]] = {}
    shown: dict[str, str] = {}
    for j in pool:
        text = index.sentence_text(j)
        for k in keys(index, text):
            name = k.text.split()
            titled = [i for i, w in enumerate(name[:-1]) if w.lower() in _TITLES]
            name = name[titled[-1] + 1:] if titled else name  # "Defence Minister Peng Dehuai" is Peng Dehuai
            name = " ".join(name)
            if k.kind == "name" and not name.isupper():
                mentions.setdefault(name.lower(), []).append((j, _person_cue(text, k.start, k.end)))
                shown.setdefault(name.lower(), name)
    # A one-word name inside a longer one ("Peng" of "Peng Dehuai") is that person.
    for short in [n for n in mentions if " " not in n]:
        longer = sorted((n for n in mentions if " " in n and short in n.split()), key=lambda n: -len(mentions[n]))
        if longer:  # (the most mentioned, when several hold it)
            mentions[longer[0]] += mentions.pop(short)
    persons = [n for n, ms in mentions.items() if sum(said for _, said in ms) >= max(1, MIN_CUE_SHARE * len(ms))]
    persons.sort(key=lambda n: (-len({j for j, _ in mentions[n]}), n))
    out = []
    for n in persons[:count]:
        js = sorted({j: said for j, said in mentions[n]}.items(), key=lambda x: (not x[1], x[0]))
        out.append(Entry(shown[n], _cite(index, [j for j, _ in js])))
    return out


def _person_cue(text: str, start: int, end: int) -> bool:
    """A title before the name (or at its start), or a verb of a person's after it (an adverb between)."""
    prev = re.search(r"(?:according to|[\w’']+) $", text[:start].lower())  # the word just before, no comma between
    inside = text[start:end].lower().split()[:-1]  # "Defence Minister" of "Defence Minister Peng Dehuai"
    after = [w for w in re.findall(r"[\w’']+", text[end:end + 50].lower()) if not w.endswith("ly")]
    made = re.search(r"\b(?:invented|built|designed|written|painted|founded|discovered|composed|led|ruled) by $",
                     text[:start].lower())  # "invented by James Hargreaves"
    role = after[:1] in (["was"], ["is"]) and any(w in _TITLES for w in after[1:5])  # "X was its chief engineer"
    words = text[start:end].split()
    did = (len(words) >= 2 and words[-1].lower() not in _NOT_PEOPLE and after
           and (after[0].endswith("ed") or after[0] in _DID))  # "Richard Arkwright built", "James Watt improved"
    # Only a name that is a sentence's subject does what the verb after it says ("King
    # Malcolm III of Scotland married": Malcolm did, not Scotland).
    subject = not re.search(r"\b(?:of|the|a|an|in|to|from|for|at|on|into)\s+$", text[:start].lower())
    verb = subject and ((after and after[0] in _PERSON_VERBS)
                        or (len(after) > 1 and after[0] in ("had", "has", "then", "also", "later")
                            and after[1] in _PERSON_VERBS) or after[:2] == ["was", "born"])
    return bool((prev and prev.group().strip() in (*_TITLES, "according to")) or any(w in _TITLES for w in inside)
                or made or verb or (subject and (role or did)))
