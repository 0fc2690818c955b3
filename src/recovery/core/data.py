"""Training and test data for the paper's experiments (Example 1 of arXiv:2405.13787).

Inputs are scalars written with the bias trick x = (x, 1) (``dim = 2``), either evenly spaced on
[−half_width, half_width] or drawn i.i.d. from N(0, 1) with a per-trial data seed. Targets are single neurons
f*(x) = a* σ(w*ᵀx) or any callable on the raw scalar input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import ParameterError, check_choice, check_float, check_int
from .models import Activation, Data, get_activation
from .names import DESIGNS


@dataclass(frozen=True)
class SingleNeuronTarget:
    """f*(x) = a* σ(w*ᵀ(x, 1)); the paper's Example 1 is a* = 1, w* = (1, 1), σ = tanh, i.e. tanh(x + 1)."""

    a: float = 1.0
    w: tuple[float, float] = (1.0, 1.0)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", check_float("target_a", self.a))
        if isinstance(self.w, (str, bytes)) or not hasattr(self.w, "__len__") or len(self.w) != 2:
            raise ParameterError("target_w", self.w, "must have 2 entries (slope, bias)")
        object.__setattr__(self, "w", tuple(check_float(f"target_w[{i}]", v) for i, v in enumerate(self.w)))
        get_activation(self.activation)

    @property
    def neuron(self) -> np.ndarray:
        """(a*, w*) as one vector of length 1 + dim."""
        return np.array([self.a, *self.w], dtype=float)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        act: Activation = get_activation(self.activation)
        return self.a * act.fn(self.w[0] * x + self.w[1])


Target = Callable[[torch.Tensor], torch.Tensor]


def with_bias(x: torch.Tensor) -> torch.Tensor:
    """Scalar inputs ``(..., n)`` → ``(..., n, 2)`` with a constant 1 appended (the bias trick)."""
    return torch.stack([x, torch.ones_like(x)], dim=-1)


def sample_inputs(design: str, n: int, *, data_seed: int = 0, half_width: float = 2.0) -> torch.Tensor:
    """Scalar training inputs ``(n,)`` in float64: ``even`` = linspace(−h, h, n), ``gaussian`` = N(0, 1)."""
    check_choice("design", design, DESIGNS)
    n = check_int("n_samples", n, 1, 100_000)
    half_width = check_float("half_width", half_width, 0.0, low_open=True)
    if design == "even":
        return (
            torch.linspace(-half_width, half_width, n, dtype=torch.float64)
            if n > 1
            else torch.zeros(1, dtype=torch.float64)
        )
    gen = torch.Generator().manual_seed(check_int("data_seed", data_seed, 0))
    return torch.randn(n, generator=gen, dtype=torch.float64)


def generalization_inputs(
    design: str, *, n_test: int = 1000, half_width: float = 2.0, seed: int = 12345
) -> torch.Tensor:
    """The test set of the generalization error: a 1000-point grid on [−h, h] for evenly spaced data,
    1000 N(0, 1) draws (fixed seed) for Gaussian data."""
    check_choice("design", design, DESIGNS)
    n_test = check_int("n_test", n_test, 1, 1_000_000)
    half_width = check_float("half_width", half_width, 0.0, low_open=True)
    if design == "even":
        return torch.linspace(-half_width, half_width, n_test, dtype=torch.float64)
    return torch.randn(n_test, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@dataclass(frozen=True)
class DataSpec:
    """Where the samples come from: design, sample size, interval and data seed."""

    design: str = "even"
    n_samples: int = 6
    half_width: float = 2.0
    data_seed: int = 0
    n_test: int = 1000
    target: SingleNeuronTarget = field(default_factory=SingleNeuronTarget)

    def __post_init__(self) -> None:
        check_choice("design", self.design, DESIGNS)
        object.__setattr__(self, "n_samples", check_int("n_samples", self.n_samples, 1, 100_000))
        object.__setattr__(self, "half_width", check_float("half_width", self.half_width, 0.0, low_open=True))
        object.__setattr__(self, "data_seed", check_int("data_seed", self.data_seed, 0))
        object.__setattr__(self, "n_test", check_int("n_test", self.n_test, 1, 1_000_000))

    def train_inputs(self) -> torch.Tensor:
        return sample_inputs(
            self.design, self.n_samples, data_seed=self.data_seed, half_width=self.half_width
        )

    def eval_inputs(self) -> torch.Tensor:
        return generalization_inputs(self.design, n_test=self.n_test, half_width=self.half_width)


def batch_data(specs: list[DataSpec]) -> Data:
    """Stack the training sets of several trials into one padded :class:`Data` (mask marks real samples)."""
    n_max = max(s.n_samples for s in specs)
    B = len(specs)
    X = torch.zeros(B, n_max, 2, dtype=torch.float64)
    y = torch.zeros(B, n_max, dtype=torch.float64)
    mask = torch.zeros(B, n_max, dtype=torch.float64)
    cache: dict[DataSpec, tuple[torch.Tensor, torch.Tensor]] = {}
    for b, s in enumerate(specs):
        if s not in cache:
            x = s.train_inputs()
            cache[s] = (with_bias(x), s.target(x))
        xb, yb = cache[s]
        X[b, : s.n_samples] = xb
        y[b, : s.n_samples] = yb
        mask[b, : s.n_samples] = 1.0
    return Data(X, y, mask)
