"""count_parameters and the Trainer loop."""

from __future__ import annotations

import numpy as np
import pytest

import dlproof.nn as nn
from dlproof import optim
from dlproof.nn import losses
from dlproof.optim import lr_scheduler
from dlproof.training import (
    EarlyStopping,
    NonFiniteLossError,
    Trainer,
    accuracy,
    count_parameters,
)


@pytest.mark.torch
def test_count_parameters_matches_torch(torch):
    ours = nn.Sequential(
        nn.Conv2d(3, 8, 3, groups=1), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8 * 4 * 4, 10)
    )
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10)
    )
    assert count_parameters(ours) == sum(p.numel() for p in ref.parameters())
    lstm, tl = nn.LSTM(5, 7, num_layers=2, bidirectional=True), torch.nn.LSTM(5, 7, 2, bidirectional=True)
    assert count_parameters(lstm) == sum(p.numel() for p in tl.parameters())
    assert count_parameters(nn.Linear(3, 4)) == 3 * 4 + 4
    shared = nn.Linear(2, 2)
    assert count_parameters(nn.Sequential(shared, shared)) == 6
    frozen = nn.Linear(2, 2).requires_grad_(False)
    assert count_parameters(frozen) == 0 and count_parameters(frozen, trainable_only=False) == 6


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    X = centers[y] + 0.6 * rng.normal(size=(n, 2))
    return X, y


def _mlp(seed=0):
    return nn.Sequential(nn.Linear(2, 16, generator=seed), nn.ReLU(), nn.Linear(16, 3, generator=seed + 1))


def test_trainer_learns_and_records_history():
    X, y = _blobs()
    model = _mlp()
    seen = []
    trainer = Trainer(
        model,
        optim.Adam(model.parameters(), lr=0.02),
        losses.cross_entropy,
        epochs=15,
        batch_size=32,
        generator=0,
        metrics={"accuracy": accuracy},
        callback=seen.append,
    )
    hist = trainer.fit(X[:180], y[:180], X[180:], y[180:])
    assert len(hist.epochs) == 15 and [r["epoch"] for r in seen] == list(range(1, 16))
    assert hist["train_loss"][-1] < 0.3 * hist["train_loss"][0]
    assert hist["val_accuracy"][-1] > 0.95
    assert len(hist.step_losses) == 15 * 6  # ceil(180 / 32) batches per epoch
    ev = trainer.evaluate(X[180:], y[180:])
    assert ev["accuracy"] == hist["val_accuracy"][-1]
    assert model.training  # predict restored the mode


def test_trainer_is_reproducible_with_the_same_seed():
    X, y = _blobs()
    runs = []
    for _ in range(2):
        model = _mlp()
        Trainer(
            model,
            optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
            losses.cross_entropy,
            epochs=3,
            generator=5,
        ).fit(X, y)
        runs.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_batches_are_a_permutation_sliced():
    trainer = Trainer(
        _mlp(), optim.SGD(_mlp().parameters(), lr=0.1), losses.cross_entropy, batch_size=7, generator=3
    )
    batches = list(trainer._batches(30, shuffle=True))
    assert [len(b) for b in batches] == [7, 7, 7, 7, 2]
    assert sorted(np.concatenate(batches)) == list(range(30))


def test_early_stopping_restores_best_epoch():
    X, y = _blobs()
    Xv, yv = X[180:], (y[180:] + 1) % 3  # wrong validation labels: val loss gets worse
    model = _mlp()
    trainer = Trainer(
        model,
        optim.Adam(model.parameters(), lr=0.05),
        losses.cross_entropy,
        epochs=50,
        generator=0,
        early_stopping=EarlyStopping("val_loss", patience=3, restore_best=True),
    )
    hist = trainer.fit(X[:180], y[:180], Xv, yv)
    assert hist.stopped_early and len(hist.epochs) == hist.best_epoch + 3
    best = min(hist["val_loss"])
    assert hist["val_loss"][hist.best_epoch - 1] == best
    assert trainer.evaluate(Xv, yv)["loss"] == pytest.approx(best, rel=1e-5)


def test_scheduler_is_stepped_per_epoch():
    X, y = _blobs(64)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    hist = Trainer(
        model, opt, losses.cross_entropy, epochs=4, scheduler=lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    ).fit(X, y)
    assert hist["lr"] == [0.1, 0.05, 0.025, 0.0125]


def test_non_finite_loss_names_epoch_and_step_and_keeps_parameters():
    X, y = _blobs(64)
    X = X.copy()
    X[40] = np.nan  # row 40 lands in the second batch without shuffling
    model = _mlp()
    before = [p.data.copy() for p in model.parameters()]
    trainer = Trainer(
        model, optim.SGD(model.parameters(), lr=0.1), losses.cross_entropy, batch_size=32, shuffle=False
    )
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1, step 2") as err:
        trainer.fit(X, y)
    assert err.value.epoch == 1 and err.value.step == 2
    # the first (finite) step updated the parameters; the NaN one did not poison them
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    assert any(not np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_clip_grad_norm_and_input_errors():
    X, y = _blobs(64)
    model = _mlp()
    Trainer(
        model, optim.SGD(model.parameters(), lr=0.1), losses.cross_entropy, epochs=1, clip_grad_norm=1e-3
    ).fit(X, y)
    with pytest.raises(ValueError, match="rows"):
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), losses.cross_entropy).fit(X, y[:5])
    with pytest.raises(ValueError, match="validation data"):
        Trainer(
            model, optim.SGD(model.parameters(), lr=0.1), losses.cross_entropy, early_stopping=EarlyStopping()
        ).fit(X, y)


def test_accuracy_helper():
    assert accuracy(np.array([[0.1, 0.9], [2.0, 1.0]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([0.5, -1.0, 2.0]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
