"""What kind of answer a question asks for, and whether a sentence holds one.

"When" wants a date, "how many" a number, "who" a name, "where" a place, "why" a
reason, "what was it for" a purpose, "what was the slogan" words in quotation marks.
A sentence that holds the kind asked for is preferred as the first quote.
"""

from __future__ import annotations

import re

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_YEARS = re.compile(r"(?:1[0-9]{3}|20[0-9]{2})\s*(?:to|-|–)\s*(?:1[0-9]{3}|20[0-9]{2})")  # "1959 to 1961": years, no figure
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH = re.compile(r"\b(" + "|".join(m.title() for m in MONTHS) + r")\b")
_NUMBER = re.compile(
    r"(\d+(?:[.,]\d+)*\s*(%|per ?cent|million|billion|thousand)?|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|half|quarter|twice|dozens?|"
    r"(?:doubl|tripl|quadrupl)(?:e[sd]?|ing))\b)",
    re.IGNORECASE,
)
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)*)*")
_LIST_MARKER = re.compile(r"^\s*\d{1,2}[.)]\s")
_REASON = re.compile(r"\b(because|due to|as a result|result(?:ed|ing|s)? (?:in|from)|led to|leads? to|leading to|caus\w*|"
                     r"owing to|thanks to|therefore|consequently|blam\w*|contribut\w*|factors?|driven by|stemm\w* from)\b",
                     re.IGNORECASE)
_PURPOSE = re.compile(r"\b(to (?!be\b)[a-z]+|in order to|so that|aim\w*|intend\w*|purpose|used (?:to|for)|"
                      r"designed to|meant to|goal)\b", re.IGNORECASE)
_DEFINITION_Q = re.compile(r"^\s*(?:(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?\S+|define\s+\S+)",
                           re.IGNORECASE)
_DEFINING = re.compile(r"\b(term for|known as|refers? to|is called|was called|were called|the name given to|means)\b",
                       re.IGNORECASE)
# A question that asks for a verdict: "Was it a success?", "How far was X to blame?"
_JUDGEMENT_Q = re.compile(r"^\s*(?:(?:was|were|is|are|did|does|do|has|have|had|would you say|could you say)\b.*\b(?:success\w*|"
                          r"fail\w*|flop|disaster\w*|achiev\w*|effective|worth\w*|popular|right|wrong|blame\w*|"
                          r"responsible|justified|good|bad|mistake\w*|too)\b|how (?:accurate|successful|effective|important|"
                          r"significant)\b|how far\b.*\b(?:blame\w*|responsible|success\w*|fail\w*|true|accurate|"
                          r"right|justified)\b|to what extent\b)", re.IGNORECASE)
# A sentence that gives one: words of success and failure, praise and blame.
_VERDICT = re.compile(r"\b(?:success\w*|succeed\w*|fail\w*|disast\w*|catastroph\w*|achiev\w*|effective\w*|"
                      r"ineffective\w*|inefficien\w*|damag\w*|devastat\w*|useless|unusable|mistakes?|blame\w*|"
                      r"responsib\w*|(?:un)?popular\w*|tragic\w*|tragedy|flawed|misguided|greatest|worst|"
                      r"unrealistic|improv\w*|progress|remarkabl\w*|impressive|limited|ultimately)\b", re.IGNORECASE)
_DIGIT_WORDS = dict(zip("1 2 3 4 5 6 7 8 9 10 11 12".split(),
                        "one two three four five six seven eight nine ten eleven twelve".split()))
_QUOTED = re.compile(r"[“\"‘'][^“”\"‘’']{3,}[”\"’']")


def wants(question: str) -> str | None:
    """The kind of answer a question asks for, or None.

    One of "judgement" (was it a success?), "event" (what happened to someone), "number",
    "year", "name", "place", "quote", "purpose", "reason", "definition".
    """
    q = question.lower()
    if _JUDGEMENT_Q.match(q):
        return "judgement"
    if re.search(r"\bwhat (?:happened|happens) to\b", q):
        return "event"
    if re.search(r"\b(how many|how much|what percentage|what proportion|what share|how large|how big|"
                 r"how long|how far|how high|number of|by how much|"
                 r"what (?:was|were|is|are) the (?:death toll|toll|population|size|cost|price|total|"
                 r"percentage|proportion|rate|amount|output|number))\b", q):
        return "number"
    if re.search(r"\b(when|what year|which year|what date|in what year)\b", q):
        return "year"
    if re.search(r"^\s*(who|whom)\b|\bwho\b|\bwhose\b|\bwhich (leader|person|minister|official|historian)\b", q):
        return "name"
    if re.search(r"\b(where|which (region|province|city|place|country|area)s?)\b", q):
        return "place"
    if re.search(r"\b(slogan|motto|saying|catchphrase|jingle|nickname|phrase|in (?:his|her|their) words)\b", q):
        return "quote"
    if re.search(r"\bfor\s*\??\s*$|\bpurpose\b|\bwhat was the (?:aim|point|goal)\b", q):
        return "purpose"
    if re.search(r"\b(why|how come|what (?:caused|made)|for what reason)\b", q):
        return "reason"
    if _DEFINITION_Q.match(q) and not re.search(r"\b(like|about)\s*\??\s*$", q):
        return "definition"
    return None


def holds(kind: str | None, sentence: str, subject: str = "", question: str = "") -> bool:
    """True when ``sentence`` holds the kind of thing the question asks for.

    ``subject`` is what a "what was X?" question asks about, for definitions. A year, a
    number, a name or a place the ``question`` itself names is not its answer: "When did
    the Normans conquer England in 1066?" aside, "Who did Emma marry?" wants a name
    other than Emma's.
    """
    if question and kind in ("year", "number", "name", "place"):
        asked = {w.lower() for w in re.findall(r"\w+", question)}
        asked |= {_DIGIT_WORDS[w] for w in asked if w in _DIGIT_WORDS}  # "5" asked is "five" too, and back
        asked |= {d for d, w in _DIGIT_WORDS.items() if w in asked}
        sentence = re.sub(r"\w+", lambda m: "_" if m.group().lower() in asked else m.group(), sentence)
    if kind == "definition":
        return _defines(sentence, subject)
    if kind == "event":
        return _done_to(sentence, subject)
    if kind == "year":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence))
    if kind == "number":
        body = _LIST_MARKER.sub("", sentence)  # "3. The demand ..." is a list item, not a figure
        return any(not _YEAR.fullmatch(m.group().strip()) for m in _NUMBER.finditer(body))
    if kind in ("name", "place"):
        return bool(NAME.search(sentence))
    if kind == "quote":
        return bool(_QUOTED.search(sentence))
    if kind == "purpose":
        return bool(_PURPOSE.search(sentence))
    if kind == "reason":
        return bool(_REASON.search(sentence))
    if kind == "judgement":
        return bool(_VERDICT.search(sentence))
    return False


def _defines(sentence: str, subject: str) -> bool:
    """"X were ...", "X: ...", "X, the term for ...", "known as X": a sentence that says what X is."""
    if _DEFINING.search(sentence):
        return True
    words = [w for w in re.findall(r"\w+", subject.lower()) if w not in ("the", "a", "an")]
    if not words:
        return False
    last = re.escape(words[-1][:5])  # "furnaces" also as "furnace"
    pattern = rf"\b{last}\w*[’']?\s*(?:\([^)]*\)\s*)?(?::|,? (?:is|are|was|were|would be|became|meant|means|refers)\b)"
    return bool(re.search(pattern, sentence, re.IGNORECASE))


def _done_to(sentence: str, subject: str) -> bool:
    """"Peng was denounced", "He was stripped of his position": what was done to someone."""
    names = [w for w in re.findall(r"\w+", subject) if w[:1].isupper()]
    if not names:  # "what happened to the forests" asks for an effect, not a deed done to someone
        return False
    who = "|".join([re.escape(w) for w in names] + ["he", "she", "they"])
    pattern = rf"\b(?:{who})(?:[’']s)?\s+(?:was|were|had been|has been)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn|ne|ck|ht)\b"
    return bool(re.search(pattern, sentence, re.IGNORECASE))


_FIGURE = re.compile(
    r"\b\d+(?:[.,]\d+)*(?:\s*(?:to|-|–)\s*\d+(?:[.,]\d+)*)?\s*(?:%|per ?cent|million|billion|thousand)?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|a hundred)"
    r"\s+(?:million|billion|thousand|hundred|per ?cent)",
    re.IGNORECASE,
)


def figure_spans(text: str) -> list[tuple[int, int, str]]:
    """``figures_in`` with where each stands in ``text``: ``(start, end, figure)``."""
    body = _LIST_MARKER.sub("", text)
    shift = len(text) - len(body)  # (a list marker is cut from the start only)
    return [(m.start() + shift, m.start() + shift + len(f), f) for m in _FIGURE.finditer(body)
            if (f := m.group().rstrip()) and not _YEAR.fullmatch(f) and not _YEARS.fullmatch(f)]


def figures_in(text: str) -> list[str]:
    """Quantities stated in ``text`` in figures or with a magnitude: "30 million",
    "15 to 45 million", "ten million", "65%"; not years, list numbers or "one of"."""
    return [f for _, _, f in figure_spans(text)]
