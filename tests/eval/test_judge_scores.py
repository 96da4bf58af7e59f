"""The gray-zone judge's bound: the best split of unanswerable from answerable scores."""

from __future__ import annotations

from eval.judge_scores import choose_bound


def test_the_bound_falls_in_the_middle_of_the_best_gap():
    scores = [(0.80, False), (0.90, False), (0.93, True), (0.97, True), (0.99, True)]
    bound, gain = choose_bound(scores)
    assert 0.90 < bound < 0.93 and gain == 1.0


def test_a_mixed_gap_costs_some_answerable_questions():
    scores = [(0.85, False), (0.88, True), (0.92, False), (0.95, True), (0.98, True)]
    bound, gain = choose_bound(scores)
    assert 0.92 < bound < 0.95  # both unanswerable declined, one of three answerable lost
    assert abs(gain - (1 - 1 / 3)) < 1e-9


def test_shares_weigh_the_two_kinds_equally():
    # declining the one unanswerable question (share 1) is worth losing one of two answerable ones (0.5)
    scores = [(0.5, True), (0.9, False), (0.95, True)]
    bound, gain = choose_bound(scores)
    assert abs(bound - 0.925) < 1e-9 and gain == 0.5


def test_ties_apart_take_one_interval_and_report_the_gain_there():
    # the best gain (0.5) at two cuts with a worse one between: the bound stays in one of them
    scores = [(0.5, False), (0.6, True), (0.7, False), (0.8, True)]
    bound, gain = choose_bound(scores)
    assert gain == 0.5 and (0.5 < bound < 0.6 or 0.7 < bound < 0.8)


def test_no_scores_is_an_error():
    import pytest

    with pytest.raises(ValueError):
        choose_bound([])
