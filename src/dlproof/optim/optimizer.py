"""Base class of the first-order optimizers (``torch.optim.Optimizer``'s interface).

An optimizer holds **param groups**: a list of dicts, each with a ``"params"`` list and its own
hyper-parameters (``lr``, ``weight_decay``, ...; missing keys are filled from the defaults), and a
**per-parameter state** dict (momentum buffers, moment estimates, step counts). A parameter is any
object with a ``.data`` numpy array (updated *in place*) and a ``.grad`` numpy array or ``None``
(parameters whose ``.grad`` is ``None`` are skipped, as in PyTorch).

Subclasses implement :meth:`_update(p, grad, state, group)`, which reads ``grad`` (a numpy array,
already negated when ``maximize=True``) and writes ``p.data`` in place.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["Optimizer"]


class _ParamState(Mapping):
    """Read view ``{parameter: state dict}`` over an optimizer's id-keyed state."""

    def __init__(self, opt: Optimizer):
        self._opt = opt

    def __getitem__(self, p: Any) -> dict[str, Any]:
        try:
            return self._opt._state[id(p)]
        except KeyError:
            raise KeyError("this parameter has no optimizer state yet") from None

    def __iter__(self):
        return (p for p in self._opt._all_params() if id(p) in self._opt._state)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Optimizer:
    """Param groups + per-parameter state + ``zero_grad`` / ``step`` / ``state_dict``."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._state: dict[int, dict[str, Any]] = {}
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups and state
    def add_param_group(self, group: dict[str, Any]) -> None:
        """Append a group ``{"params": [...], **hyper}``; unspecified hyper-parameters take the
        optimizer's defaults. A parameter may belong to one group only."""
        group = dict(group)
        params = group["params"]
        params = [params] if hasattr(params, "data") else list(params)
        group["params"] = params
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not hasattr(p, "data") or not hasattr(p, "grad"):
                raise TypeError(f"optimizer parameters need .data and .grad, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one parameter group")
            seen.add(id(p))
        self.param_groups.append(group)

    def state_for(self, p: Any) -> dict[str, Any]:
        """The mutable state dict of parameter ``p`` (created empty on first use)."""
        return self._state.setdefault(id(p), {})

    @property
    def state(self) -> _ParamState:
        """Per-parameter state, looked up by the parameter object as in PyTorch:
        ``optimizer.state[p]["exp_avg"]`` (iterating yields the parameters that have state)."""
        return _ParamState(self)

    def _all_params(self) -> list[Any]:
        return [p for g in self.param_groups for p in g["params"]]

    # ------------------------------------------------------------------ the training API
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients: ``p.grad = None`` (default) or fill with zeros."""
        for p in self._all_params():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad[...] = 0.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient.

        ``closure`` (optional) re-evaluates the model and returns the loss; it is called first
        and its value is returned."""
        loss = None
        if closure is not None:
            loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = np.asarray(p.grad)
                if group.get("maximize", False):
                    grad = -grad
                self._update(p, grad, self.state_for(p), group)
        return loss

    def _update(self, p: Any, grad: np.ndarray, state: dict[str, Any], group: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array copy}}, "param_groups": [{..., "params": [index]}]}``
        with parameters replaced by their position, as PyTorch does."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = []
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {index[pid]: copy.deepcopy(s) for pid, s in self._state.items() if pid in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (same group layout)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"state_dict has {len(groups)} param groups, optimizer has {len(self.param_groups)}"
            )
        for saved, mine in zip(groups, self.param_groups):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(
                    f"a param group has {len(saved['params'])} params in the state_dict "
                    f"but {len(mine['params'])} in the optimizer"
                )
        params = self._all_params()
        self._state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            restored = copy.deepcopy(s)
            for k, v in restored.items():
                if isinstance(v, np.ndarray) and v.shape != np.shape(p.data):
                    raise ValueError(
                        f"state '{k}' of parameter {i} has shape {v.shape}, "
                        f"parameter has shape {np.shape(p.data)}"
                    )
            self._state[id(p)] = restored
        for saved, mine in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)
