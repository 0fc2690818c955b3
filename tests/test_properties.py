"""Property-based tests (hypothesis) of bad input: whatever garbage reaches a parameter through the Python
API, the CLI or papermill, the answer is one clear line naming the parameter and its allowed range, never a
traceback or a hang, and nothing already in the cache changes."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import papermill as pm
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recovery import cli
from recovery.config import ParameterError
from recovery.figures import available, get

NB = Path(__file__).resolve().parent.parent / "notebooks"

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            0,
            -1,
            0.0,
            -0.0,
            -1e-8,
            math.nan,
            math.inf,
            -math.inf,
            10**12,
            1e300,
            2**63,
            "",
            " ",
            "nan",
            "inf",
            "-1",
            "1e999",
            "relu",
            "NaN",
            "1,2,3",
            "[]",
            "None",
            "0x10",
        ]
    ),
    st.text(max_size=12),
    st.lists(st.floats(allow_nan=True), max_size=3),
)
FIELDS = [(name, f.name) for name in available() for f in dataclasses.fields(get(name).Config)]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("figure, field", FIELDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=GARBAGE)
def test_api_accepts_or_names_the_parameter(figure, field, value):
    Config = get(figure).Config
    try:
        Config.from_user(**{field: value})
    except ParameterError as e:
        msg = str(e)
        assert "\n" not in msg and msg.startswith("invalid ") and ": " in msg
        # the error names the parameter, or (a constraint between two parameters, e.g. check_rtol < rtol) names
        # the other one and states this one's value in the allowed range
        assert e.name.split("[")[0] == field or e.name.startswith(field) or f" {field}=" in msg, (field, msg)


@pytest.mark.parametrize("figure", available())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.data(), value=GARBAGE.filter(lambda v: v is not None).map(str))
def test_cli_rejects_bad_values_with_one_line_and_leaves_the_cache_alone(
    figure, field, value, tmp_path_factory, capsys, monkeypatch
):
    name = field.draw(st.sampled_from([f.name for f in dataclasses.fields(get(figure).Config)]))
    try:
        get(figure).Config.from_user(**{name: value})
        assume(False)  # a valid value would start a real run: only invalid ones are fed to the CLI
    except ParameterError:
        pass
    # a cache of this test's own, holding an entry (the session's cache is shared with another worker that may
    # write to it meanwhile)
    cache = tmp_path_factory.getbasetemp() / "cli-bad-values-cache"
    cache.mkdir(exist_ok=True)
    (cache / "an-entry.npz").write_bytes(b"kept as it is")
    before = _snapshot(cache)
    out = tmp_path_factory.mktemp("o") / "out"
    monkeypatch.setenv("RECOVERY_CACHE_DIR", str(cache))  # the same folder for every example
    code = cli.main(["run", figure, f"--{name.replace('_', '-')}", value, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("recovery: error: invalid "), err
    assert name in err[0]
    assert not out.exists()
    assert _snapshot(cache) == before


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.sampled_from([0, -3, 2.5, "many", math.nan, 10**9, [1, 2], "4O0"]))
def test_papermill_rejects_bad_values_with_the_same_line(value, tmp_path_factory):
    out = tmp_path_factory.mktemp("pm") / "bad.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(
            str(NB / "fig3_convergence_sets.ipynb"),
            str(out),
            cwd=str(NB),
            progress_bar=False,
            parameters={"seeds": value},
        )
    assert e.value.ename == "ParameterError"
    assert e.value.evalue.startswith("invalid seeds=") and "must be an integer >= 1" in e.value.evalue
    assert "\n" not in e.value.evalue
