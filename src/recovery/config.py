"""One validator for every entry point (Python API, CLI, papermill).

Every bad parameter raises :class:`ParameterError`, whose message is a single line that names the
parameter, the value received and the allowed range, e.g.::

    invalid init_scale=0.0: must be a finite number > 0

The CLI turns it into exit status 2 with exactly that line; notebooks call the same functions in their
first cell, so papermill runs fail with the same message.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any


class ParameterError(ValueError):
    """A parameter outside its allowed range; the message is one line naming both."""

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"invalid {name}={shown}: {allowed}")
        self.name = name
        self.value = value
        self.allowed = allowed


class PlaceError(ValueError):
    """A folder the run must write to (output, cache) that does not exist and cannot be created, or is not
    writable; raised before any computation. One line naming the option or variable and the path."""

    def __init__(self, what: str, path: Any, why: str) -> None:
        super().__init__(f"cannot use {what} {path}: {why}")
        self.what = what
        self.path = path


class WriteError(OSError):
    """A result, cache entry, figure or ``result.json`` that could not be written (full disk, file-size limit,
    permissions). One line saying what and where; nothing partial is left behind."""

    def __init__(self, what: str, path: Any, cause: BaseException) -> None:
        reason = getattr(cause, "strerror", None) or str(cause)
        super().__init__(f"could not write {what} {path}: {reason}")
        self.reason = reason
        self.what = what
        self.path = path


class ResourceError(ValueError):
    """A run refused up front because its estimated memory exceeds what the machine has available."""


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``; bools, floats with fractions and strings are rejected."""
    allowed = f"must be an integer >= {low}" + (f" and <= {high}" if high is not None else "")
    if isinstance(value, bool):
        raise ParameterError(name, value, allowed)
    if isinstance(value, numbers.Integral):
        out = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer():
        out = int(value)
    elif isinstance(value, str):
        try:
            out = int(value.strip())
        except ValueError:
            raise ParameterError(name, value, allowed) from None
    else:
        raise ParameterError(name, value, allowed)
    if out < low or (high is not None and out > high):
        raise ParameterError(name, value, allowed)
    return out


def check_float(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in the given interval (open or closed at each end)."""
    lo = ("> " if low_open else ">= ") + f"{low:g}" if math.isfinite(low) else ""
    hi = ("< " if high_open else "<= ") + f"{high:g}" if math.isfinite(high) else ""
    bounds = " and ".join(b for b in (lo, hi) if b)
    allowed = "must be a finite number" + (f" {bounds}" if bounds else "")
    if isinstance(value, bool):
        raise ParameterError(name, value, allowed)
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            raise ParameterError(name, value, allowed) from None
    elif isinstance(value, numbers.Real):
        out = float(value)
    else:
        raise ParameterError(name, value, allowed)
    if not math.isfinite(out):
        raise ParameterError(name, value, allowed)
    if out < low or (low_open and out == low) or out > high or (high_open and out == high):
        raise ParameterError(name, value, allowed)
    return out


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` as a bool: True/False, 1/0 or the strings true/false/yes/no/1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise ParameterError(name, value, "must be true or false")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise ParameterError(name, value, "must be one of " + ", ".join(options))
    return value


def check_float_list(
    name: str, values: Any, low: float = -math.inf, *, high: float = math.inf, low_open: bool = False,
    min_len: int = 1, max_len: int | None = None, distinct: bool = False,
) -> tuple[float, ...]:
    """Validate a list of ``min_len`` to ``max_len`` finite floats, each in ``[low, high]`` (``low`` excluded
    when ``low_open``), pairwise different when ``distinct``. Returned in the order given.

    A string is split on commas and spaces (``"1e-4,1e-8"``), as the CLI passes it."""
    if max_len == min_len:
        allowed = f"must be a list of exactly {min_len} numbers"
    else:
        allowed = f"must be a list of at least {min_len}" + (f" and at most {max_len}" if max_len else "") + " numbers"
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        if isinstance(values, str):
            values = [v for v in values.replace(",", " ").split() if v]
        else:
            raise ParameterError(name, values, allowed)
    if len(values) < min_len or (max_len is not None and len(values) > max_len):
        raise ParameterError(name, values, allowed)
    out = tuple(check_float(f"{name}[{i}]", v, low, high, low_open=low_open) for i, v in enumerate(values))
    if distinct and len(set(out)) != len(out):
        raise ParameterError(name, values, "must not repeat a value")
    return out


def check_window(name: str, values: Any, low: float = 0.0) -> tuple[float, float]:
    """Two numbers ``lo < hi``, both ``> low`` (a fitting window in time or loss)."""
    w = check_float_list(name, values, low, low_open=True, min_len=2, max_len=2)
    if not w[0] < w[1]:
        raise ParameterError(name, values, "must be two numbers lo < hi")
    return w[0], w[1]


def _split(values: Any) -> Any:
    """The CLI passes lists as strings: ``"2,3 4"`` -> ``["2", "3", "4"]``; a lone int becomes a list."""
    if isinstance(values, str):
        return [v for v in values.replace(",", " ").split() if v]
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        return [values]
    return values


def check_int_list(
    name: str, values: Any, low: int, high: int, *, min_len: int = 1, max_len: int = 50
) -> tuple[int, ...]:
    """Distinct integers in ``[low, high]``, sorted ascending (``"2,3,4"`` from the CLI is split)."""
    allowed = f"must be a list of {min_len} to {max_len} distinct integers >= {low} and <= {high}"
    values = _split(values)
    if isinstance(values, (bytes, dict)) or not isinstance(values, Sequence) or not min_len <= len(values) <= max_len:
        raise ParameterError(name, values, allowed)
    out = [check_int(f"{name}[{i}]", v, low, high) for i, v in enumerate(values)]
    if len(set(out)) != len(out):
        raise ParameterError(name, values, allowed)
    return tuple(sorted(out))


def check_choice_list(name: str, values: Any, choices: Sequence[str]) -> tuple[str, ...]:
    """Distinct entries of ``choices``, returned in the order of ``choices`` (``"even,gaussian"`` is split)."""
    allowed = "must be a non-empty list of distinct values among " + ", ".join(choices)
    values = _split(values)
    if isinstance(values, (bytes, dict)) or not isinstance(values, Sequence) or not 1 <= len(values) <= len(choices):
        raise ParameterError(name, values, allowed)
    got = [check_choice(f"{name}[{i}]", v, choices) for i, v in enumerate(values)]
    if len(set(got)) != len(got):
        raise ParameterError(name, values, allowed)
    return tuple(c for c in choices if c in got)


class UserConfig:
    """Mixin for the frozen dataclass ``Config`` of every figure: building from loosely typed user values and
    listing the parameters (the same behaviour for the Python API, the CLI and papermill)."""

    @classmethod
    def from_user(cls, **kw: Any) -> Any:
        """Build from loosely typed values (CLI strings, papermill numbers); ``None`` means the default.
        An unknown name is an error that lists the allowed ones."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for k, v in kw.items():
            if k not in names:
                raise ParameterError(k, v, "unknown parameter; allowed: " + ", ".join(sorted(names)))
        return cls(**{k: v for k, v in kw.items() if v is not None})

    def params(self) -> dict[str, Any]:
        """Every parameter, JSON-able (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}  # type: ignore[call-overload]
