"""Years, figures and dates read as a sentence gives them, and compared (``tutor.figures``)."""

from __future__ import annotations

from tutor.figures import facts, other_day, same_figure, shown


def test_first_and_second_are_ordinals_after_the_or_a_possessive():
    assert facts("Europe's first pay-TV platform")[1] == {"1"}
    assert facts("it was the second pay-TV platform")[1] == {"2"}
    assert facts("BSkyB first supplied Sky Travel") == (set(), set())
    assert facts("a second later") == (set(), set())


def test_numbers_in_words_fractions_and_ordinals_read_as_figures():
    assert facts("some six hundred thousand furnaces")[1] == facts("some 600,000 furnaces")[1] == {"600000"}
    assert facts("about a third of them")[1] == facts("33.3 per cent of them")[1] == {"33%"}
    assert facts("one in four peasants")[1] == facts("a quarter of the peasants")[1] == {"25%"}
    assert facts("twice the size")[1] == {"2"} and facts("four times as big")[1] == {"4"}
    assert facts("the Second Five Year Plan (1958-62)")[0] == {"1958", "1962"}
    assert facts("one of the causes") == (set(), set())
    # A range is one figure however it is written; "and" joins two numbers, but for "hundred and five".
    assert facts("between 15 and 45 million deaths")[1] == facts("15 to 45 million deaths")[1] \
        == facts("between fifteen and forty-five million deaths")[1] == {"15to45000000"}
    assert facts("between 1959 and 1961")[0] == {"1959", "1961"}
    assert facts("two hundred and five men")[1] == {"205"} and facts("fifteen and sixteen")[1] == {"15", "16"}


def test_a_figure_inside_a_range_is_the_figure_and_figures_read_as_written():
    (claimed,), (stated,) = facts("about 45 million people died")[1], facts("estimates of 15 to 45 million deaths")[1]
    assert same_figure(claimed, stated) and same_figure("20000000", stated)
    assert not same_figure("60000000", stated) and not same_figure("10000000", stated)
    assert [shown(f) for f in (claimed, stated, "3393000", "33%")] == ["45 million", "15 to 45 million", "3,393,000", "33%"]


def test_a_figure_given_roughly_is_the_figure():
    (claimed,), (stated,) = facts("almost 3.4 million users")[1], facts("3,393,000 users")[1]
    assert same_figure(claimed, stated)
    assert same_figure("33%", "36%") and not same_figure("12", "8") and not same_figure("1000000", "3000000")


def test_figures_are_read_by_kind_money_days_and_short_scales():
    assert facts("The Sky+ HD box cost £299 at launch")[1] == {"£299"}
    assert not same_figure("£299", "299") and same_figure("£300", "£299")
    # A day of the month is part of a date, not a figure to compare with one.
    assert facts("launched on 22 May 2006") == facts("launched on May 22, 2006") == ({"2006"}, set())
    assert facts("Sky's £4.2bn bid")[1] == facts("a bid of £4,200 million")[1] == {"£4200000000"}
    assert facts("ITV's £262m bid")[1] == {"£262000000"} and facts("the 100m race")[1] == {"100"}
    assert facts("a £4.5m grant")[1] == {"£4500000"}
    assert shown("£4200000000") == "£4.2 billion" and shown("28.5°") == "28.5°" and shown("5350000") == "5.35 million"
    # "the first thirty days" are thirty days, and "a hundred thousand" is one number.
    assert (facts("More than a hundred thousand were sold within the first thirty days")[1]
            == facts("over 100,000 were sold within 30 days")[1] == {"100000", "30"})


def test_a_figure_written_to_the_unit_is_not_another_close_to_it():
    assert not same_figure("912", "911") and not same_figure("4421", "4412")
    assert same_figure("4400", "4412")  # ("about 4,400": rounded)
    assert not same_figure("10", "6")  # ("ten hours' sleep" is not "six hours'")


def test_another_day_of_a_month_is_told_apart():
    assert other_day("launched on 2 October 1998", "launched on 1 October 1998") == ("2 October", "1 October")
    assert other_day("on October 1, 1998", "on 1 October 1998") is None
    assert other_day("on 1st of October 1998", "in October 1998") is None  # (no day to differ from)
