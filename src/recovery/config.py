"""One validator for every entry point (Python API, CLI, papermill).

Every bad parameter raises :class:`ParameterError`, whose message is a single line that names the
parameter, the value received and the allowed range, e.g.::

    invalid init_scale=0.0: must be a finite number > 0

The CLI turns it into exit status 2 with exactly that line; notebooks call the same functions in their
first cell, so papermill runs fail with the same message.

A figure's ``Config`` declares each parameter once, with its check and bounds::

    init_scale: float = spec(1e-8, check_float, 0.0, 1e3, low_open=True)

:class:`UserConfig` checks every such field on construction (in :func:`specs` order) and then calls the
Config's ``validate(given)`` for constraints between parameters; ``python -m recovery params FIGURE`` and
``run FIGURE --help`` show each range with :meth:`Spec.describe`, the same text the check raises.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
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


# The allowed range of each check, as one line: the checks put it in their errors and :func:`describe` shows it
# in ``python -m recovery params FIGURE`` (one text for both).


def _int_allowed(low: int, high: int | None = None) -> str:
    return f"must be an integer >= {low}" + (f" and <= {high}" if high is not None else "")


def _float_allowed(
    low: float = -math.inf, high: float = math.inf, *, low_open: bool = False, high_open: bool = False
) -> str:
    lo = ("> " if low_open else ">= ") + f"{low:g}" if math.isfinite(low) else ""
    hi = ("< " if high_open else "<= ") + f"{high:g}" if math.isfinite(high) else ""
    bounds = " and ".join(b for b in (lo, hi) if b)
    return "must be a finite number" + (f" {bounds}" if bounds else "")


def _bool_allowed() -> str:
    return "must be true or false"


def _choice_allowed(choices: Iterable[str]) -> str:
    return "must be one of " + ", ".join(choices)


def _float_list_allowed(min_len: int = 1, max_len: int | None = None) -> str:
    if max_len == min_len:
        return f"must be a list of exactly {min_len} numbers"
    return (
        f"must be a list of at least {min_len}" + (f" and at most {max_len}" if max_len else "") + " numbers"
    )


_DISTINCT = "must not repeat a value"
_WINDOW = "must be two numbers lo < hi"


def _int_list_allowed(low: int, high: int, *, min_len: int = 1, max_len: int = 50) -> str:
    return f"must be a list of {min_len} to {max_len} distinct integers >= {low} and <= {high}"


def _choice_list_allowed(choices: Sequence[str]) -> str:
    return "must be a non-empty list of distinct values among " + ", ".join(choices)


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
    allowed = _int_allowed(low, high)
    if isinstance(value, bool):
        raise ParameterError(name, value, allowed)
    if isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer()
    ):
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
    allowed = _float_allowed(low, high, low_open=low_open, high_open=high_open)
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
    raise ParameterError(name, value, _bool_allowed())


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise ParameterError(name, value, _choice_allowed(options))
    return value


def check_float_list(
    name: str,
    values: Any,
    low: float = -math.inf,
    *,
    high: float = math.inf,
    low_open: bool = False,
    min_len: int = 1,
    max_len: int | None = None,
    distinct: bool = False,
) -> tuple[float, ...]:
    """Validate a list of ``min_len`` to ``max_len`` finite floats, each in ``[low, high]`` (``low`` excluded
    when ``low_open``), pairwise different when ``distinct``. Returned in the order given.

    A string is split on commas and spaces (``"1e-4,1e-8"``), as the CLI passes it."""
    allowed = _float_list_allowed(min_len, max_len)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        if isinstance(values, str):
            values = [v for v in values.replace(",", " ").split() if v]
        else:
            raise ParameterError(name, values, allowed)
    if len(values) < min_len or (max_len is not None and len(values) > max_len):
        raise ParameterError(name, values, allowed)
    out = tuple(check_float(f"{name}[{i}]", v, low, high, low_open=low_open) for i, v in enumerate(values))
    if distinct and len(set(out)) != len(out):
        raise ParameterError(name, values, _DISTINCT)
    return out


def check_window(name: str, values: Any, low: float = 0.0) -> tuple[float, float]:
    """Two numbers ``lo < hi``, both ``> low`` (a fitting window in time or loss)."""
    w = check_float_list(name, values, low, low_open=True, min_len=2, max_len=2)
    if not w[0] < w[1]:
        raise ParameterError(name, values, _WINDOW)
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
    allowed = _int_list_allowed(low, high, min_len=min_len, max_len=max_len)
    values = _split(values)
    if (
        isinstance(values, (bytes, dict))
        or not isinstance(values, Sequence)
        or not min_len <= len(values) <= max_len
    ):
        raise ParameterError(name, values, allowed)
    out = [check_int(f"{name}[{i}]", v, low, high) for i, v in enumerate(values)]
    if len(set(out)) != len(out):
        raise ParameterError(name, values, allowed)
    return tuple(sorted(out))


def check_choice_list(name: str, values: Any, choices: Sequence[str]) -> tuple[str, ...]:
    """Distinct entries of ``choices``, returned in the order of ``choices`` (``"even,gaussian"`` is split)."""
    allowed = _choice_list_allowed(choices)
    values = _split(values)
    if (
        isinstance(values, (bytes, dict))
        or not isinstance(values, Sequence)
        or not 1 <= len(values) <= len(choices)
    ):
        raise ParameterError(name, values, allowed)
    got = [check_choice(f"{name}[{i}]", v, choices) for i, v in enumerate(values)]
    if len(set(got)) != len(got):
        raise ParameterError(name, values, allowed)
    return tuple(c for c in choices if c in got)


# ---------------------------------------------------------------------------------------------------------
# Parameters declared once: a Config field carries its check and bounds (``spec``), UserConfig validates them all


def _describe_float_list(
    low: float = -math.inf,
    *,
    high: float = math.inf,
    low_open: bool = False,
    min_len: int = 1,
    max_len: int | None = None,
    distinct: bool = False,
) -> str:
    each = _float_allowed(low, high, low_open=low_open).removeprefix("must be ")
    return (
        _float_list_allowed(min_len, max_len) + f", each {each}" + (", no value repeated" if distinct else "")
    )


def _describe_window(low: float = 0.0) -> str:
    return _describe_float_list(low, low_open=True, min_len=2, max_len=2) + ", lo < hi"


_DESCRIBE: dict[Callable[..., Any], Callable[..., str]] = {
    check_int: _int_allowed,
    check_float: _float_allowed,
    check_bool: _bool_allowed,
    check_choice: _choice_allowed,
    check_float_list: _describe_float_list,
    check_window: _describe_window,
    check_int_list: _int_list_allowed,
    check_choice_list: _choice_list_allowed,
}


def describe(check: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The allowed range of ``check(name, value, *args, **kwargs)`` in one line, the text its errors use."""
    return _DESCRIBE[check](*args, **kwargs)


class Invalid(ValueError):
    """Raised by a spec's ``then`` to reject a checked value; the validator reports it as a ParameterError naming
    the parameter and the value as given (the message is this exception's text)."""


def largest_first(values: Sequence[float]) -> tuple[float, ...]:
    """stored largest first"""
    return tuple(sorted(values, reverse=True))


def unique_largest_first(values: Sequence[float]) -> tuple[float, ...]:
    """repeats dropped, stored largest first"""
    return tuple(sorted(set(values), reverse=True))


def ascending(values: Sequence[float]) -> tuple[float, ...]:
    """stored in increasing order"""
    return tuple(sorted(values))


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one Config field is checked: ``check(name, value, *args, **kwargs)`` (one of the ``check_*`` above),
    then ``then`` on the checked value (a normalisation such as :func:`largest_first`; its docstring's first line
    says what it does, and it may raise :class:`Invalid`). ``optional``: ``None`` is allowed (and kept).
    ``order``: fields are checked by increasing ``order``, then in declaration order, so that the first bad
    parameter reported is the one the figure's page documents first."""

    check: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    then: Callable[[Any], Any] | None = None
    optional: bool = False
    order: int = 0

    def validate(self, name: str, value: Any) -> Any:
        """The checked (coerced, normalised) value; a ParameterError naming ``name`` otherwise."""
        if value is None and self.optional:
            return None
        out = self.check(name, value, *self.args, **self.kwargs)
        if self.then is not None:
            try:
                out = self.then(out)
            except Invalid as e:
                raise ParameterError(name, value, str(e)) from None
        return out

    def describe(self) -> str:
        """The allowed values in one line, from the check's own text (e.g. ``must be an integer >= 1``)."""
        text = describe(self.check, *self.args, **self.kwargs)
        if self.optional:
            text += " (or none)"
        note = (self.then.__doc__ or "").strip().splitlines() if self.then is not None else []
        return text + (f"; {note[0]}" if note else "")

    def field(self, default: Any) -> Any:
        """A dataclass field with this spec in its metadata (a mutable default is copied per instance)."""
        meta = {"spec": self}
        if type(default).__hash__ is None:
            return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
        return dataclasses.field(default=default, metadata=meta)


def spec(
    default: Any,
    check: Callable[..., Any],
    *args: Any,
    then: Callable[[Any], Any] | None = None,
    optional: bool = False,
    order: int = 0,
    **kwargs: Any,
) -> Any:
    """A Config field declared with its bounds, e.g. ``init_scale: float = spec(1e-8, check_float, 0.0, 1e3,
    low_open=True)``: :class:`UserConfig` checks it on construction, ``params FIGURE`` shows the range."""
    return Spec(check, args, kwargs, then, optional, order).field(default)


def spec_of(cls: Any, name: str) -> Spec:
    """The spec of field ``name`` of the dataclass ``cls`` (KeyError if it has none)."""
    return {f.name: f for f in dataclasses.fields(cls)}[name].metadata["spec"]  # type: ignore[no-any-return]


def like(cls: Any, name: str, default: Any = dataclasses.MISSING) -> Any:
    """A field checked exactly as field ``name`` of ``cls`` (one declaration of its bounds), with ``cls``'s
    default unless ``default`` is given."""
    if default is dataclasses.MISSING:
        f = {f.name: f for f in dataclasses.fields(cls)}[name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    return spec_of(cls, name).field(default)


def specs(cls: Any) -> list[tuple[str, Spec]]:
    """``(name, spec)`` of every field of ``cls`` that has one, in the order they are checked."""
    declared = [(f.name, f.metadata["spec"]) for f in dataclasses.fields(cls) if "spec" in f.metadata]
    return sorted(declared, key=lambda item: item[1].order)  # stable: declaration order within one order


class UserConfig:
    """Mixin for the frozen dataclass ``Config`` of every figure: validation on construction, building from
    loosely typed user values and listing the parameters (the same behaviour for the Python API, the CLI and
    papermill).

    Every field declared with :func:`spec` is checked (and coerced: CLI strings, papermill ints) on construction,
    in :func:`specs` order; then :meth:`validate` checks the constraints between parameters. A subclass may still
    define its own ``__post_init__`` (calling ``super().__post_init__()`` to keep the spec checks)."""

    def __post_init__(self) -> None:
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        for name, sp in specs(type(self)):
            object.__setattr__(self, name, sp.validate(name, given[name]))
        self.validate(given)

    def validate(self, given: dict[str, Any]) -> None:
        """Constraints between parameters and derived normalisation, run after every field passed its own
        check (``self`` holds the checked values, ``given`` the values as passed, for error messages).
        Nothing by default."""

    @classmethod
    def parameter_help(cls) -> list[tuple[str, Any, str]]:
        """``(name, default, allowed range)`` of every parameter in declaration order (the range is empty for a
        field without a spec)."""
        out = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            out.append((f.name, default, f.metadata["spec"].describe() if "spec" in f.metadata else ""))
        return out

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
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}  # type: ignore[call-overload]
