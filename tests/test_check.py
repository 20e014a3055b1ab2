"""Checking a teacher's claims against the sources."""

from __future__ import annotations

import pytest

import json
import shutil
from pathlib import Path

from tutor.check import check, check_sentences

from .conftest import FIXTURE_CORPUS, run_tutor


@pytest.mark.parametrize("claim, verdict, quoted", [
    ("James Hargreaves invented the spinning jenny in 1764.", "supported", "1764"),
    ("The spinning jenny was invented in 1780.", "conflicting", "1764"),
    ("By 1800 around 900 Watt engines were at work.", "conflicting", "500"),
    ("George Stephenson was the chief engineer of the Liverpool and Manchester Railway.", "supported", "Stephenson"),
    ("Isambard Brunel was the chief engineer of the Liverpool and Manchester Railway.", "conflicting", "Stephenson"),
    ("Volcanoes erupt when magma rises.", "not_found", None),
])
def test_verdicts(fixture_index, claim, verdict, quoted):
    v = check(fixture_index, claim)
    assert v.verdict == verdict, (claim, v)
    if quoted:
        assert quoted in v.citations[0].quote
        c = v.citations[0]
        assert fixture_index.doc_text(c.doc)[c.start:c.end] == c.quote
    else:
        assert not v.citations


@pytest.mark.parametrize("typed", ["The Great Leap Forward Began In 1958.", "THE GREAT LEAP FORWARD BEGAN IN 1958."])
def test_a_claim_in_title_case_or_capitals_is_judged_as_written_plainly(shipped_index, typed):
    # Its capitals mark no names: "Began" is no name that the sources would have to give.
    plain = check(shipped_index, "The Great Leap Forward began in 1958.")
    v = check(shipped_index, typed)
    assert plain.verdict == "supported"
    assert v.verdict == plain.verdict and v.citations[0].quote == plain.citations[0].quote


@pytest.mark.parametrize("typed", [
    "I think the Great Leap Forward began in 1958.",
    "In my opinion, the Great Leap Forward began in 1958.",
    "The Great Leap Forward began in 1958, I believe.",
])
def test_a_students_stance_around_a_claim_is_not_what_is_checked(shipped_index, typed):
    # "think" and "opinion" are not what the sources are asked to state.
    plain = check(shipped_index, "The Great Leap Forward began in 1958.")
    v = check(shipped_index, typed)
    assert v.claim == typed  # (shown as the student wrote it)
    assert v.verdict == plain.verdict == "supported" and v.citations[0].quote == plain.citations[0].quote


def test_a_question_is_no_claim(fixture_index):
    v = check(fixture_index, "When did the Liverpool and Manchester Railway open?")
    assert v.verdict == "not_found" and not v.citations and not v.nearest
    assert "question" in v.message


def test_a_paragraphs_sentence_that_opens_on_a_pronoun_is_read_with_the_subject_before_it(shipped_index):
    paragraph = ["The Great Leap Forward was a disaster.", "Why did it fail?",
                 "It failed because Mao set impossible targets."]
    verdicts = check_sentences(shipped_index, paragraph)
    assert [v.claim for v in verdicts] == paragraph  # (each shown as the student wrote it)
    assert [v.verdict for v in verdicts] == ["supported", "not_found", "supported"]
    # What failed is the Great Leap Forward (read alone, "It failed ..." found another sentence).
    assert "failed primarily due to" in verdicts[2].citations[0].quote


def test_a_claim_copied_word_for_word_is_flagged(fixture_index):
    v = check(fixture_index, "The Liverpool and Manchester Railway opened in 1830.")
    assert v.verdict == "supported" and v.copied
    assert not check(fixture_index, "In 1830 the railway from Liverpool to Manchester opened.").copied


def test_several_sources_stating_a_claim_are_all_cited(fixture_index):
    v = check(fixture_index, "The railway between Liverpool and Manchester opened in 1830.")
    assert v.verdict == "supported" and len({c.doc for c in v.citations}) == 2


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("check")
    shutil.copytree(FIXTURE_CORPUS, base / "corpus")
    return base / "corpus", base / "index"


def _check_json(folders, claim: str) -> dict:
    corpus, index = folders
    r = run_tutor("check", claim, "--json", "--corpus", str(corpus), "--index", str(index))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for c in out["citations"] + out["nearest"]:  # every quote verbatim, the nearest too
        assert Path(c["path"]).read_text(encoding="utf-8-sig")[c["start"]:c["end"]] == c["quote"]
    return out


@pytest.mark.parametrize("claim, stated_in", [
    ("The Liverpool and Manchester Railway started running in 1830.", "opened in 1830"),
    ("The spinning jenny was created by James Hargreaves in 1764.", "invented by James Hargreaves"),
    ("One worker could spin eight threads at once with the spinning jenny.", "eight threads"),
    ("By 1800 some five hundred Watt engines were at work in British mines and mills.", "500 Watt engines"),
])
def test_a_claim_in_other_words_is_supported_by_the_sentence_that_states_it(folders, claim, stated_in):
    out = _check_json(folders, claim)
    assert out["verdict"] == "supported"
    assert stated_in in out["citations"][0]["quote"]


def test_a_conflict_says_what_differs_and_quotes_the_source(folders):
    out = _check_json(folders, "One worker could spin twelve threads at once with the spinning jenny.")
    assert out["verdict"] == "conflicting" and "eight threads" in out["citations"][0]["quote"]
    assert {"what": "figure", "claim": "12", "source": "8"} in out["differences"]
    assert "12" in out["message"] and "8" in out["message"]
    negated = _check_json(folders, "Luddites were textile workers who did not smash machines.")
    assert negated["verdict"] == "conflicting" and any(d["what"] == "negation" for d in negated["differences"])


def test_not_found_shows_the_nearest_the_sources_come(folders):
    out = _check_json(folders, "Cotton mills in Manchester were powered by windmills.")
    assert out["verdict"] == "not_found" and not out["citations"]
    assert out["nearest"] and "nearest" in out["message"]


def test_two_facts_one_stated_one_contradicted_says_so(folders):
    out = _check_json(folders, "The spinning jenny was invented by James Hargreaves in 1764, and it was invented in Scotland.")
    assert out["verdict"] == "conflicting" and out["mixed"]
    assert [p["verdict"] for p in out["parts"]] == ["supported", "conflicting"]


def test_two_facts_cite_what_contradicts_the_second_first(folders):
    # The whole claim, read against the sentence stating its first fact, already looks
    # conflicting (1827 is not that sentence's 1830); the teacher needs the sentence that
    # gives the Trials' real year, and each part's verdict.
    out = _check_json(folders, "The Liverpool and Manchester Railway opened in 1830, and Rocket won the Rainhill "
                               "Trials in 1827.")
    assert out["verdict"] == "conflicting" and out["mixed"]
    assert "Rainhill Trials in 1829" in out["citations"][0]["quote"]
    assert {"what": "year", "claim": "1827", "source": "1829"} in out["differences"]
    assert [(p["claim"], p["verdict"]) for p in out["parts"]] == [
        ("The Liverpool and Manchester Railway opened in 1830", "supported"),
        ("Rocket won the Rainhill Trials in 1827", "conflicting")]  # (a part with its own subject keeps it)


@pytest.mark.parametrize("claim", [
    "The Liverpool and Manchester Railway opened in 1830, and Rocket won the Rainhill Trials in 1829.",
    "James Hargreaves invented the spinning jenny in 1764, and Richard Arkwright built the water frame in 1769.",
])
def test_two_facts_both_stated_are_supported_by_both_sentences(folders, claim):
    # Read whole against the sentence stating its first fact, each claim lacks the second
    # fact's year and name; that is no conflict when another sentence states the second.
    out = _check_json(folders, claim)
    assert out["verdict"] == "supported" and not out["differences"], out
    assert [p["verdict"] for p in out["parts"]] == ["supported", "supported"]
    first, second = (p["claim"] for p in out["parts"])
    assert first.split()[-1] in out["citations"][0]["quote"] and second.split()[-1] in out["citations"][1]["quote"]


def test_a_later_part_takes_the_first_parts_subject():
    from tutor.check import _with_subject
    assert _with_subject("Quicksort", "its worst case is rare") == "Quicksort’s worst case is rare"
    assert _with_subject("Peng Dehuai", "was later dismissed") == "Peng Dehuai was later dismissed"
    assert _with_subject("BSkyB", "it was the second platform") == "BSkyB was the second platform"
    assert _with_subject("Sky", "the range includes a router") == "the range includes a router"


def test_the_subject_of_a_claim_skips_an_opening_date(fixture_index):
    from tutor.check import _subject
    assert _subject(fixture_index, "In January 2010 BSkyB discontinued the box") == "BSkyB"
    assert _subject(fixture_index, "On 18 November 2015, Sky announced Sky Q") == "Sky"
    assert _subject(fixture_index, "The integer factorization problem is in NP") == "The integer factorization problem"


def test_an_opposite_word_is_about_the_claim_and_says_otherwise(fixture_index):
    v = check(fixture_index, "Richard Arkwright closed a cotton mill at Cromford in 1771.")
    assert v.verdict == "conflicting" and "opened a cotton mill" in v.citations[0].quote
    assert any(d.what == "opposite" and d.claim == "closed" and d.source == "opened" for d in v.differences)


def test_a_range_written_between_and_is_the_sources_range(shipped_index):
    v = check(shipped_index, "Between 15 and 45 million people died in the famine.")
    assert v.verdict == "supported" and "15 to 45 million" in v.citations[0].quote


def test_a_sum_of_money_is_not_a_count_of_things(folders):
    # The source counts engines ("some 500 Watt engines"); it says nothing of their price.
    out = _check_json(folders, "By 1800 each Watt engine cost £500.")
    assert out["verdict"] == "not_found" and out["nearest"]


def _with(tmp_path: Path, text: str) -> tuple[Path, Path]:
    """The fixture corpus with one more document, ``text``, and where to index it."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "more.txt").write_text(text, encoding="utf-8")
    return corpus, tmp_path / "index"


def test_rather_than_says_not(tmp_path):
    folders = _with(tmp_path, "Satellite boxes\n\nThe Sky Q Mini set top boxes connect to the Sky Q Silver set top "
                              "boxes with a Wi-Fi or Power-line connection rather than receive their own satellite feeds.\n")
    assert _check_json(folders, "Sky Q Mini boxes do not receive their own satellite feeds.")["verdict"] == "supported"
    out = _check_json(folders, "Sky Q Mini boxes receive their own satellite feeds.")
    assert out["verdict"] == "conflicting" and {"what": "negation", "claim": "", "source": "rather than"} in out["differences"]
    # "rather than" on something the source does not speak of says nothing against it.
    out = _check_json(folders, "Richard Arkwright opened a cotton mill at Cromford in 1771 rather than in Lancaster.")
    assert out["verdict"] == "supported", out["message"]


def test_a_month_is_not_a_name_the_sources_must_give(folders):
    # The sources say "opened in 1830" without the month: that is no other name.
    out = _check_json(folders, "The Liverpool and Manchester Railway opened in September 1830.")
    assert out["verdict"] == "supported" and not out["differences"]


def test_another_day_of_the_same_month_says_otherwise(tmp_path):
    folders = _with(tmp_path, "The first public railway\n\nThe Stockton and Darlington Railway opened on 27 September "
                              "1825, with George Stephenson's Locomotion No. 1 pulling the first train.\n")
    for claim in ("The Stockton and Darlington Railway opened on 27 September 1825.",
                  "The Stockton and Darlington Railway opened on September 27th, 1825.",
                  "The Stockton and Darlington Railway opened in September 1825."):
        assert _check_json(folders, claim)["verdict"] == "supported", claim
    out = _check_json(folders, "The Stockton and Darlington Railway opened on 26 September 1825.")
    assert out["verdict"] == "conflicting"
    assert {"what": "year", "claim": "26 September", "source": "27 September"} in out["differences"]


def test_a_figure_written_exactly_is_not_another_close_to_it(tmp_path):
    folders = _with(tmp_path, "Passengers\n\nIn its first week the Liverpool and Manchester Railway carried 4,412 "
                              "passengers between the two cities.\n")
    claim = "In its first week the Liverpool and Manchester Railway carried {} passengers."
    assert _check_json(folders, claim.format("about 4,400"))["verdict"] == "supported"  # (rounded)
    out = _check_json(folders, claim.format("4,421"))
    assert out["verdict"] == "conflicting"
    assert any(d["what"] == "figure" and d["claim"] == "4,421" and "4,412" in d["source"] for d in out["differences"])


def test_a_contraction_is_read_as_the_two_words(shipped_index):
    # "wasn't" is "was not": no unknown word "wasnt" to look for in the sources.
    v = check(shipped_index, "The steel from the backyard furnaces wasn't usable.")
    assert v.verdict == "supported" and "usable" in v.citations[0].quote
    assert v.claim == "The steel from the backyard furnaces wasn't usable."


def test_an_opposite_in_british_spelling_is_found(shipped_index):
    # WordNet gives "criticize" as the opposite of "praise"; the sources write "criticised".
    v = check(shipped_index, "Peng Dehuai praised the Great Leap Forward at the Lushan Conference.")
    assert v.verdict == "conflicting"
    assert any(d.what == "opposite" and d.claim == "praised" and d.source == "criticised" for d in v.differences)


def test_a_quotation_is_credited_to_the_name_on_the_line_under_it(tmp_path):
    folders = _with(tmp_path, "What they said\n\n“The railway changed the pace of life in every town it reached, and "
                              "the Liverpool and Manchester line did so within a single generation.”\n"
                              "Samuel Smiles, biographer\n")
    out = _check_json(folders, "Samuel Smiles wrote that the railway changed the pace of life in every town it reached.")
    assert out["verdict"] == "supported" and "pace of life" in out["citations"][0]["quote"]


def test_a_name_with_a_hyphen_is_one_name():
    from tutor.kinds import NAME
    assert [m.group() for m in NAME.finditer("Results of The First Five-Year Plan pleased Mao Zedong.")] == [
        "The First Five-Year Plan", "Mao Zedong"]


@pytest.mark.parametrize("source, claim", [
    # "started" is the opposite of "stopped", but the claim says it too, as "began".
    ("In January 2010 the Quillon company discontinued the old signal box and started to issue the new signal box "
     "as standard.", "In January 2010 the Quillon company stopped offering the old signal box and began supplying "
                     "the new signal box as standard."),
    # "some 600,000" is about 600,000, not the opposite of "all".
    ("In fact the canal company had built some 600,000 oak sluice gates in workshops scattered around the county.",
     "About six hundred thousand oak sluice gates were built in workshops all over the county."),
])
def test_words_that_only_look_opposite_do_not_contradict(tmp_path, source, claim):
    out = _check_json(_with(tmp_path, "Notes\n\n" + source + "\n"), claim)
    assert out["verdict"] == "supported", out["message"]


def test_money_in_words_is_money(tmp_path):
    folders = _with(tmp_path, "Costs\n\nThe Quillon Canal cost £820,000 to build, and its shareholders were paid "
                              "back by 1810.\n")
    assert _check_json(folders, "The Quillon Canal cost 820,000 pounds to build.")["verdict"] == "supported"
    out = _check_json(folders, "The Quillon Canal cost 900,000 pounds to build.")
    assert out["verdict"] == "conflicting"
    assert {"what": "figure", "claim": "900,000 pounds", "source": "£820,000"} in out["differences"]


def test_a_not_denies_only_what_its_clause_speaks_of(tmp_path):
    folders = _with(tmp_path, "Hunger in the towns\n\nFood shortages eventually affected the towns too, as the grain "
                              "crisis deepened and rationing failed to keep pace with demand. Schools taught the "
                              "children that the harvest had been a record, and their parents dared not tell them "
                              "otherwise. The grain from the collective stores was unusable.\n")
    # The source's "failed to keep pace" and "dared not tell" deny nothing these claims say.
    for claim in ("Eventually the towns also suffered food shortages.",
                  "Children were taught at school that the harvest had been a record.",
                  # "not usable" says what "unusable" does
                  "The grain from the collective stores was not usable."):
        out = _check_json(folders, claim)
        assert out["verdict"] == "supported", (claim, out["message"])
    # A "not" on what the source speaks of still says otherwise.
    out = _check_json(folders, "Rationing kept pace with demand in the towns.")
    assert out["verdict"] == "conflicting" and {"what": "negation", "claim": "", "source": "failed to"} in out["differences"]
    out = _check_json(folders, "Food shortages never affected the towns.")
    assert out["verdict"] == "conflicting" and {"what": "negation", "claim": "never", "source": ""} in out["differences"]


def test_a_peoples_adjective_is_the_name_of_that_people(tmp_path):
    folders = _with(tmp_path, "Norman adventurers\n\nA Norman named Oursel led a force of \"Franks\" into the upper "
                              "Euphrates valley in northern Syria. Frankish knights later settled there.\n")
    # "Frankish troops" are the source's "Franks": no other name than the source's.
    out = _check_json(folders, "A Norman called Oursel led Frankish troops into the upper Euphrates valley.")
    assert out["verdict"] == "supported", out["message"]
    assert "Oursel" in out["citations"][0]["quote"]


def test_going_down_is_the_opposite_of_going_up(tmp_path):
    folders = _with(tmp_path, "Prices\n\nIn 1829 the company substantially increased the price of a ticket to Manchester, "
                              "a rise its passengers resented.\n")
    # "lowered" is no WordNet antonym of "increased"; one goes down, the other up.
    out = _check_json(folders, "In 1829 the company substantially lowered the price of a ticket to Manchester.")
    assert out["verdict"] == "conflicting"
    assert {"what": "opposite", "claim": "lowered", "source": "increased, rise"} in out["differences"]
    out = _check_json(folders, "In 1829 the company substantially raised the price of a ticket to Manchester.")
    assert out["verdict"] == "supported", out["message"]


def test_a_claim_in_american_spelling_is_checked_as_the_sources_spell_it(shipped_index):
    # "Defense" is the sources' "Defence", not another name.
    v = check(shipped_index, "Defense Minister Peng Dehuai criticized the Great Leap Forward.")
    assert v.verdict == "supported" and "Defence Minister Peng Dehuai" in v.citations[0].quote
    assert v.claim == "Defense Minister Peng Dehuai criticized the Great Leap Forward."  # as typed


def test_a_claim_with_an_acronym_is_checked_as_the_sources_spell_it_out(shipped_index):
    # "the GLF" is the sources' "Great Leap Forward (GLF)", not a first five year plan of 1953
    v = check(shipped_index, "Mao launched the GLF in 1958.")
    assert v.verdict == "supported" and "1958" in v.citations[0].quote


@pytest.mark.parametrize("claim", ["The famine lasted from 1959 to 1961.", "The Lushan Conference took place in 1959."])
def test_years_and_events_as_a_teacher_words_them(shipped_index, claim):
    # "from 1959 to 1961" is two years, no figure to set against "15 to 45 million";
    # "took place" says no more than "happened": the conference and its year are the claim.
    v = check(shipped_index, claim)
    assert v.verdict == "supported", v.message
    assert "1959" in v.citations[0].quote
