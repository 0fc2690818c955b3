"""The single validator (recovery.config): good values pass and are normalized, bad ones raise a one-line
ParameterError (a ValueError) naming the parameter and its allowed range."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from recovery.config import (
    Invalid,
    ParameterError,
    Spec,
    UserConfig,
    check_bool,
    check_choice,
    check_float,
    check_float_list,
    check_int,
    largest_first,
    like,
    spec,
    spec_of,
)
from recovery.figures import available, get


def assert_one_line_error(excinfo, name: str, allowed: str) -> None:
    err = excinfo.value
    msg = str(err)
    assert isinstance(err, ValueError)
    assert "\n" not in msg and "\r" not in msg
    assert msg.startswith(f"invalid {name}=")
    assert allowed in msg
    assert err.name == name and err.allowed == allowed


# ---------------------------------------------------------------------------------------------- check_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (1, 1), (10, 10), (np.int64(5), 5), (4.0, 4), ("7", 7), (" 8 ", 8)],
)
def test_check_int_accepts_and_normalizes(value, expected):
    out = check_int("n_samples", value, 1, 10)
    assert out == expected and type(out) is int


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        np.bool_(True),
        math.nan,
        math.inf,
        -math.inf,
        3.5,
        "abc",
        "3.5",
        "",
        "nan",
        None,
        [3],
        0,
        -1,
        11,
        "11",
        "1\n2",
    ],
)
def test_check_int_rejects(value):
    with pytest.raises(ParameterError) as excinfo:
        check_int("n_samples", value, 1, 10)
    assert_one_line_error(excinfo, "n_samples", "must be an integer >= 1 and <= 10")


def test_check_int_without_upper_bound():
    assert check_int("data_seed", 10**12, 0) == 10**12
    with pytest.raises(ParameterError) as excinfo:
        check_int("data_seed", -1, 0)
    assert_one_line_error(excinfo, "data_seed", "must be an integer >= 0")
    assert "<=" not in str(excinfo.value)


# -------------------------------------------------------------------------------------------- check_float


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e-20, 1e-20),
        (0.5, 0.5),
        (1, 1.0),
        (np.float64(0.25), 0.25),
        ("1e-8", 1e-8),
        (" 0.75 ", 0.75),
        (1.0, 1.0),
    ],
)
def test_check_float_accepts_and_normalizes(value, expected):
    out = check_float("init_scale", value, 0.0, 1.0, low_open=True)
    assert out == expected and type(out) is float


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        math.nan,
        math.inf,
        -math.inf,
        "nan",
        "inf",
        "-inf",
        "abc",
        "",
        None,
        [0.5],
        0.0,
        -1e-300,
        -1.0,
        1.0000001,
        "0",
    ],
)
def test_check_float_rejects(value):
    with pytest.raises(ParameterError) as excinfo:
        check_float("init_scale", value, 0.0, 1.0, low_open=True)
    assert_one_line_error(excinfo, "init_scale", "must be a finite number > 0 and <= 1")


def test_check_float_open_and_closed_ends():
    # closed lower end: 0 allowed; open upper end: 1 excluded
    assert check_float("frac", 0.0, 0.0, 1.0, high_open=True) == 0.0
    with pytest.raises(ParameterError) as excinfo:
        check_float("frac", 1.0, 0.0, 1.0, high_open=True)
    assert_one_line_error(excinfo, "frac", "must be a finite number >= 0 and < 1")
    with pytest.raises(ParameterError) as excinfo:
        check_float("frac", -0.1, 0.0, 1.0, high_open=True)
    assert_one_line_error(excinfo, "frac", "must be a finite number >= 0 and < 1")


def test_check_float_unbounded_still_rejects_non_finite():
    assert check_float("target_a", -1e300) == -1e300
    for bad in (math.nan, math.inf, True):
        with pytest.raises(ParameterError) as excinfo:
            check_float("target_a", bad)
        assert_one_line_error(excinfo, "target_a", "must be a finite number")
        assert ">" not in str(excinfo.value) and "<" not in str(excinfo.value)


def test_error_message_truncates_long_values_and_stays_one_line():
    value = "x\n" * 200
    with pytest.raises(ParameterError) as excinfo:
        check_float("t_max", value, 0.0, low_open=True)
    msg = str(excinfo.value)
    assert "\n" not in msg
    assert len(msg) < 150
    assert excinfo.value.value == value  # the original value is kept on the exception


# ------------------------------------------------------------------------------------------- check_choice


def test_check_choice():
    assert check_choice("activation", "tanh", ("tanh", "rational")) == "tanh"
    assert check_choice("activation", "rational", iter(["tanh", "rational"])) == "rational"
    for bad in ("relu", "Tanh", " tanh", "", None, 1, ["tanh"]):
        with pytest.raises(ParameterError) as excinfo:
            check_choice("activation", bad, ("tanh", "rational"))
        assert_one_line_error(excinfo, "activation", "must be one of tanh, rational")


# --------------------------------------------------------------------------------------- check_float_list


@pytest.mark.parametrize(
    "value",
    [
        [1e-8, 1e-6, 1e-4],
        (1e-8, 1e-6, 1e-4),
        "1e-8, 1e-6 1e-4",
        "1e-8,1e-6,1e-4",
        ["1e-8", 1e-6, np.float64(1e-4)],
    ],
)
def test_check_float_list_accepts(value):
    out = check_float_list("scales", value, 0.0, low_open=True)
    assert out == (1e-8, 1e-6, 1e-4)
    assert isinstance(out, tuple) and all(type(v) is float for v in out)


@pytest.mark.parametrize(
    ("value", "bad_index"),
    [
        ([1e-8, 0.0], 1),
        ([math.nan], 0),
        ([1e-8, 1e-6, "x"], 2),
        ("1e-8 -1", 1),
        ([True, 1.0], 0),
        ([1.0, math.inf], 1),
    ],
)
def test_check_float_list_names_the_bad_entry(value, bad_index):
    with pytest.raises(ParameterError) as excinfo:
        check_float_list("scales", value, 0.0, low_open=True)
    assert_one_line_error(excinfo, f"scales[{bad_index}]", "must be a finite number > 0")


@pytest.mark.parametrize("value", [[], "", " , ", 1e-8, None, b"1e-8"])
def test_check_float_list_rejects_empty_and_non_lists(value):
    with pytest.raises(ParameterError) as excinfo:
        check_float_list("scales", value, 0.0, low_open=True)
    assert_one_line_error(excinfo, "scales", "must be a list of at least 1 numbers")


def test_check_float_list_min_len():
    assert check_float_list("scales", [1.0, 2.0], min_len=2) == (1.0, 2.0)
    with pytest.raises(ParameterError) as excinfo:
        check_float_list("scales", [1.0], min_len=2)
    assert_one_line_error(excinfo, "scales", "must be a list of at least 2 numbers")


def test_check_float_list_max_len():
    assert check_float_list("target_w", "1, 2", min_len=2, max_len=2) == (1.0, 2.0)
    with pytest.raises(ParameterError) as excinfo:
        check_float_list("target_w", [1.0, 2.0, 3.0], min_len=2, max_len=2)
    assert_one_line_error(excinfo, "target_w", "must be a list of exactly 2 numbers")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("true", True), ("No", False), (" 1 ", True)],
)
def test_check_bool_accepts(value, expected):
    assert check_bool("data_per_trial", value) is expected


@pytest.mark.parametrize("value", [2, -1, 0.5, "maybe", None, float("nan")])
def test_check_bool_rejects(value):
    with pytest.raises(ParameterError) as excinfo:
        check_bool("data_per_trial", value)
    assert_one_line_error(excinfo, "data_per_trial", "must be true or false")


# ------------------------------------------------------------------------------- parameters declared once


@dataclasses.dataclass(frozen=True)
class _Demo(UserConfig):
    scale: float = spec(1e-8, check_float, 0.0, 1.0, low_open=True)
    n: int = spec(3, check_int, 1, 10)
    sizes: tuple[float, ...] = spec(
        (1.0, 2.0), check_float_list, 0.0, low_open=True, then=largest_first, order=-1
    )
    base: float | None = spec(None, check_float, optional=True)
    kind: str = spec("a", check_choice, ("a", "b"))
    free: int = 0  # no spec: not checked by UserConfig

    def validate(self, given):
        if self.n > 5 and self.scale > 0.5:
            raise ParameterError("n", given["n"], f"must be <= 5 when scale={self.scale:g}")


def test_spec_fields_are_checked_coerced_and_normalized():
    c = _Demo.from_user(scale="0.25", n=4.0, sizes="1,3 2", base="2", kind="b", free="anything")
    assert (c.scale, c.n, c.sizes, c.base, c.kind, c.free) == (0.25, 4, (3.0, 2.0, 1.0), 2.0, "b", "anything")
    assert type(c.n) is int and _Demo().base is None and _Demo().sizes == (2.0, 1.0)
    assert c.params()["sizes"] == [3.0, 2.0, 1.0]


def test_spec_order_then_declaration_order_picks_the_first_bad_parameter():
    with pytest.raises(ParameterError) as excinfo:
        _Demo(scale=0.0, n=0, sizes=[])  # sizes has order -1: checked first
    assert excinfo.value.name == "sizes"
    with pytest.raises(ParameterError) as excinfo:
        _Demo(scale=0.0, n=0)
    assert excinfo.value.name == "scale"
    with pytest.raises(ParameterError) as excinfo:
        _Demo(n="7", scale=0.75)  # the cross-parameter hook reports the value as given
    assert str(excinfo.value) == "invalid n='7': must be <= 5 when scale=0.75"


def test_then_may_reject_with_invalid():
    def distinct(v):
        """must be distinct"""
        if len(set(v)) != len(v):
            raise Invalid("must be distinct")
        return v

    sp = Spec(check_float_list, (0.0,), {"low_open": True}, then=distinct)
    assert sp.validate("scales", "1 2") == (1.0, 2.0)
    with pytest.raises(ParameterError) as excinfo:
        sp.validate("scales", "1,1")
    assert str(excinfo.value) == "invalid scales='1,1': must be distinct"
    assert sp.describe().endswith("; must be distinct")


def test_like_reuses_a_declaration_with_its_own_default():
    @dataclasses.dataclass(frozen=True)
    class Other(UserConfig):
        scale: float = like(_Demo, "scale", 0.5)
        n: int = like(_Demo, "n")

    assert (Other().scale, Other().n) == (0.5, 3)
    assert spec_of(Other, "scale") is spec_of(_Demo, "scale")
    with pytest.raises(ParameterError, match="invalid scale=2: must be a finite number > 0 and <= 1"):
        Other(scale=2)


def test_a_config_with_its_own_post_init_still_validates():
    @dataclasses.dataclass(frozen=True)
    class OldStyle(UserConfig):
        seeds: int = 3

        def __post_init__(self) -> None:
            object.__setattr__(self, "seeds", check_int("seeds", self.seeds, 1, 10))

    assert OldStyle.from_user(seeds="4").seeds == 4
    with pytest.raises(ParameterError, match="invalid seeds=0"):
        OldStyle(seeds=0)
    assert OldStyle.parameter_help() == [("seeds", 3, "")]


def test_parameter_help_lists_defaults_and_ranges_in_declaration_order():
    rows = _Demo.parameter_help()
    assert [r[0] for r in rows] == ["scale", "n", "sizes", "base", "kind", "free"]
    assert rows[0] == ("scale", 1e-8, "must be a finite number > 0 and <= 1")
    assert (
        rows[2][2] == "must be a list of at least 1 numbers, each a finite number > 0; stored largest first"
    )
    assert rows[3][2] == "must be a finite number (or none)" and rows[5][2] == ""


@pytest.mark.parametrize("figure", available())
def test_every_parameter_of_every_figure_declares_its_range_once(figure):
    """Every Config field has a spec, and the range it shows (params, --help) is the text its check raises."""
    Config = get(figure).Config
    for f in dataclasses.fields(Config):
        assert "spec" in f.metadata, f"{figure}.{f.name} has no spec: declare it with recovery.config.spec"
        sp = f.metadata["spec"]
        with pytest.raises(ParameterError) as excinfo:
            sp.validate(f.name, object())
        assert sp.describe().startswith(excinfo.value.allowed), (figure, f.name)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if default is None and sp.optional:  # unset by default: derived from the other parameters (validate)
            assert sp.validate(f.name, None) is None
        else:
            assert sp.validate(f.name, default) == getattr(
                Config(), f.name
            )  # the default passes its own check
