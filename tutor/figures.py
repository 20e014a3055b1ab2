"""Years, figures and dates as a sentence gives them, and whether two are alike.

``facts`` reads a sentence's years and figures into a form that compares: numbers in words
become digits ("fifteen" and "15"), fractions percentages ("a third" and "33%"), "£4.2bn"
and "820,000 pounds" sums of money, "between 15 and 45 million" a range. ``same_figure``
says whether two are alike (one the other rounded, or inside its range), ``kind`` what a
figure counts (a percentage, money, an angle or a number: never one another's), ``shown``
how a teacher reads it, and ``other_day`` whether two dates give another day of one month.
``tutor.claims`` compares a claim's with a source sentence's; ``tutor.quiz`` marks answers.
"""

from __future__ import annotations

import math
import re

from tutor.kinds import MONTHS, figure_spans

_YEAR = re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b")
_SHORT_RANGE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\s*[-–]\s*([0-9]{2})\b")
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
# A date that gives its day: "22 May", "22nd of May", "May 22" (not "May 22.5").
_DAY_OF_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({'|'.join(MONTHS)})\b"
                           rf"|\b({'|'.join(MONTHS)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?![.]?\d)", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+(?!1\d{3}\b|20\d{2}\b)(\d[\d.,]*)\s+and\s+(?!1\d{3}\b|20\d{2}\b)(\d[\d.,]*)",
                      re.IGNORECASE)
_CURRENCY = re.compile(r"[£$€]\s?$")
_MONEY_WORDS = r"pounds?|dollars?|euros?|yuan|francs?|rupees?|roubles?|rubles?|yen"  # (not "marks": "(6 marks)")
_MONEY_AFTER = re.compile(rf"\s*({_MONEY_WORDS})\b", re.IGNORECASE)  # "820,000 pounds"
_MONEY_SUFFIX = re.compile(rf" (?:{_MONEY_WORDS})$")


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
    # "22 May": a day is part of a date, not a figure
    words_to_digits = _DAY_OF_MONTH.sub(lambda m: m.group(2) or m.group(3), words_to_digits)
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


def other_day(claim: str, text: str) -> tuple[str, str] | None:
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
