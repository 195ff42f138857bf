"""Normalization of the regularized_autoencoder short answers."""
from __future__ import annotations

import pytest

from problems.regularized_autoencoder import normalize


@pytest.mark.parametrize("value, count", [
    (2, 2), ("2", 2), (" 2 ", 2), ("two", 2), ("Two.", 2), ("2 layers", 2), ("2 linear layers", 2), (2.0, 2),
    (3, 3), ("one", 1), ("1 layer", 1),
])
def test_layer_count_reads_numbers_and_words(value, count):
    assert normalize.layer_count(value) == count


@pytest.mark.parametrize("value", [True, 2.5, "", "a few", "2 or 3", None, [2]])
def test_layer_count_rejects_what_is_not_a_count(value):
    assert normalize.layer_count(value) is None


@pytest.mark.parametrize("value", ["nn.MSELoss", "MSELoss", "torch.nn.MSELoss", "torch.nn.MSELoss()", " mseloss ",
                                   "nn.MSELoss(reduction='sum')", "MSE", "mean squared error", "`nn.MSELoss`"])
def test_mse_spellings(value):
    assert normalize.loss_name(value) == "mseloss"


@pytest.mark.parametrize("value, key", [
    ("nn.L1Loss", "l1loss"), ("L1", "l1loss"), ("CrossEntropyLoss", "crossentropyloss"),
    ("torch.nn.CrossEntropyLoss()", "crossentropyloss"), ("Huber", None), (3, None),
])
def test_other_losses(value, key):
    assert normalize.loss_name(value) == key


@pytest.mark.parametrize("text, option", [
    ("Weight Decay", "weight decay"), ("weight_decay", "weight decay"), ("weight-decay", "weight decay"),
    ("L2 regularization", "weight decay"), ("SGD optimizer", "sgd optimizer"), ("SGD", "sgd optimizer"),
    ("torch.optim.SGD", "sgd optimizer"), ("sgd_optimiser", "sgd optimizer"), ("Dropout", "dropout"),
    ("nn.Dropout", "dropout"), ("Layer Norm", "layer norm"), ("nn.LayerNorm", "layer norm"),
    ("Batch Normalization", "batch norm"), ("BatchNorm1d", "batch norm"), ("Adam", None), ("", None),
])
def test_option_names(text, option):
    assert normalize.option_name(text) == option


@pytest.mark.parametrize("value, verdict", [
    ("yes", True), ("Yes.", True), ("YES, because the penalty balances the factors", True), ("y", True),
    (True, True), ("no", False), ("No, it does not", False), (False, False), ("maybe", None), ("", None), (1, None),
])
def test_yes_no(value, verdict):
    assert normalize.yes_no(value) is verdict


@pytest.mark.parametrize("text, option", [
    ("I think weight decay", "weight decay"), ("SGD is needed", "sgd optimizer"),
    ("weight decay and SGD", None), ("nothing", None),
])
def test_option_names_inside_phrases(text, option):
    assert normalize.option_name(text) == option
