"""Synonyms from WordNet, so a question's words find the sources' other words for them.

Students paraphrase: they ask about "cities" when a source says "urban areas", about
Mao's "aim" when it says his "intention". Stems and bigrams cannot bridge that; a
thesaurus can. The tutor ships a small one, ``data/synonyms.tsv.gz``, derived from
WordNet 3.0 (Princeton University; licence in ``data/WORDNET-LICENSE``) by ``make``
below, and read at run time without WordNet itself (no download, no NLTK data).

Only safe pairs are kept, because a wrong synonym makes a wrong quote:

- a question's word finds the other words of its *first* (most frequent) sense,
  when both are attested in that sense in WordNet's sense-tagged texts and the word
  is not seldom used in that part of speech: "aim" finds "intention" (purpose.n.01),
  "numbers" finds "figures" (number.n.01), "kids" finds "children"; "died" does not
  find "pass" (never tagged in that sense), nor "dice" (die is a noun in 4 % of uses);
- a relational adjective and its noun, both in their first sense: "urban" and "city".

Entries are keyed by dictionary form (so "reason" does not inherit the synonyms of
"reasonable", as it would by stem) and give the synonyms' Snowball stems, as the index
has them; an inflected question word ("cities") is looked up by its base form.

Regenerate (maintainers only; the tutor never needs this at run time)::

    apt-get download wordnet-base wordnet-sense-index   # Debian's WordNet 3.0
    dpkg-deb -x wordnet-base_*.deb wn && dpkg-deb -x wordnet-sense-index_*.deb wn
    python -m tutor.thesaurus wn/usr/share/wordnet
"""

from __future__ import annotations

import gzip
import shutil
import sys
import tempfile
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from tutor import analysis

DATA = Path(__file__).parent / "data" / "synonyms.tsv.gz"
ANTONYMS = Path(__file__).parent / "data" / "antonyms.tsv.gz"

# WordNet's lexicographer files, in the order of their numbers (wndb(5WN), lexnames(5WN));
# NLTK's reader wants them in a file called "lexnames", which Debian's package lacks.
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather "
    "adj.ppl"
).split()
_POS_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
# The particles of phrasal verbs ("pulled out", "set up"), which the thesaurus keys with their verb.
PARTICLES = frozenset("up down out off over in on back away about forward through".split())
MIN_POS_SHARE = 0.2  # a part of speech used less than this share of a word's uses is not its own
_POS_GROUP = {"n": "n", "v": "v", "a": "a", "s": "a", "r": "r"}  # satellite adjectives count as adjectives


@lru_cache(maxsize=2)
def table(which: str = "synonyms") -> dict[str, tuple[str, ...]]:
    """Word -> stems of its synonyms (or "antonyms"), read once from the shipped file (empty if missing)."""
    out: dict[str, tuple[str, ...]] = {}
    try:
        with gzip.open(ANTONYMS if which == "antonyms" else DATA, "rt", encoding="utf-8") as f:
            for line in f:
                key, _, rest = line.rstrip("\n").partition("\t")
                if key and rest:
                    out[key] = tuple(rest.split(" "))
    except OSError:
        return {}
    return out


def synonyms(word: str) -> tuple[str, ...]:
    """Stems of the synonyms of a normalised word, in any inflection.

    >>> synonyms("cities")
    ('metropoli', 'urban')
    """
    t = table()
    for base in _bases(word):
        if base in t:
            return t[base]
    return ()


def phrasal(words: list[str]) -> list[tuple[int, tuple[str, ...]]]:
    """``(i, stems)`` for each verb ``words[i]`` that a particle follows, with the synonyms of
    the two together in their first sense (normalised words in order: "turned down" ->
    "reject", "set up" -> "establish", "carried out" -> "accomplish")."""
    t = table()
    found = []
    for i in range(len(words) - 1):
        if words[i + 1] in PARTICLES:
            stems = next((t[k] for base in _bases(words[i]) if (k := f"{base}_{words[i + 1]}") in t), ())
            if stems:
                found.append((i, stems))
    return found


def antonyms(word: str) -> tuple[str, ...]:
    """Stems of the words WordNet gives as opposites of a normalised word, in any inflection
    ("unusable" -> "use"... of "useful"; "praised" -> "critic")."""
    t = table("antonyms")
    found = dict.fromkeys(a for base in _bases(word) for a in t.get(base, ()))
    return tuple(found)


def _bases(word: str) -> list[str]:
    """The word, then the dictionary forms it may be an inflection of ("cities" -> "city"); its
    American spelling's first, as WordNet spells them ("emphasised" -> "emphasize", before
    the noun "emphasis" its British form would find)."""
    return [b for w in reversed(analysis.spellings(word)) for b in _inflected(w)]


def _inflected(word: str) -> list[str]:
    out = [word, analysis.IRREGULAR.get(word, word)]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)] + repl
            out.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2] and not repl:  # "stopped" -> "stop"
                out.append(stem[:-1])
    return out


def _reader(wordnet_dir: Path):
    """NLTK's WordNet reader over a WordNet 3.0 ``dict`` folder (copied beside a lexnames file)."""
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = Path(tempfile.mkdtemp(prefix="wordnet-"))
    target = root / "corpora" / "wordnet"
    shutil.copytree(wordnet_dir, target)
    if not (target / "lexnames").exists():
        (target / "lexnames").write_text(
            "".join(f"{i:02d}\t{name}\t{_POS_NUMBER[name.split('.')[0]]}\n" for i, name in enumerate(_LEXNAMES)))
    nltk.data.path.insert(0, str(root))
    return WordNetCorpusReader(nltk.data.find("corpora/wordnet"), None)


def make(wordnet_dir: Path, out: Path = DATA) -> int:
    """Write the synonym and antonym tables from a WordNet 3.0 folder; returns the number
    of words with synonyms."""
    wn = _reader(Path(wordnet_dir))
    pairs = _synonym_pairs(wn)
    _write(pairs, out)
    _write(_opposite_pairs(wn), ANTONYMS if out == DATA else out.with_name("antonyms.tsv.gz"))
    return len(pairs)


def _first(wn, word: str, pos: str):
    """The word's most frequent synset in ``pos``, unless the word is seldom used so."""
    ss = wn.synsets(word, pos)
    if not ss:
        return None
    uses: defaultdict[str, int] = defaultdict(int)
    for lemma in wn.lemmas(word):
        uses[_POS_GROUP[lemma.synset().pos()]] += lemma.count()
    total = sum(uses.values())
    if total and uses[_POS_GROUP[pos]] < MIN_POS_SHARE * total:
        return None  # "die" is a noun (dice) in 4 % of its uses: no synonym of "died"
    return ss[0]


def _phrasal(name: str) -> bool:
    """A verb and its particle, as WordNet writes them: "set_up", "carry_out"."""
    verb, _, particle = name.partition("_")
    return particle in PARTICLES and _plain(verb)


def _plain(name: str) -> bool:
    return name.isalpha() and name.islower() and len(name) > 2


def _attested(synset) -> list[str]:
    """Plain single-word lemmas that the sense-tagged texts use in this sense."""
    return [lemma.name() for lemma in synset.lemmas() if _plain(lemma.name()) and lemma.count() > 0]


def _synonym_pairs(wn) -> dict[str, set[str]]:
    """Word -> stems of the other words of its first sense (and a relational adjective's noun)."""
    pairs: dict[str, set[str]] = defaultdict(set)

    def link(a: str, b: str) -> None:
        """``b`` is a synonym of ``a``: a question's ``a`` may find a source's ``b``."""
        if analysis.stem(a) != analysis.stem(b) and analysis.is_content(a) and analysis.is_content(b):
            pairs[a].add(analysis.stem(b))

    for pos in "nvar":
        for synset in wn.all_synsets(pos):
            names = _attested(synset)
            firsts = [n for n in names if _same(_first(wn, n, pos), synset)]
            for a in firsts:
                for b in names:
                    link(a, b)
            if pos == "v":  # "set up" finds "establish", "carried out" finds "accomplish"
                for lemma in synset.lemmas():
                    name = lemma.name()
                    if _phrasal(name) and lemma.count() > 0 and _same(_first(wn, name, pos), synset):
                        for b in names:
                            pairs[name].add(analysis.stem(b))
            if pos == "a":  # relational adjectives: "urban" pertains to "city"
                for lemma in synset.lemmas():
                    if lemma.name() not in firsts:
                        continue
                    for noun in lemma.pertainyms():
                        if noun.name() in _attested(noun.synset()) and _same(_first(wn, noun.name(), "n"), noun.synset()):
                            link(lemma.name(), noun.name())
                            link(noun.name(), lemma.name())
    return pairs


def _opposite_pairs(wn) -> dict[str, set[str]]:
    """Opposites, for checking a claim ("high-quality" against "low grade"): a word's direct
    antonyms in its first (most frequent) sense, and a satellite adjective's through its
    head ("unusable" is like "useless", the opposite of "useful")."""
    opposites: dict[str, set[str]] = defaultdict(set)
    for synset in wn.all_synsets():
        heads = synset.similar_tos() if synset.pos() == "s" else []
        for lemma in synset.lemmas():
            if not _plain(lemma.name()) or lemma.count() == 0 or not _same(_first(wn, lemma.name(), synset.pos()), synset):
                continue  # only a word's first sense: "rise" against "fall", not the sun's "set"
            found = list(lemma.antonyms()) + [a for h in heads for hl in h.lemmas() for a in hl.antonyms()]
            for a in found:
                if _plain(a.name()) and analysis.stem(a.name()) != analysis.stem(lemma.name()):
                    opposites[lemma.name()].add(analysis.stem(a.name()))
                    opposites[a.name()].add(analysis.stem(lemma.name()))  # both ways: "failure" and "success"
    return opposites


def _same(a, b) -> bool:
    """Synsets equal (NLTK's ``==`` fails on None)."""
    return a is not None and b is not None and a == b


def _write(pairs: dict[str, set[str]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        for key in sorted(pairs):
            f.write(f"{key}\t{' '.join(sorted(pairs[key]))}\n")


if __name__ == "__main__":  # python -m tutor.thesaurus /path/to/wordnet/dict
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tutor.thesaurus WORDNET_DICT_FOLDER")
    print(f"{make(Path(sys.argv[1]))} entries written to {DATA}")
