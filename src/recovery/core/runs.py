"""The configuration of a group of gradient-flow trials (:class:`RunConfig`), importable without torch: a page's
parameters are checked (``recovery run fig3 --seeds 0``: one line, status 2) before the numerical modules load.
:mod:`recovery.sweeps` runs and caches these configurations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import (
    UserConfig,
    check_bool,
    check_choice,
    check_float,
    check_float_list,
    check_int,
    spec,
)
from .names import ACTIVATION_NAMES, DESIGNS

if TYPE_CHECKING:
    import torch

    from .data import DataSpec, SingleNeuronTarget
    from .dynamics import FlowConfig
    from .models import Data

__all__ = ["RunConfig"]


@dataclass(frozen=True)
class RunConfig(UserConfig):
    """One group of gradient-flow trials of arXiv:2405.13787 that share data, model and initialization scale.

    Defaults are the paper's Example 1 / Figure 3 setting: tanh, width 2, target tanh(x + 1), n = 6 evenly
    spaced points on [−2, 2], s = 1e-8, 400 seeds. ``t_max`` is the horizon at which limits are classified.

    * ``data_per_trial``: trial with seed k draws its own inputs with data seed ``data_seed + k`` (Gaussian
      design; an average over data sets), instead of all trials sharing data seed ``data_seed``.
    * ``c_ratio_base`` / ``c_ratio_slope``: if ``c_ratio_base`` is set, neuron k ≥ 2 is rescaled so that
      C_k/C_1 = base + slope·(k − 1) (Figures 2 and 5 fix these ratios across seeds and scales).
    * ``target_*``: the single-neuron target a*·σ*(w*ᵀ(x, 1)); σ* may differ from the network's activation.
    """

    seeds: int = spec(400, check_int, 1, 1_000_000)
    first_seed: int = spec(0, check_int, 0)
    init_scale: float = spec(1e-8, check_float, 0.0, 1e3, low_open=True)
    n_samples: int = spec(6, check_int, 1, 100_000)
    design: str = spec("even", check_choice, DESIGNS)
    data_seed: int = spec(0, check_int, 0)
    data_per_trial: bool = spec(False, check_bool)
    width: int = spec(2, check_int, 1, 100_000)
    activation: str = spec("tanh", check_choice, ACTIVATION_NAMES)
    target_a: float = spec(1.0, check_float)
    target_w: tuple[float, float] = spec((1.0, 1.0), check_float_list, min_len=2, max_len=2)
    target_activation: str = spec("tanh", check_choice, ACTIVATION_NAMES)
    c_ratio_base: float | None = spec(None, check_float, optional=True)
    c_ratio_slope: float = spec(0.0, check_float)
    t_max: float = spec(1e7, check_float, 0.0, 1e12, low_open=True)
    rtol: float = spec(1e-4, check_float, 0.0, 0.1, low_open=True)
    checkpoints_per_decade: int = spec(20, check_int, 1, 1000)

    def target(self) -> SingleNeuronTarget:
        from .data import SingleNeuronTarget

        return SingleNeuronTarget(a=self.target_a, w=self.target_w, activation=self.target_activation)

    def data_spec(self, seed: int | None = None) -> DataSpec:
        """The data of the trial with init seed ``seed`` (the shared data when ``data_per_trial`` is off)."""
        from .data import DataSpec

        ds = self.data_seed + (seed if (self.data_per_trial and seed is not None) else 0)
        return DataSpec(design=self.design, n_samples=self.n_samples, data_seed=ds, target=self.target())

    def data_specs(self) -> list[DataSpec]:
        return [self.data_spec(s) for s in self.seed_list()]

    def flow(self) -> FlowConfig:
        from .dynamics import FlowConfig

        return FlowConfig(
            t_max=self.t_max, rtol=self.rtol, checkpoints_per_decade=self.checkpoints_per_decade
        )

    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def initial_parameters(self, data: Data) -> torch.Tensor:
        """θ₀ = s·θ̂ per seed (drawn on the CPU), rescaled to the prescribed C ratios if any (Theorem 1)."""
        import torch

        from .models import initial_parameters
        from .theory import rescale_to_ratios

        theta0 = initial_parameters(self.seed_list(), self.width, 2, self.init_scale)
        if self.c_ratio_base is None:
            return theta0
        ratios = self.c_ratio_base + self.c_ratio_slope * torch.arange(1, self.width, dtype=torch.float64)
        return rescale_to_ratios(theta0, data, ratios)
