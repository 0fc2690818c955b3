"""Phase diagram: consensus and boundaries (closed cases), the Config validator and grid, a real reduced run
with its symmetry checks, the notebook and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recovery.config import ParameterError
from recovery.core.outcomes import Outcome
from recovery.figures import phase

NB = Path(__file__).resolve().parent.parent / "notebooks"
S, Q1, Q2, NM = (
    int(Outcome.SPURIOUS),
    int(Outcome.RECOVERED_Q1),
    int(Outcome.RECOVERED_Q2),
    int(Outcome.NEAR_MISS),
)
REDUCED = {
    "n_values": [2, 3, 4, 5],
    "c_points": 7,
    "seeds": 1,
    "scales": [1e-8],
    "t_max": 1e8,
    "mirror_every": 3,
}


def test_consensus_and_segments_with_geometric_midpoint_boundaries():
    o = np.array([[Q2, Q2], [Q2, Q1], [Q1, Q1]])
    assert phase.consensus(o).tolist() == [Q2, phase.MIXED, Q1]
    c = np.array([0.1, 0.2, 0.4, 0.8, 1.0])
    segs = phase.segments(c, np.array([NM, Q2, Q2, S, Q1]))
    assert [(g["set"], g["c_first"], g["c_last"]) for g in segs] == [
        ("near_miss", 0.1, 0.1),
        ("recovered_Q2", 0.2, 0.4),
        ("spurious_interpolant", 0.8, 0.8),
        ("recovered_Q1", 1.0, 1.0),
    ]
    assert segs[0]["boundary_low"] is None and segs[1]["boundary_low"] == pytest.approx(np.sqrt(0.02))
    assert segs[-1]["boundary_high"] is None
    on = phase.q1_onset(segs)
    assert on["exists"] and on["only_at_end"] and on["c_first"] == 1.0  # Q1 only at the symmetric point
    assert phase.windows(segs, Q2) == [[pytest.approx(np.sqrt(0.02)), pytest.approx(np.sqrt(0.32))]]
    on2 = phase.q1_onset(phase.segments(c, np.array([Q2, Q2, Q2, Q1, Q1])))
    assert not on2["only_at_end"] and on2["boundary"] == pytest.approx(np.sqrt(0.32))
    assert not phase.q1_onset(phase.segments(c, np.full(5, S)))["exists"]


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"c_points": 1}, "c_points"),
        ({"c_min": 0.5, "c_max": 0.2}, "c_max"),
        ({"scales": [1e-4, 0]}, "scales[1]"),
        ({"scales": "1e-4,1e-4"}, "scales"),
        ({"mirror_every": -1}, "mirror_every"),
        ({"design": "cubic"}, "design"),
        ({"seeds": 0}, "seeds"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_config_rejects_bad_values_with_one_line(kw, name):
    with pytest.raises(ParameterError) as e:
        phase.Config.from_user(**kw)
    assert str(e.value).startswith(f"invalid {name}=") and "\n" not in str(e.value)


def test_grid_hits_its_ends_exactly_and_lists_every_cell_once():
    cfg = phase.Config.from_user(n_values="3,2", c_points="9", scales="1e-8,1e-2", seeds=2, mirror_every=4)
    c = cfg.c_grid()
    assert c[0] == 0.01 and c[-1] == 1.0 and np.all(np.diff(np.log(c)) > 0)
    assert cfg.scales == (1e-2, 1e-8) and cfg.n_values == (2, 3)
    cells = cfg.cells()
    M = len(cfg.mirror_c())
    assert M == 3 and len(cells) == 2 * 2 * 9 + 2 * 2 * M
    mirror = cells[36:]
    assert [m.c_ratio_base for m in mirror[: 2 * M]] == [-v for v in cfg.mirror_c()] + [
        1 / v for v in cfg.mirror_c()
    ]
    assert all(m.init_scale == 1e-8 for m in mirror)


def test_reduced_run_zero_measure_point_separation_window_and_symmetries():
    cfg = phase.Config.from_user(**REDUCED)
    s, a = phase.run(cfg, progress=False)
    onset = s["q1_onset"]["1e-08"]
    assert not onset["2"]["exists"]
    assert onset["3"]["only_at_end"] and onset["4"]["only_at_end"]  # Q1 only at c = 1 for n = 3, 4
    assert s["q2_windows"]["1e-08"]["3"] == [] and len(s["q2_windows"]["1e-08"]["4"]) == 1
    exact, passes = s["fraction_recovered_exact"]["1e-08"], s["fraction_passes_threshold"]["1e-08"]
    assert exact["5"] == 1.0 and exact["2"] == 0.0
    assert all(passes[n] >= exact[n] for n in exact)  # exact recovery implies passing the paper's threshold
    m = s["mirror"]
    assert m["neg_same_outcome_fraction"] == 1.0 and m["neg_max_relative_error_difference"] < 1e-6
    assert m["inv_same_outcome_fraction"] == 1.0 and m["prescribed_ratio_error"] < 1e-10
    assert a["consensus"].shape == (1, 4, 7) and a["neg_outcome"].shape == (4, 3, 1)
    assert np.allclose(a["C"][0, 2, :, 0, 1] / a["C"][0, 2, :, 0, 0], a["c_grid"], rtol=1e-12)
    for key in ("figure", "paper", "parameters", "package_version", "code_hash", "runtime_s", "headline"):
        assert key in s
    json.dumps(s)


def test_cli_run_phase_writes_the_boundaries(tmp_path):
    out = tmp_path / "phase"
    cmd = "run phase --n-values 2,3,4,5 --c-points 7 --seeds 1 --scales 1e-8 --t-max 1e8 --mirror-every 3"
    cmd += " --no-progress"
    r = subprocess.run(
        [sys.executable, "-m", "recovery", *cmd.split(), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "result.json").read_text())
    assert s["q1_onset"]["1e-08"]["3"]["only_at_end"] is True
    assert s["q1_onset"]["1e-08"]["5"]["boundary"] is not None
    assert [g["set"] for g in s["segments"]["1e-08"]["2"]] == ["spurious_interpolant"]
    assert s["mirror"]["neg_same_outcome_fraction"] == 1.0
    assert (out / "figure.png").stat().st_size > 10_000 and "Q1 onset" in r.stdout
