"""The shipped WordNet synonyms: safe pairs only, any inflection, no crash without the file."""

from __future__ import annotations

from tutor import analysis, thesaurus
from tutor.answer import answer
from tutor.query import understand


def test_synonyms_are_found_for_any_inflection():
    assert analysis.stem("urban") in thesaurus.synonyms("cities")
    assert analysis.stem("intention") in thesaurus.synonyms("aims")
    assert analysis.stem("child") in thesaurus.synonyms("kids")
    assert analysis.stem("begin") in thesaurus.synonyms("started")


def test_a_british_spelling_finds_what_wordnets_american_one_does():
    assert analysis.spellings("realised") == ("realised", "realized")
    assert analysis.spellings("labour") == ("labour", "labor") and analysis.spellings("hour") == ("hour",)
    assert thesaurus.synonyms("emphasised") == thesaurus.synonyms("emphasized") != ()
    assert thesaurus.synonyms("centre") == thesaurus.synonyms("center") != ()
    assert analysis.stem("praise") in thesaurus.antonyms("criticised")


def test_a_verb_and_its_particle_find_the_one_word_for_them():
    words = "the officials carried out orders and turned down advice and set up communes".split()
    found = {words[i]: stems for i, stems in thesaurus.phrasal(words)}
    assert analysis.stem("accomplish") in found["carried"] and analysis.stem("reject") in found["turned"]
    assert analysis.stem("establish") in found["set"]
    assert thesaurus.phrasal("they turned the page".split()) == []  # no particle, no phrasal verb


def test_a_claim_in_a_phrasal_verb_cites_the_source_that_says_it_in_one_word(shipped_index):
    from tutor.check import check
    v = check(shipped_index, "Mao turned down the advice of experts.")
    assert v.verdict == "supported" and "rejection of expert advice" in v.citations[0].quote


def test_only_a_words_usual_sense_gives_synonyms():
    # "died" is not "dice" (a rare noun sense of "die"), nor "pass" (never tagged as "die")
    assert not {"dice", "pass"} & set(thesaurus.synonyms("died"))
    # looked up by word, not by stem: "reason" does not inherit "reasonable"'s "sensible"
    assert analysis.stem("sensible") not in thesaurus.synonyms("reason")
    assert thesaurus.synonyms("xylophonist") == ()


def test_without_the_file_the_tutor_still_answers(fixture_index, monkeypatch, tmp_path):
    monkeypatch.setattr(thesaurus, "DATA", tmp_path / "missing.tsv.gz")
    thesaurus.table.cache_clear()
    try:
        assert thesaurus.synonyms("cities") == ()
        assert answer(fixture_index, "Who invented the spinning jenny?").answered
    finally:
        thesaurus.table.cache_clear()


def test_a_question_in_other_words_finds_the_sources_words(fixture_index):
    # The sources say "children"; the student says "kids" (without synonyms: declined).
    query = understand(fixture_index, "Tell me about the kids.")
    assert ("kid", "child") in query.synonyms
    ans = answer(fixture_index, "Tell me about the kids.")
    assert ans.answered, ans.message
    assert "children" in ans.citations[0].quote


def test_synonyms_the_corpus_lacks_are_not_searched(fixture_index):
    # "nation" is in the corpus, "commonwealth" is not: only corpus words join the query.
    syns = dict(understand(fixture_index, "Which country industrialised first?").synonyms)
    assert all(s in fixture_index.term_ids for s in syns.values())
    assert "commonwealth" not in syns.values()
