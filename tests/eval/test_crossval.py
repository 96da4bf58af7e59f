"""eval/crossval.py: every question is decided by a model fitted without its fold."""

import random

import pytest

from rag.confidence import QueryFeatures


def _features(n: int, seed: int) -> tuple[list[QueryFeatures], list[bool]]:
    rng = random.Random(seed)
    feats, labels = [], []
    for i in range(n):
        answerable = i % 4 != 0
        cov = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.2, 0.7)
        feats.append(QueryFeatures(rng.uniform(0.7, 0.9), rng.uniform(0, 0.1), cov, rng.uniform(0, 1)))
        labels.append(answerable)
    return feats, labels


def test_each_fold_model_is_fitted_without_its_own_questions():
    pytest.importorskip("sklearn")
    from eval.calibrate import MAX_FALSE_DECLINE, choose_threshold, cross_validated
    from eval.crossval import fold_models
    from rag.confidence import ConfidenceModel

    feats, labels = _features(80, seed=1)
    sets = ["a.jsonl"] * 40 + ["b.jsonl"] * 40
    fold_of, models = fold_models(feats, labels, sets, folds=4)
    assert len(models) == 4 and sorted(set(fold_of)) == [0, 1, 2, 3]
    for k, model in enumerate(models):
        train = [i for i in range(80) if fold_of[i] != k]
        tf, tl, ts = [feats[i] for i in train], [labels[i] for i in train], [sets[i] for i in train]
        refit = ConfidenceModel.fit(tf, tl, "x")
        assert model.weights == pytest.approx(refit.weights)  # the same training data: the other folds
        # the threshold from an inner cross-validation of the other folds only
        assert model.threshold == round(choose_threshold(cross_validated(tf, tl, 4), tl, ts, MAX_FALSE_DECLINE), 4)
    # a question's fold model differs from the one fitted on everything (it did not see that fold)
    everything = ConfidenceModel.fit(feats, labels, "all")
    assert any(m.weights != pytest.approx(everything.weights) for m in models)


def test_only_a_calibration_set_is_cross_validated(tmp_path, capsys):
    from eval.crossval import main

    other = tmp_path / "mine.jsonl"
    other.write_text('{"id": "q1", "question": "东莞的目标？", "evidence": [], "answer_keys": []}\n')
    assert main(["--dataset", str(other), "--out", str(tmp_path / "out")]) == 2
    assert "not a calibration set" in capsys.readouterr().err
