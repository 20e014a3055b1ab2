"""Text analysis: a chain of small steps from raw text to index terms.

    tokens(text)   -> [(word, start, end)]   words with their character spans
    normalise(w)   -> lower case, curly apostrophes straightened, accents kept
    content(w)     -> False for stop words and one-letter words
    stem(w)        -> Snowball (English), PyStemmer's C build of it
    terms(text)    -> stems of content words, plus bigrams of adjacent content stems

Each step is usable alone; ``terms`` is the analyzer the TF-IDF vectoriser runs.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words: letters/digits, allowing inner apostrophes, hyphens, and digit groups (600,000; 1.5).
# A word: letters or digits, with an inner apostrophe ending ("Mao’s", "didn't") or digit
# groups ("600,000", "5.35"); hyphens separate words ("five-year" is "five", "year").
# (Possessive quantifiers: nothing after a part can fail, so the engine need not remember
# how to give it back; the same matches, found about a sixth faster.)
_WORD = re.compile(r"\w++(?:[’'](?:s|t|d|ll|re|ve|m)\b)?+(?:[.,]\d+)*+|%", re.UNICODE)
# Irregular English verb forms and plurals, mapped to their base form before stemming, so
# that a question's "build" finds a text's "built" (Snowball only strips regular endings).
IRREGULAR = {
    form: base
    for base, forms in {
        "be": "was were been", "begin": "began begun", "break": "broke broken", "bring": "brought",
        "build": "built", "buy": "bought", "catch": "caught", "choose": "chose chosen", "come": "came",
        "do": "did done", "draw": "drew drawn", "drive": "drove driven", "eat": "ate eaten",
        "fall": "fell fallen", "feed": "fed", "feel": "felt", "fight": "fought", "find": "found",
        "fly": "flew flown", "forbid": "forbade forbidden", "forget": "forgot forgotten",
        "freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
        "grow": "grew grown", "hang": "hung", "have": "had", "hear": "heard", "hide": "hid hidden",
        "hold": "held", "keep": "kept", "know": "knew known", "lay": "laid", "lead": "led",
        "leave": "left", "lend": "lent", "lose": "lost", "make": "made", "mean": "meant", "meet": "met",
        "pay": "paid", "ride": "rode ridden", "rise": "rose risen", "run": "ran", "say": "said",
        "see": "saw seen", "seek": "sought", "sell": "sold", "send": "sent", "shake": "shook shaken",
        "shoot": "shot", "sing": "sang sung", "sink": "sank sunk", "sit": "sat", "sleep": "slept",
        "speak": "spoke spoken", "spend": "spent", "stand": "stood", "steal": "stole stolen",
        "strike": "struck", "swear": "swore sworn", "take": "took taken", "teach": "taught",
        "tear": "tore torn", "tell": "told", "think": "thought", "throw": "threw thrown",
        "understand": "understood", "wake": "woke woken", "wear": "wore worn", "win": "won",
        "write": "wrote written", "seize": "seized", "die": "died dying dead death deaths", "flee": "fled",
        "overtake": "overtook overtaken", "undertake": "undertook undertaken", "withdraw": "withdrew withdrawn",
        # irregular plurals, which Snowball leaves alone ("children" would not find "child")
        "child": "children", "man": "men", "woman": "women", "foot": "feet", "tooth": "teeth",
        "mouse": "mice", "goose": "geese", "ox": "oxen",
    }.items()
    for form in forms.split()
}
# Symbols and spellings that name the same thing as a word.
_SAME_AS = {"%": "percent", "percentage": "percent", "percentages": "percent", "pc": "percent", "vs": "versus"}
# Snowball's English stemmer in C (PyStemmer, as bm25s uses): the same algorithm as NLTK's
# Python one, about seven times quicker, which a build stemming 60,000 distinct words
# feels. Of the words of the shipped corpus, the SQuAD articles and the 5,000-document
# benchmark corpus, five differ from NLTK's: "universal", "international", "emergencies"
# and "added" keep more of their ending (Snowball 2's exceptions).
_STEMMER = Stemmer.Stemmer("english")

# Question words and fillers that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    "what when where who whom whose which why how explain describe tell did does do was were "
    "is are happen happened happens mean means meant like kind sort define definition example "
    "please can could would should give list name say said main".split()
)
# Number words are content: "in one year" is not "in two years".
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty forty fifty sixty hundred "
    "thousand million billion first second third fourth fifth half quarter".split()
)
STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - NUMBER_WORDS) | QUESTION_WORDS | {"s", "t", "also", "just"}
# Words that frame a question ("what were the effects of ...", "what did X think of ...")
# rather than name its topic: searched for, but they weigh little in deciding whether
# the sources cover a question at all.
# The verdict a judgement question asks for ("Was it a success?"): the sources may give
# another one ("a disaster"), so such a question searches for its topic alone, and prefers
# sentences that give a verdict (``kinds``).
VERDICT_WORDS = frozenset(
    "success successful successes succeed succeeded failure failures fail failed achievement achievements "
    "achieve achieved popular unpopular blame blamed responsible disaster flop mistake mistakes effective".split()
)
VERDICT_STEMS = frozenset()  # (filled below, once ``stem`` is defined)
FRAME_WORDS = frozenset(
    "effect effects affect affected impact impacts cause causes caused reason reasons result results "
    "consequence consequences role significance important importance happen happened think thought "
    "feel felt view views opinion work worked today now change changed start started end ended "
    "good bad big small long short way ways thing things people use used make made get got go went "
    "wrong right true false treat treated deal dealt react reacted respond responded "
    "set begin began begun last lasted rise rose risen fall fell fallen".split()
) | VERDICT_WORDS


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` with their ``[start, end)`` spans; hyphenated words split.

    >>> tokens("Mao’s five-year plan")
    [('Mao’s', 0, 5), ('five', 6, 10), ('year', 11, 15), ('plan', 16, 20)]
    """
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def words(text: str) -> list[str]:
    """The words of ``text`` as written, without spans (fast)."""
    return _WORD.findall(text)


BREAK = "\x00"  # no word holds it: see ``words_with_breaks``
_WORD_OR_BREAK = re.compile(BREAK + "|" + _WORD.pattern, re.UNICODE)


def words_with_breaks(text: str) -> list[str]:
    """``words``, and ``BREAK`` wherever ``text`` holds it: for texts free of ``BREAK``,
    ``words_with_breaks(BREAK.join(texts))`` is the ``words`` of each text in turn with
    a ``BREAK`` between them (one regex call for many short texts)."""
    return _WORD_OR_BREAK.findall(text)


def normalise(word: str) -> str:
    """Lower-case a word and drop a possessive ending: "Mao’s" -> "mao"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "").replace("_", "")
    return _SAME_AS.get(w, w)


def is_content(word: str) -> bool:
    """True for a normalised word that carries meaning (not a stop word, not one letter)."""
    return len(word) > 1 and word not in STOP_WORDS or word.isdigit()


def title_cased(words: list[str]) -> bool:
    """True for text typed in Title Case or capitals ("What Were The Effects Of ...", "The
    Great Leap Forward Began In 1958."), where a capital marks no name: nearly all its words
    are capitalised, a word that names seldom hold ("In", "Were"; not "The", "First") among
    them. (A title inside a question, "... wrote "On the Computational Complexity of ..."",
    leaves the rest of it as typed.)"""
    alpha = [w for w in words if w[:1].isalpha()]
    capitals = sum(w[:1].isupper() for w in alpha)
    return (len(alpha) >= 3 and capitals >= TITLE_SHARE * len(alpha)
            and any(w[:1].isupper() and w.lower() in _TITLE_MARKERS for w in alpha[1:]))


TITLE_SHARE = 0.8


_TITLE_MARKERS = frozenset("of in on at to for by with and or from into about as is are was were did does do has "
                           "have had".split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of a normalised word; numbers are kept as they are."""
    if not word.isalpha() and any(ch.isdigit() for ch in word):  # (a letter is never a digit)
        return word.replace(",", "")
    return _STEMMER.stemWord(IRREGULAR.get(word, word))


FRAME_STEMS = frozenset(stem(f) for f in FRAME_WORDS)
VERDICT_STEMS = frozenset(stem(f) for f in VERDICT_WORDS)


def is_frame(word: str) -> bool:
    """True for a normalised word that frames a question rather than naming its topic."""
    return word in FRAME_WORDS or stem(word) in FRAME_STEMS


def spellings(word: str) -> tuple[str, ...]:
    """A normalised word, and its American spelling when it has a British one ("criticised" ->
    "criticized", "labour" -> "labor", "centre" -> "center", "analyse" -> "analyze"): WordNet
    spells words so, and the stemmer keeps the two apart ("criticis", "critic")."""
    for pattern, replacement in _BRITISH:
        american = pattern.sub(replacement, word)
        if american != word:
            return word, american
    return (word,)


def other_spellings(word: str) -> tuple[str, ...]:
    """A normalised word in its spellings across the Atlantic: the American of a British one
    (``spellings``), the British of an American one ("organized" -> "organised", "labor" ->
    "labour", "center" -> "centre", "defense" -> "defence", "traveled" -> "travelled",
    "plowing" -> "ploughing"). Some are no words ("motor" -> "motour"): a caller keeps
    those its corpus writes."""
    found = list(spellings(word)[1:])
    for pattern, replacement in _AMERICAN:
        british = pattern.sub(replacement, word)
        if british != word:
            found.append(british)
    return tuple(dict.fromkeys(found))


# British and American endings, with what may follow them: each rule read both ways.
_ACROSS = [("is", "iz", "(e|ed|es|ing|ation|ations)"), ("ys", "yz", "(e|ed|es|ing)"),
           ("our", "or", "(s|ed|ing|able|ite|ites|ful)?"), ("tre", "ter", "(s)?")]
_BRITISH = [(re.compile(rf"^([a-z]{{3,}}){british}{after}$"), rf"\1{american}\2")
            for british, american, after in _ACROSS]
# (and the American spellings whose British one only that way round is sure)
_AMERICAN = [(re.compile(rf"^([a-z]{{3,}}){american}{after}$"), rf"\1{british}\2")
             for british, american, after in _ACROSS] + [
    (re.compile(r"^([a-z]{2,})ense(s)?$"), r"\1ence\2"),
    (re.compile(r"^([a-z]*[aeiou])l(ed|ing|er|ers)$"), r"\1ll\2"),
    (re.compile(r"^plow"), "plough")]


def word_with_stem(text: str, stem_: str) -> str:
    """The word of ``text`` whose stem is ``stem_`` in one of its spellings ("purpose" for
    "purpos", "criticised" for "critic"), or the stem."""
    return next((w for w in words(text) if stem_ in {stem(v) for v in spellings(normalise(w))}), stem_)


def content_words(text: str) -> list[str]:
    """Normalised content words of ``text`` in order."""
    out = []
    for word, _, _ in tokens(text):
        w = normalise(word)
        if w and is_content(w):
            out.append(w)
    return out


_MISSING = object()
_TERM_OF: dict[str, str | None] = {}  # a token as written -> its stem, or None for a stop word
_TERM_CACHE = 1_000_000  # tokens remembered at most


def content_word(token: str) -> str | None:
    """The normalised word ``term_of`` stems for a token as written; None for a stop word."""
    w = normalise(token)
    return w if w and is_content(w) else None


def term(token: str) -> str | None:
    """The index term of one token as written: its normalised word's stem; None for a stop word."""
    w = content_word(token)
    return None if w is None else stem(w)


def term_of(token: str) -> str | None:
    """``term``, remembered (a question's words recur)."""
    t = _TERM_OF.get(token, _MISSING)
    if t is _MISSING:
        t = term(token)
        if len(_TERM_OF) < _TERM_CACHE:
            _TERM_OF[token] = t
    return t  # type: ignore[return-value]


def clear_caches() -> None:
    """Forget remembered stems (for experiments that swap the stemmer)."""
    _TERM_OF.clear()
    if hasattr(stem, "cache_clear"):  # an experiment may have swapped ``stem`` for a plain function
        stem.cache_clear()


def stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` in order."""
    return [t for tok in _WORD.findall(text) if (t := term_of(tok)) is not None]


WORD_PAIRS = True  # terms include the pairs of adjacent stems ("backyard furnac")


def terms(text: str) -> list[str]:
    """Index terms: content stems and the bigrams of adjacent content stems.

    >>> terms("The backyard furnaces smelted scrap iron")
    ['backyard', 'furnac', 'smelt', 'scrap', 'iron', 'backyard furnac', 'furnac smelt', 'smelt scrap', 'scrap iron']
    """
    unigrams = stems(text)
    return unigrams + ([f"{a} {b}" for a, b in zip(unigrams, unigrams[1:])] if WORD_PAIRS else [])
