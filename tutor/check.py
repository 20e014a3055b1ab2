"""Check a claim against the sources: supported, conflicting or not found.

Each candidate source sentence (``tutor.claims.candidates``) gets two probabilities from
logistic regressions fitted by ``benchmarks/train_check.py`` (``tutor/data/check.json``):
that it speaks of what the claim speaks of (its words, their inflections and synonyms,
its years and figures), and, if so, that it says otherwise (another year, figure or
name, a negation, an opposite).

- ``supported``: a sentence speaks of the claim and says it as the claim does. Every
  source that does so is cited, so a teacher sees when several agree.
- ``conflicting``: the sentences that speak of it say otherwise; the first citation is
  what the source says, and ``differences`` name what differs ("1958" against "1953").
- ``not_found``: no sentence speaks of it closely enough; ``nearest`` holds the closest
  ones, for the teacher to judge.

A claim of two facts joined ("..., and ...") is also checked part by part; ``parts``
gives each part's verdict, and ``mixed`` is set when one is supported and another is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from tutor import analysis, claims, models
from tutor.answer import Citation, numbered
from tutor.claims import Difference
from tutor.index import Index
from tutor.kinds import MONTHS

MAX_CITATIONS = 3
NEAREST = 2  # passages shown as the nearest the sources come, when nothing states a claim
_JOINS = re.compile(r",?\s+(?:and|but|while|whereas)\s+(?=(?:it|they|he|she|this|was|were|had|has|is|are|later|"
                    r"afterwards|then|its|their|his|her)\b)|;\s+|,\s+and\s+", re.IGNORECASE)
_PRONOUN = re.compile(r"(?:it|they|he|she|its|their|his|her)\b", re.IGNORECASE)
_VERB_FIRST = re.compile(r"(?:was|were|had|has|is|are|later|afterwards|then)\b", re.IGNORECASE)
_OPENING_TIME = re.compile(r"^(?:in|on|by|during|after|before|from|until|at)\s+(?:the\s+)?(?:(?:early|late|mid)\s+)?"
                           rf"(?:\d{{1,2}}\s+)?(?:(?:{'|'.join(MONTHS)})\s+)?\d{{0,4}}s?\s*,?\s+", re.IGNORECASE)

# A student's stance around a claim: what is checked is the claim itself.
_STANCE_BEFORE = re.compile(
    r"^(?:(?:I|we) (?:think|believe|feel|reckon|suppose|guess|know|would argue|would say|argue)(?: that)?"
    r"|in my (?:opinion|view)|(?:it is|it's) (?:clear|true|obvious|evident|likely|known) that"
    r"|(?:clearly|obviously|evidently|arguably|of course|in fact|indeed))\b,?\s+", re.IGNORECASE)
_CONTRACTION = re.compile(r"\b(\w+)n[’']t\b", re.IGNORECASE)
_STANCE_AFTER = re.compile(r",?\s+(?:I|we) (?:think|believe|reckon|suppose|guess)(?=\W*$)", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The judgement on one claim, with the source sentences it rests on."""

    claim: str
    verdict: str  # "supported", "conflicting" or "not_found"
    citations: tuple[Citation, ...]
    message: str
    copied: bool = False  # the claim repeats a source sentence word for word
    differences: tuple[Difference, ...] = ()  # what the first citation gives otherwise (conflicting)
    nearest: tuple[Citation, ...] = ()  # the closest sentences when none states it (not_found)
    parts: tuple[Verdict, ...] = ()  # a claim of two facts, each checked
    mixed: bool = False  # one part supported, another not


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _probabilities(name: str, X: np.ndarray) -> np.ndarray:
    model = models.load("check")[name]
    return models.logistic(model, X[:, [claims.NAMES.index(f) for f in model["features"]]])


def check(index: Index, claim: str, docs: set[int] | None = None) -> Verdict:
    """Judge one claim; see the module docstring. A writer's stance around it ("I think
    ...", "In my opinion, ...", "..., I believe.") is not part of what is checked."""
    typed = claim.strip()
    if typed.endswith("?"):
        return Verdict(typed, "not_found", (), "This is a question, not a claim: it states nothing to check "
                                                "against the sources.")
    verdict = _check(index, _CONTRACTION.sub(_expanded, _without_stance(typed)), docs)
    return replace(verdict, claim=typed)


def _expanded(m: re.Match) -> str:
    """ "didn't" -> "did not", "can't" -> "cannot", "won't" -> "will not"."""
    word = m.group(1)
    return {"ca": "cannot", "wo": "will not", "sha": "shall not"}.get(word.lower(), word + " not")


def check_sentences(index: Index, sentences: list[str], docs: set[int] | None = None) -> list[Verdict]:
    """Each sentence of a student's paragraph judged (``check``). One that opens on "it",
    "they", "he" or "she" is read with the subject of the claim before it: in "The Great Leap
    Forward was a disaster. It failed because ...", what failed is the Great Leap Forward."""
    out, subject = [], ""
    for s in sentences:
        read = _with_subject(subject, s) if subject and _PRONOUN.match(s) else s
        out.append(replace(check(index, read, docs), claim=s.strip()))
        if not s.strip().endswith("?") and not _PRONOUN.match(s):
            subject = _subject(index, _without_stance(s.strip()))
    return out


def _without_stance(claim: str) -> str:
    """The claim without the stance a student wraps it in: "I think the Great Leap Forward
    began in 1958." -> "The Great Leap Forward began in 1958."."""
    bare = _STANCE_AFTER.sub("", _STANCE_BEFORE.sub("", claim, count=1), count=1).strip()
    if len(bare.split()) < 3:  # ("I think so.")
        return claim
    return bare[:1].upper() + bare[1:] + ("." if claim.endswith(".") and not bare.endswith(".") else "")


def _check(index: Index, claim: str, docs: set[int] | None) -> Verdict:
    whole = _check_one(index, claim, docs)
    parts = [p.strip(" ,;.") for p in _JOINS.split(claim) if p and p.strip(" ,;.")]
    if len(parts) < 2 or any(len(p.split()) < 3 for p in parts):
        return whole
    subject = _subject(index, parts[0])  # "..., and was later promoted": whose promotion
    checked = tuple(_check_one(index, p if i == 0 else _with_subject(subject, p), docs) for i, p in enumerate(parts))
    kinds = {p.verdict for p in checked}
    mixed = "supported" in kinds and len(kinds) > 1
    # A part "contradicted" by the very sentence that states the whole ("..., and their
    # parents dared not tell them" read against its first half) or another part is not.
    stating = {c.sentence for v in (whole, *checked) if v.verdict == "supported" for c in v.citations}
    against = [p for p in checked if p.verdict == "conflicting" and p.citations[0].sentence not in stating]
    stated = [c for p in checked if p.verdict == "supported" for c in p.citations[:1]]  # each stated part's first
    if against and (whole.verdict != "conflicting" or mixed):
        # When one part is stated and another contradicted, what contradicts is the evidence
        # to show first, even where the whole claim, read against the stating sentence, was
        # already judged conflicting (its other part's year or figure is not that sentence's).
        first = against[0]
        cited = numbered([*first.citations[:1], *stated])
        return Verdict(claim, "conflicting", cited, _mixed_message(first) if mixed else first.message,
                       differences=first.differences, parts=checked, mixed=mixed)
    # The whole claim read against a sentence that states one of its parts can look
    # conflicting for no more than lacking the other part's name or figure: then the
    # parts decide.
    spurious = whole.verdict == "conflicting" and whole.citations[0].sentence in {c.sentence for c in stated}
    if spurious and kinds == {"supported"}:
        cited = numbered(dict((c.sentence, c) for c in stated).values())  # (one citation per sentence)
        return Verdict(claim, "supported", cited, "Each part is stated by the sources.", parts=checked)
    if (whole.verdict == "supported" or spurious) and "not_found" in kinds:  # one part no source states
        return Verdict(claim, "not_found", (), "Part of this is stated by the sources and part is not: "
                       "no source states “" + next(p.claim for p in checked if p.verdict != "supported") + "”.",
                       nearest=tuple(stated) or whole.citations[:1], parts=checked, mixed=mixed)
    return Verdict(whole.claim, whole.verdict, whole.citations, whole.message, whole.copied, whole.differences,
                   whole.nearest, checked, mixed)


def _subject(index: Index, text: str) -> str:
    """Who or what a sentence is about, to carry to a part that leaves it out: its first
    name after any opening date ("In January 2010 BSkyB discontinued ..." -> "BSkyB"; "Peng
    Dehuai criticised ..." -> "Peng Dehuai"), or the words before its verb when it opens
    with "the" ("The integer factorization problem"), else its first three words."""
    text = _OPENING_TIME.sub("", text, count=1)
    words = text.split()
    if words and words[0].lower() in ("the", "a", "an"):  # "The integer factorization problem is ..."
        ends = [i for i, w in enumerate(words[1:5], start=1) if w.lower() in analysis.STOP_WORDS]
        return " ".join(words[:ends[0] if ends else 4])
    run: list[str] = []
    for i, w in enumerate(words):
        bare = w.strip(".,;:'’\"“”()")
        low = bare.lower()
        is_name = (bare[:1].isupper() and bare.isalpha() and low not in MONTHS
                   and (i > 0 or low in index.names or low not in analysis.STOP_WORDS))
        if is_name:
            run.append(bare)
        elif run:
            break
    return " ".join(run) or " ".join(words[:3])


def _with_subject(subject: str, part: str) -> str:
    """A later part as a claim of its own: "it was the second ..." -> "BSkyB was the second
    ...", "its worst case ..." -> "Quicksort's worst case ...", "was later promoted" ->
    "Peng Dehuai was later promoted"; a part with a subject of its own stays as it is."""
    if m := _PRONOUN.match(part):
        return subject + ("’s" if m.group().lower() in ("its", "their", "his", "her") else "") + part[m.end():]
    return f"{subject} {part}" if _VERB_FIRST.match(part) else part


def _check_one(index: Index, claim: str, docs: set[int] | None) -> Verdict:
    _, js, X, diffs = claims.candidates(index, claim, docs)
    if not js:
        return Verdict(claim, "not_found", (), "There is nothing in this to check against the sources.")
    thresholds = models.load("check")["thresholds"]
    about, other = _probabilities("about", X), _probabilities("says_otherwise", X)
    missing = X[:, claims.NAMES.index("unstated")]
    named_otherwise = X[:, claims.NAMES.index("name_differs")]
    tells = np.array([any(d.source for d in ds) for ds in diffs], dtype=float)
    verdict, best = decide(about, other, thresholds["about"], thresholds["says_otherwise"], missing, named_otherwise,
                           tells)
    if verdict == "supported":
        agree = [i for i in np.argsort(-about, kind="stable") if about[i] >= thresholds["about"]
                 and other[i] < thresholds["says_otherwise"] and not missing[i] and not named_otherwise[i]]
        chosen, doc_seen = [], set()
        for i in agree:  # one sentence per source
            d = index.doc_of_passage(int(index.a["sentence_passage"][js[i]]))
            if d not in doc_seen:
                doc_seen.add(d)
                chosen.append(js[i])
        cited = tuple(_cite(index, j, n) for n, j in enumerate(chosen[:MAX_CITATIONS], start=1))
        copied = any(_normalised(claim) in _normalised(c.quote) for c in cited)
        message = f"{len(cited)} sources state this." if len(cited) > 1 else "A source states this."
        return Verdict(claim, "supported", cited, message + (" The claim copies a source sentence word for word."
                                                             if copied else ""), copied)
    if verdict == "conflicting":
        return Verdict(claim, "conflicting", (_cite(index, js[best], 1),), _conflict_message(diffs[best]),
                       differences=diffs[best])
    nearest = tuple(_cite(index, js[i], n) for n, i in enumerate(np.argsort(-about, kind="stable")[:NEAREST], start=1))
    return Verdict(claim, "not_found", (), "No source states this. The nearest the sources come is shown below.",
                   nearest=nearest)


def decide(about: np.ndarray, other: np.ndarray, t_about: float, t_other: float, missing: np.ndarray,
           named_otherwise: np.ndarray, tells: np.ndarray | None = None) -> tuple[str, int]:
    """The verdict, and the candidate it rests on (-1 for none), from each candidate's
    probabilities: of those that speak of the claim (``about``), one that says it as the
    claim does, and gives its years and figures (not ``missing``), makes it supported; else the likeliest
    to say otherwise makes it conflicting; else it is not found."""
    near = [int(i) for i in np.argsort(-about, kind="stable") if about[i] >= t_about]
    against = [i for i in near if other[i] >= t_other or named_otherwise[i]]
    agree = [i for i in near if i not in against and not missing[i]]
    if agree:
        return "supported", agree[0]
    # Of those that say otherwise, the likeliest; of equals, one that says what it gives instead.
    tells = np.zeros(len(about)) if tells is None else tells
    return ("conflicting", max(against, key=lambda i: (round(float(other[i]), 2), tells[i]))) if against \
        else ("not_found", -1)


def _conflict_message(diffs: tuple[Difference, ...]) -> str:
    said = []
    for d in diffs:
        if d.what == "name" and d.claim and d.source:
            said.append(f"the claim names {d.claim}, the source {d.source}")
        elif d.what in ("year", "figure", "opposite") and d.claim and d.source:
            said.append(f"the claim says {d.claim}, the source {d.source}")
        elif d.what == "negation":
            said.append("the source says “" + d.source + "” where the claim does not" if d.source
                        else "the claim says “" + d.claim + "” where the source does not")
    return ("The sources say otherwise: " + "; ".join(said) + "." if said
            else "The sources speak of this but say otherwise: see what they say.")


def _mixed_message(first: Verdict) -> str:
    return f"Part of this is stated by the sources, but not “{first.claim}”. {first.message}"


def _cite(index: Index, j: int, n: int) -> Citation:
    p = int(index.a["sentence_passage"][j])
    return Citation(n, index.sentence_text(j), index.doc_of_passage(p),
                    int(index.a["sentence_start"][j]), int(index.a["sentence_end"][j]), p, j)

