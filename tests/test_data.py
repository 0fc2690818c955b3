"""Training and test data (recovery.core.data): designs, seeding, validation, padding of mixed sample sizes, and
the Example-1 target tanh(x + 1)."""

from __future__ import annotations

import math

import pytest
import torch

from recovery.config import ParameterError
from recovery.core.data import (
    DataSpec,
    SingleNeuronTarget,
    batch_data,
    generalization_inputs,
    sample_inputs,
    with_bias,
)
from recovery.core.models import get_activation, loss_and_grad

# ---------------------------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 11])
def test_even_inputs_are_linspace(n):
    x = sample_inputs("even", n)
    assert x.dtype == torch.float64 and x.shape == (n,)
    expected = torch.tensor([-2.0 + 4.0 * i / (n - 1) for i in range(n)], dtype=torch.float64)
    torch.testing.assert_close(x, expected, rtol=0, atol=1e-15)
    torch.testing.assert_close(x, -x.flip(0), rtol=0, atol=1e-15)  # symmetric about 0
    wide = sample_inputs("even", n, half_width=3.0, data_seed=7)  # the data seed is irrelevant here
    torch.testing.assert_close(wide, 1.5 * x, rtol=0, atol=1e-15)


def test_even_single_sample_lies_in_the_interval():
    x = sample_inputs("even", 1)
    assert x.shape == (1,) and -2.0 <= x.item() <= 2.0


def test_gaussian_inputs_reproducible_per_seed_and_different_across_seeds():
    a = sample_inputs("gaussian", 50, data_seed=3)
    b = sample_inputs("gaussian", 50, data_seed=3)
    c = sample_inputs("gaussian", 50, data_seed=4)
    assert a.dtype == torch.float64 and a.shape == (50,)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(a, c)
    # independent of the global RNG state
    torch.manual_seed(0)
    torch.testing.assert_close(sample_inputs("gaussian", 50, data_seed=3), a, rtol=0, atol=0)
    # roughly standard normal (2000 draws, loose bounds)
    big = sample_inputs("gaussian", 2000, data_seed=11)
    assert abs(big.mean().item()) < 0.1 and abs(big.std().item() - 1.0) < 0.1


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(design="uniform", n=6), "design"),
        (dict(design="even", n=0), "n_samples"),
        (dict(design="even", n=-1), "n_samples"),
        (dict(design="even", n=2.5), "n_samples"),
        (dict(design="even", n=True), "n_samples"),
        (dict(design="even", n=6, half_width=0.0), "half_width"),
        (dict(design="even", n=6, half_width=-2.0), "half_width"),
        (dict(design="even", n=6, half_width=math.nan), "half_width"),
        (dict(design="gaussian", n=6, data_seed=-1), "data_seed"),
    ],
)
def test_sample_inputs_validation(kwargs, name):
    design, n = kwargs.pop("design"), kwargs.pop("n")
    with pytest.raises(ParameterError) as excinfo:
        sample_inputs(design, n, **kwargs)
    assert excinfo.value.name == name
    assert f"invalid {name}=" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_with_bias_appends_ones():
    x = torch.tensor([[-1.0, 0.5], [2.0, 3.0]], dtype=torch.float64)
    X = with_bias(x)
    assert X.shape == (2, 2, 2)
    torch.testing.assert_close(X[..., 0], x, rtol=0, atol=0)
    torch.testing.assert_close(X[..., 1], torch.ones_like(x), rtol=0, atol=0)


def test_generalization_inputs():
    grid = generalization_inputs("even")
    assert grid.shape == (1000,) and grid.dtype == torch.float64
    assert grid[0].item() == -2.0 and grid[-1].item() == 2.0
    step = torch.full((999,), 4.0 / 999, dtype=torch.float64)
    torch.testing.assert_close(grid.diff(), step, rtol=1e-12, atol=0)
    g1 = generalization_inputs("gaussian")
    g2 = generalization_inputs("gaussian")
    torch.testing.assert_close(g1, g2, rtol=0, atol=0)  # a fixed test set
    assert not torch.allclose(g1, generalization_inputs("gaussian", seed=1))
    # DataSpec's test set: the same for every data seed (it is the measure of generalization, not the data)
    torch.testing.assert_close(
        DataSpec(design="gaussian", data_seed=1).eval_inputs(),
        DataSpec(design="gaussian", data_seed=2).eval_inputs(),
        rtol=0,
        atol=0,
    )
    assert DataSpec(n_test=17).eval_inputs().shape == (17,)
    with pytest.raises(ParameterError):
        generalization_inputs("uniform")


def test_generalization_inputs_validates_its_parameters():
    with pytest.raises(ParameterError):
        generalization_inputs("even", n_test=0)
    with pytest.raises(ParameterError):
        generalization_inputs("even", half_width=-1.0)


# ---------------------------------------------------------------------------------------------- DataSpec


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_samples=-1), "n_samples"),
        (dict(n_samples="six"), "n_samples"),
        (dict(design="uniform"), "design"),
        (dict(half_width=0), "half_width"),
        (dict(half_width=math.inf), "half_width"),
        (dict(data_seed=-3), "data_seed"),
        (dict(n_test=0), "n_test"),
    ],
)
def test_dataspec_validation_names_the_parameter(kwargs, name):
    with pytest.raises(ParameterError) as excinfo:
        DataSpec(**kwargs)
    msg = str(excinfo.value)
    assert excinfo.value.name == name and msg.startswith(f"invalid {name}=") and "\n" not in msg
    assert "must be" in msg


def test_dataspec_normalizes_strings_and_is_hashable():
    spec = DataSpec(n_samples="4", half_width="2", data_seed="0")
    assert spec.n_samples == 4 and type(spec.n_samples) is int
    assert spec.half_width == 2.0 and type(spec.half_width) is float
    assert spec == DataSpec(n_samples=4) and hash(spec) == hash(DataSpec(n_samples=4))
    expected = torch.linspace(-2, 2, 4, dtype=torch.float64)
    torch.testing.assert_close(spec.train_inputs(), expected, rtol=0, atol=0)


# ------------------------------------------------------------------------------------------------ target


def test_default_target_is_tanh_x_plus_one():
    t = SingleNeuronTarget()
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)
    torch.testing.assert_close(t(x), torch.tanh(x + 1.0), rtol=0, atol=1e-16)
    assert t.neuron.tolist() == [1.0, 1.0, 1.0]  # (a*, w*) with w* = (slope, bias)
    assert t(x).dtype == torch.float64


def test_custom_target_is_a_single_neuron():
    t = SingleNeuronTarget(a=-0.5, w=(2.0, -1.0), activation="rational")
    x = torch.linspace(-3, 3, 13, dtype=torch.float64)
    u = 2.0 * x - 1.0
    torch.testing.assert_close(t(x), -0.5 * u / (1.0 + u * u), rtol=1e-15, atol=1e-16)
    # it is a width-one network with θ = (a*, w*) evaluated on (x, 1)
    from recovery.core.models import predict

    theta = torch.as_tensor(t.neuron)[None, None, :]
    torch.testing.assert_close(
        predict(theta, with_bias(x), get_activation("rational"))[0], t(x), rtol=1e-15, atol=1e-16
    )


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(a=math.nan), "target_a"),
        (dict(w=(1.0, 1.0, 1.0)), "target_w"),
        (dict(w=(1.0, math.inf)), "target_w[1]"),
        (dict(activation="relu"), "activation"),
    ],
)
def test_target_validation(kwargs, name):
    with pytest.raises(ParameterError) as excinfo:
        SingleNeuronTarget(**kwargs)
    assert excinfo.value.name == name


def test_target_normalizes_validated_strings():
    t = SingleNeuronTarget(a="2", w=("1", "1"))
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    torch.testing.assert_close(t(x), 2.0 * torch.tanh(x + 1.0), rtol=0, atol=1e-15)


def test_batch_data_accepts_target_weights_given_as_a_list():
    spec = DataSpec(n_samples=3, target=SingleNeuronTarget(w=[1.0, 1.0]))
    data = batch_data([spec])
    torch.testing.assert_close(data.y[0], torch.tanh(torch.linspace(-2, 2, 3, dtype=torch.float64) + 1.0))


# -------------------------------------------------------------------------------------------- batch_data


def test_batch_data_pads_and_masks_mixed_sample_sizes():
    specs = [
        DataSpec(n_samples=2),
        DataSpec(n_samples=6),
        DataSpec(design="gaussian", n_samples=3, data_seed=5),
        DataSpec(n_samples=4, target=SingleNeuronTarget(a=2.0, w=(0.5, -1.0))),
        DataSpec(n_samples=2),  # a repeated spec gets the same data
    ]
    data = batch_data(specs)
    assert data.X.shape == (5, 6, 2) and data.y.shape == (5, 6) and data.mask.shape == (5, 6)
    assert data.X.dtype == data.y.dtype == data.mask.dtype == torch.float64
    for b, s in enumerate(specs):
        n = s.n_samples
        x = s.train_inputs()
        torch.testing.assert_close(data.mask[b], (torch.arange(6) < n).double(), rtol=0, atol=0)
        torch.testing.assert_close(data.X[b, :n, 0], x, rtol=0, atol=0)
        torch.testing.assert_close(data.X[b, :n, 1], torch.ones(n, dtype=torch.float64), rtol=0, atol=0)
        torch.testing.assert_close(data.y[b, :n], s.target(x), rtol=0, atol=0)
        assert data.X[b, n:].abs().sum().item() == 0.0 and data.y[b, n:].abs().sum().item() == 0.0
    torch.testing.assert_close(
        data.y[3, :4], 2.0 * torch.tanh(0.5 * specs[3].train_inputs() - 1.0), rtol=0, atol=1e-16
    )
    torch.testing.assert_close(data.X[4], data.X[0], rtol=0, atol=0)


def test_padded_batch_gives_the_same_loss_as_each_trial_alone():
    act = get_activation("tanh")
    specs = [DataSpec(n_samples=n) for n in (2, 3, 4, 5, 6)]
    theta = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    loss, grad = loss_and_grad(theta, batch_data(specs), act)
    for b, s in enumerate(specs):
        lb, gb = loss_and_grad(theta[b : b + 1], batch_data([s]), act)
        torch.testing.assert_close(loss[b : b + 1], lb, rtol=1e-14, atol=0)
        torch.testing.assert_close(grad[b : b + 1], gb, rtol=1e-14, atol=1e-15)
