"""Training utilities: parameter counting and a small, explicit training loop.

:class:`Trainer` runs mini-batch gradient descent on NumPy arrays: each epoch draws a
permutation from its ``numpy.random.Generator`` and slices batches out of it (no Python loop
over examples), calls ``loss_fn(model(x_batch), y_batch)``, backpropagates, optionally clips
the gradient norm, and steps the optimizer. It records a metric history, steps an LR scheduler,
stops early on a validation metric, reports progress through a callback, and raises
:class:`NonFiniteLossError` (naming the epoch and step) as soon as the loss is NaN or inf —
before the bad gradient touches the parameters.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlproof.engine import Tensor, no_grad
from dlproof.nn.init import resolve_generator
from dlproof.nn.module import Module
from dlproof.optim.clip import clip_grad_norm_
from dlproof.optim.lr_scheduler import ReduceLROnPlateau

__all__ = [
    "count_parameters",
    "accuracy",
    "NonFiniteLossError",
    "EarlyStopping",
    "History",
    "Trainer",
]


def count_parameters(model: Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters (each shared parameter counted once). E.g. Linear(in, out)
    has ``in * out + out``; Conv2d ``out * in/groups * kh * kw + out``; LSTM layer
    ``4H (I + H) + 8H``. ``trainable_only`` skips parameters with ``requires_grad=False``."""
    return int(sum(p.data.size for p in model.parameters() if p.requires_grad or not trainable_only))


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows whose arg-max class (output (N, C)) equals the integer target (N,);
    for a single logit column (N,) or (N, 1), ``output > 0`` is compared with the 0/1 target."""
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        pred = (output.reshape(-1) > 0).astype(int)
        return float(np.mean(pred == target.reshape(-1).astype(int)))
    return float(np.mean(np.argmax(output, axis=1) == target))


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or inf; the message names the epoch and the step."""

    def __init__(self, value: float, epoch: int, step: int, batch_size: int):
        self.value, self.epoch, self.step = value, epoch, step
        super().__init__(
            f"training loss is {value} at epoch {epoch}, step {step} (batch of {batch_size} "
            "examples); the parameters were not updated with it. Typical causes: learning rate "
            "too high, log of 0, division by a zero variance."
        )


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs (``mode`` 'min' for losses, 'max' for accuracies); ``restore_best`` reloads the
    parameters of the best epoch at the end."""

    monitor: str = "val_loss"
    patience: int = 5
    mode: str = "min"
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self):
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")

    def improved(self, value: float, best: float | None) -> bool:
        if best is None:
            return True
        if self.mode == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta


@dataclass
class History:
    """``epochs``: one dict per epoch (``epoch``, ``train_loss``, ``lr``, ``val_loss`` and the
    metrics when validation data is given); ``step_losses``: every mini-batch loss;
    ``best_epoch`` / ``stopped_early`` for early stopping."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list[float]:
        """The series of one metric over epochs, e.g. ``history['val_loss']``."""
        return [e[key] for e in self.epochs if key in e]


class Trainer:
    """Mini-batch training loop; see the module docstring.

    ``loss_fn(output, y_batch) -> scalar Tensor``; ``metrics``: name -> ``fn(output_array,
    y_array) -> float`` evaluated (eval mode, no grad) on the training and validation sets
    after each epoch, recorded as ``train_<name>`` / ``val_<name>``. ``callback(record)`` is
    called after each epoch with that epoch's dict."""

    def __init__(
        self,
        model: Module,
        optimizer: Any,
        loss_fn: Callable[[Tensor, Any], Tensor],
        *,
        epochs: int = 10,
        batch_size: int = 32,
        shuffle: bool = True,
        generator: np.random.Generator | int | None = None,
        metrics: dict[str, Callable[[np.ndarray, np.ndarray], float]] | None = None,
        scheduler: Any = None,
        early_stopping: EarlyStopping | None = None,
        clip_grad_norm: float | None = None,
        callback: Callable[[dict[str, float]], Any] | None = None,
        dtype: Any = np.float32,
    ):
        if epochs < 1 or batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.epochs, self.batch_size, self.shuffle = int(epochs), int(batch_size), shuffle
        self.generator = resolve_generator(generator)
        self.metrics = dict(metrics or {})
        self.scheduler, self.early_stopping = scheduler, early_stopping
        self.clip_grad_norm, self.callback = clip_grad_norm, callback
        self.dtype = np.dtype(dtype)

    # ------------------------------------------------------------------ helpers
    def _x(self, x: np.ndarray) -> Tensor:
        x = np.asarray(x)
        return Tensor(x.astype(self.dtype) if x.dtype.kind == "f" else x)

    def _y(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        return y.astype(self.dtype) if y.dtype.kind == "f" else y

    def _batches(self, n: int, shuffle: bool):
        order = self.generator.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            yield order[start : start + self.batch_size]

    def predict(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Model outputs for all rows of X in eval mode without recording a graph (the
        model's previous train/eval mode is restored)."""
        was_training = self.model.training
        self.model.eval()
        bs = batch_size or max(self.batch_size, 256)
        outs = []
        try:
            with no_grad():
                for start in range(0, len(X), bs):
                    outs.append(np.asarray(self.model(self._x(X[start : start + bs])).data))
        finally:
            self.model.train(was_training)
        return np.concatenate(outs, axis=0)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """``{'loss': ..., <metric>: ...}`` on (X, y), computed from :meth:`predict`."""
        out = self.predict(X)
        with no_grad():
            loss = float(self.loss_fn(Tensor(out), self._y(y)).data)
        result = {"loss": loss}
        for name, fn in self.metrics.items():
            result[name] = float(fn(out, np.asarray(y)))
        return result

    # ------------------------------------------------------------------ the loop
    def fit(
        self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None
    ) -> History:
        """Train for ``epochs`` epochs (or until early stopping); returns the History."""
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        es = self.early_stopping
        if es is not None and X_val is None and es.monitor.startswith("val_"):
            raise ValueError(f"early stopping on {es.monitor!r} needs validation data")
        history = History()
        best, best_state, bad_epochs = None, None, 0
        params = list(self.model.parameters())
        for epoch in range(1, self.epochs + 1):
            self.model.train()
            total, seen = 0.0, 0
            for step, idx in enumerate(self._batches(len(X), self.shuffle), start=1):
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(self._x(X[idx])), self._y(y[idx]))
                value = float(loss.data)
                if not math.isfinite(value):
                    raise NonFiniteLossError(value, epoch, step, len(idx))
                loss.backward()
                if self.clip_grad_norm is not None:
                    clip_grad_norm_(params, self.clip_grad_norm)
                self.optimizer.step()
                history.step_losses.append(value)
                total += value * len(idx)
                seen += len(idx)
            record: dict[str, float] = {
                "epoch": epoch,
                "train_loss": total / seen,
                "lr": float(self.optimizer.param_groups[0]["lr"]),
            }
            if self.metrics:
                for name, v in self.evaluate(X, y).items():
                    if name != "loss":
                        record[f"train_{name}"] = v
            if X_val is not None:
                for name, v in self.evaluate(X_val, y_val).items():
                    record[f"val_{name}"] = v
            history.epochs.append(record)
            if self.scheduler is not None:
                if isinstance(self.scheduler, ReduceLROnPlateau):
                    self.scheduler.step(record.get("val_loss", record["train_loss"]))
                else:
                    self.scheduler.step()
            if self.callback is not None:
                self.callback(dict(record))
            if es is not None:
                if es.monitor not in record:
                    raise KeyError(
                        f"early stopping monitors {es.monitor!r}, but the epoch "
                        f"record has only {sorted(record)}"
                    )
                value = record[es.monitor]
                if es.improved(value, best):
                    best, bad_epochs, history.best_epoch = value, 0, epoch
                    if es.restore_best:
                        best_state = copy.deepcopy(self.model.state_dict())
                else:
                    bad_epochs += 1
                    if bad_epochs >= es.patience:
                        history.stopped_early = True
                        break
        if es is not None and es.restore_best and best_state is not None:
            self.model.load_state_dict(best_state)
        return history
