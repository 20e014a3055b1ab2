"""Reading the student's question: spelling, follow-ups, subjects."""

from __future__ import annotations

from tutor.query import correct_spelling, is_followup, resolve_followup, subject_of, without_request


def test_misspellings_are_fixed_against_the_corpus(fixture_index):
    fixed, fixes = correct_spelling(fixture_index, "Who was Jmes Hargreves and what was the spining jeny?")
    assert fixed == "Who was James Hargreaves and what was the spinning jenny?"
    assert ("Hargreves", "Hargreaves") in fixes


def test_real_words_the_corpus_lacks_are_left_alone(fixture_index):
    for text in ["How did they test the engine?", "Was it the worst factory?", "photosynthesis"]:
        assert correct_spelling(fixture_index, text) == (text, ())


def test_a_real_word_one_letter_off_a_word_the_corpus_uses_often_is_read_as_that_word(tmp_path):
    from tutor.build import build
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "steel.txt").write_text("Steel output\n\n" + " ".join(
        f"In year {i} the steel works made more steel than the coal mines could fuel." for i in range(6)) + "\n",
        encoding="utf-8")
    index = build(corpus)
    assert correct_spelling(index, "how much did steal production go up") == (
        "how much did steel production go up", (("steal", "steel"),))
    # An everyday word that is not a slip for one the corpus uses often stays as typed.
    assert correct_spelling(index, "Why do bees make honey?") == ("Why do bees make honey?", ())


def test_subjects_of_questions():
    assert subject_of("What were the people's communes?") == "the people's communes"
    assert subject_of("Who was Peng Dehuai?") == "Peng Dehuai"
    assert subject_of("Why did the backyard furnaces fail?") == "the backyard furnaces"
    assert subject_of("Tell me about Manchester") == "Manchester"
    # A yes-no question's subject is what it asks about, not the whole question.
    assert subject_of("Was the first five year plan a success?") == "the first five year plan"
    assert subject_of("Were the backyard furnaces abandoned?") == "the backyard furnaces"
    assert subject_of("Were the communes popular with the peasants?") == "the communes"
    # A name ends where its capitals do, not at the question's last word.
    assert subject_of("What did the Great Leap Forward borrow from the Soviet Union?") == "the Great Leap Forward"
    assert subject_of("Did China accept help from abroad?") == "China"


def test_follow_ups_are_recognised_and_resolved():
    assert is_followup("How big were they?") and is_followup("What happened to him?") and is_followup("Why?")
    assert not is_followup("Who invented the spinning jenny?")
    assert resolve_followup("How big were they?", ["What were the people's communes?"])[0] == \
        "How big were the people's communes?"
    assert resolve_followup("What was his job?", ["Who was George Stephenson?"])[0] == \
        "What was George Stephenson’s job?"
    # A chain keeps its subject: the second follow-up still means the railway.
    assert resolve_followup("Who built it?", ["What was the Liverpool and Manchester Railway?",
                                              "When did it open?"])[0] == \
        "Who built the Liverpool and Manchester Railway?"
    assert resolve_followup("were there any problems with it?", ["Was the first five year plan a success?"])[0] == \
        "were there any problems with the first five year plan?"
    assert resolve_followup("why?", ["Were the backyard furnaces abandoned?"])[0] == \
        "Why were the backyard furnaces abandoned?"
    assert resolve_followup("How big were they?", []) == ("How big were they?", (), False)


def test_the_question_inside_a_polite_request_is_what_is_searched():
    assert without_request("I want to know why the famine happened") == "why the famine happened"
    assert without_request("Can you tell me when the Great Leap Forward started?") == \
        "when the Great Leap Forward started?"
    assert without_request("Please tell me what the backyard furnaces were") == "what the backyard furnaces were"
    assert without_request("Do you know when Mao died?") == "when Mao died?"
    # "what's", as students type it, asks what something is.
    assert without_request("what's a turing machine") == without_request("whats a turing machine") == \
        "what is a turing machine"
    # What is not a request around a question stays as typed.
    for typed in ("Tell me about the communes", "tell me more", "I want to know more", "Can you?"):
        assert without_request(typed) in (typed, "tell me more")


def test_a_follow_up_after_a_request_takes_the_requests_subject(fixture_index):
    from tutor.query import understand
    q = understand(fixture_index, "Who built it?", ["Can you tell me what the Liverpool and Manchester Railway was?"])
    assert q.searched == "Who built the Liverpool and Manchester Railway?"


def test_an_american_spelling_is_read_as_the_sources_british_one(shipped_index):
    fixed, fixes = correct_spelling(shipped_index, "Who was the defense minister who criticized the plowing?")
    assert fixed == "Who was the defence minister who criticised the ploughing?"
    assert ("criticized", "criticised") in fixes and ("plowing", "ploughing") in fixes
    # A word the sources write as typed is left alone, in either spelling.
    assert correct_spelling(shipped_index, "What was the Great Leap Forward?")[1] == ()


def test_an_acronym_is_read_as_the_sources_spell_it_out(shipped_index):
    from tutor.query import understand
    for typed in ("what was the GLF", "what was the glf"):
        q = understand(shipped_index, typed)
        assert q.searched == "what was the Great Leap Forward" and "glf" in q.related  # still searched
    # "Agricultural Producers’ Cooperatives (APCs)": the plural of the acronym
    assert understand(shipped_index, "What were APCs?").searched == "What were Agricultural Producers’ Cooperatives?"
    # "state owned industries (SOEs)" does not spell SOE: left as typed
    assert understand(shipped_index, "What were SOEs?").searched == "What were SOEs?"


def test_a_british_spelling_is_read_as_the_american_sources_write_that_word(tmp_path):
    from tutor.build import build
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "algorithms.txt").write_text("Algorithms\n\nAnalyzing a particular algorithm falls under the field of "
                                           "analysis of algorithms. The center of the field is time.\n", encoding="utf-8")
    index = build(corpus)
    # "analysed": the sources write "analyzing" (no "analyzed"), not "analysis"
    assert correct_spelling(index, "How is an algorithm analysed at the centre?") == (
        "How is an algorithm analyzed at the center?", (("analysed", "analyzed"), ("centre", "center")))


def test_a_peoples_adjective_and_its_name_find_each_other():
    from types import SimpleNamespace

    from tutor import names
    index = SimpleNamespace(names=frozenset({"franks", "frankish", "england", "english", "italy", "brittany"}), memo={})
    assert names.kin("frankish", index) == ("frank",)
    assert names.kin("franks", index) == ("frankish",)
    assert names.kin("english", index) == ("england",) and names.kin("england", index) == ("english",)
    assert names.kin("italian", index) == ("itali",)
    assert names.kin("british", index) == ()  # "Brittany" adds four letters to "Brit": another place
