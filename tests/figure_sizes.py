"""Reduced sizes of every page, shared by the contract tests (tests/test_figure_contract.py) and the per-page
science tests, so that a reduced run is computed once per test session (the results cache is shared).

``REDUCED[name]``: Config parameters (CLI options and notebook parameters alike); ``NOTEBOOK_ONLY[name]``:
parameters of the page's notebook that are not Config fields (extra sliders); ``DIVS[name]``: the ids of the
figures the page must produce; ``BAD[name]``: one bad parameter and the start of its one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

NOTEBOOKS = {
    "fig1": "fig1_scale_sweep",
    "fig2": "fig2_c_ratio_alignment",
    "fig3": "fig3_convergence_sets",
    "fig4": "fig4_gaussian_recovery",
    "fig5": "fig5_wide_network",
    "fig6": "fig6_gaussian_convergence_sets",
    "fig7": "fig7_gaussian_c_ratio_alignment",
    "fig8": "fig8_active_neurons",
    "table1": "table1_branches",
    "thresholds": "thresholds_sample_size",
    "phase": "phase_diagram",
    "theorem1": "theorem1_convergence",
    "hessian": "hessian_geometry",
    "boundary": "boundary_limit",
    "rank_calculator": "related_rank_calculator",
    "completion": "related_completion",
    "geometry": "related_geometry",
    "benign_overfitting": "related_benign_overfitting",
    # a page of the theory chapter with a notebook but no figure and no CLI run (not in recovery.figures.FIGURES)
    "named_results": "named_results",
}

REDUCED: dict[str, dict[str, Any]] = {
    "fig1": {"scales": [10, 1e-4, 1e-8], "n_values": [2, 3, 6], "trials": 6, "t_max": 1e5},
    "fig2": {
        "scales": [1e-3, 1e-6, 1e-9],
        "t_max": 30,
        "rtol": 1e-6,
        "check_rtol": 0,
        "checkpoints_per_decade": 50,
        "scan_scales": [1e-2, 1e-3, 1e-4],
    },
    "fig3": {"seeds": 60, "t_max": 3e4},
    "fig4": {"data_seeds": [0, 4], "n_values": [2, 3, 4, 6], "seeds": 4, "t_max": 1e7},
    "fig5": {
        "scales": [1e-6, 1e-9],
        "width": 40,
        "t_max": 30,
        "rtol": 1e-6,
        "check_rtol": 0,
        "large_scale": 1e-4,
        "checkpoints_per_decade": 100,
    },
    "fig6": {"seeds": 60, "data_seeds": 3, "t_max": 1e6},
    "fig7": {
        "data_seeds": [0, 4],
        "scales": [1e-3, 1e-6, 1e-9],
        "scan_scales": [1e-3, 1e-4],
        "t_max": 1e5,
        "rtol": 1e-6,
        "check_rtol": 0,
        "checkpoints_per_decade": 50,
    },
    "fig8": {
        "width": 60,
        "scales": [1e-8, 1e-10],
        "t_max": 1e4,
        "checkpoints_per_decade": 50,
        "widths": [20, 40],
        "seeds": 3,
        "natural_t_max": 1e4,
    },
    "table1": {
        "n_values": [3, 4, 5],
        "gaussian_seeds": [0],
        "points_per_branch": 1,
        "reference_n": 8,
        "rate_seeds": 8,
        "rate_t_max": 1e5,
        "rate_rtol": 1e-6,
        "q1_time_window": [1e4, 1e5],
        "xcheck_seeds": 0,
    },
    "thresholds": {"designs": ["even", "gaussian"], "n_values": [2, 3, 4, 5], "seeds": 16, "t_max": 1e8},
    "phase": {
        "n_values": [2, 3, 4, 5, 6],
        "c_points": 7,
        "seeds": 1,
        "scales": [1e-4, 1e-8],
        "t_max": 1e8,
        "mirror_every": 3,
    },
    "theorem1": {
        "c_ratios": [0.3, 1.0],
        "seeds": 2,
        "scales": [1e-2, 1e-3, 1e-4],
        "t_max": 10,
        "rtol": 1e-6,
        "check_rtol": 4e-6,
        "checkpoints_per_decade": 30,
        "limit_seeds": 3,
        "limit_t_max": 1e4,
        "limit_rtol": 1e-5,
    },
    "hessian": {
        "n_values": [3, 4, 6],
        "designs": ["even"],
        "points_per_branch": 1,
        "rate_seeds": 10,
        "rate_t_max": 1e5,
        "rate_rtol": 1e-6,
        "q1_time_window": [1e4, 1e5],
    },
    "boundary": {
        "scales": [1e-4, 1e-8],
        "t_min": 1e3,
        "t_max": 1e6,
        "rtol": 1e-4,
        "check_rtol": 1e-5,
        "n_initial": 12,
        "n_refine": 4,
        "rounds": 2,
        "gd_learning_rates": [0.1],
        "gd_epochs": [100, 1000],
        "gd_initial": 8,
        "gd_rounds": 1,
    },
    "rank_calculator": {
        "tanh_widths": [3],
        "tanh_k_max": 2,
        "conv_length": 4,
        "conv_kernel": 2,
        "conv2d_length": 3,
        "conv2d_kernel": 2,
        "mc_ranks": [1],
        "mc_n_values": [6, 7, 12],
        "mc_patterns": 2,
        "mc_t_max": 1e4,
        "tanh_n_values": [2, 6],
        "tanh_seeds": 2,
        "tanh_t_max": 1e4,
        "llr_seeds": 2,
    },
    "completion": {
        "example_scales": [1e-4, 1e-8],
        "example_seeds": 2,
        "target_ranks": [1],
        "n_values": [4, 8, 12],
        "patterns": 2,
        "staircase_scales": [1e-3, 1e-6],
        "t_max": 1e4,
        "nuclear_iters": 800,
        "checkpoints_per_decade": 10,
    },
    "geometry": {
        "n_values": [2, 3, 4],
        "designs": ["positive"],
        "points_per_branch": 1,
        "cloud_samples": 5,
        "rate_starts": 1,
        "dim_samples": 12,
        "dim_nearby": 2,
    },
    "benign_overfitting": {
        "v0_values": [1e-4, 1.0],
        "mu_norms": [0.25, 1.0, 8.0],
        "n_values": [20],
        "d_values": [100],
        "sigma_0_values": [1e-3],
        "fig2b_n_values": [20],
        "fig2b_d_values": [100, 400],
        "seeds": 1,
        "n_test": 500,
    },
    "named_results": {"scales": [1e-4, 1e-7], "t_max": 1e4},
}

NOTEBOOK_ONLY: dict[str, dict[str, Any]] = {
    "fig1": {"show_trials": 4},
    "fig3": {"slider_scales": [1e-4, 1e-8, 1e-10]},
    "fig4": {"slider_scales": [1e-8]},
}

# Pages whose checks need the book's size: at the reduced size the notebook must stop in its checks cell (a
# science check that fails on too short a horizon), after drawing every figure.
CHECKS_NEED_BOOK_SIZE = {"boundary"}  # the edge still moves by more than 1e-3 per decade at t <= 1e6

DIVS: dict[str, tuple[str, ...]] = {
    "fig1": ("fig1-slider-even", "fig1-slider-gaussian", "fig1-error-even", "fig1-caption-layout"),
    "fig2": ("fig2-scale-slider", "fig2-loss-curves"),
    "fig3": ("fig3-scale-slider",),
    "fig4": (
        "fig4-n-slider",
        "fig4-scale-slider",
        "fig4-errors",
        "fig4-error-vs-ratio",
        "fig4-horizon",
        "fig4-3d",
    ),
    "fig5": ("fig5-trial-slider", "fig5-neuron-slider"),
    "fig6": ("fig6-data-slider",),
    "fig7": ("fig7-data-slider", "fig7-gap-vs-scale"),
    "fig8": ("fig8-natural-slider", "fig8-switch-off"),
    "table1": ("table1-separation-slider",),
    "thresholds": (
        "thresholds-fraction-vs-n",
        "thresholds-outcomes",
        "thresholds-ratio-slider",
        "thresholds-fraction-below-eps",
    ),
    "phase": ("phase-heatmap", "phase-slider", "phase-boundaries"),
    "theorem1": ("theorem1-scale-slider", "theorem1-distance"),
    "hessian": ("hessian-spectrum-slider", "hessian-rates"),
    "boundary": ("boundary-horizon", "boundary-scale", "boundary-gd"),
    "rank_calculator": ("rank-calculator-mc-slider", "rank-calculator-llr"),
    "completion": ("completion-staircase",),
    "geometry": ("geometry-branches-3d", "geometry-rates"),
    "benign_overfitting": ("benign-trajectory-slider", "benign-fig2ac", "benign-fig2b"),
    "named_results": (),  # a page of text and checks
}

BAD: dict[str, tuple[str, Any, str]] = {
    "fig1": ("scales", [1e-2, -1.0], "invalid scales[1]=-1.0: must be a finite number > 0"),
    "fig2": ("c_ratio", -1, "invalid c_ratio=-1: must be a finite number > 0 and <= 100"),
    "fig3": ("seeds", -5, "invalid seeds=-5: must be an integer >= 1"),
    "fig4": ("seeds", -5, "invalid seeds=-5: must be an integer >= 1"),
    "fig5": ("active_fraction", 2, "invalid active_fraction=2: must be a finite number > 0 and <= 1"),
    "fig6": ("seeds", 0, "invalid seeds=0: must be an integer >= 2"),
    "fig7": ("data_seeds", "x", "invalid data_seeds[0]='x'"),
    "fig8": ("width", 0, "invalid width=0"),
    "table1": (
        "reference_n",
        3,
        "invalid reference_n=3: must be > every entry of n_values=",
    ),  # then the n_values
    "thresholds": ("seeds", -5, "invalid seeds=-5: must be an integer >= 1"),
    "phase": ("c_points", 1, "invalid c_points=1: must be an integer >= 2 and <= 1000"),
    "theorem1": ("rtol", 0.5, "invalid rtol=0.5: must be a finite number > 0 and <= 0.001"),
    "hessian": ("points_per_branch", 0, "invalid points_per_branch=0: must be an integer >= 1 and <= 50"),
    "boundary": ("rounds", 50, "invalid rounds=50: must be an integer >= 0 and <= 20"),
    "rank_calculator": ("mc_scale", -1, "invalid mc_scale=-1"),
    "completion": ("patterns", 0, "invalid patterns=0"),
    "geometry": ("settings", ["nobias"], "invalid settings[0]='nobias'"),
    "benign_overfitting": ("seeds", 0, "invalid seeds=0: must be an integer >= 1 and <= 20"),
    "named_results": ("seed", -1, "invalid seed=-1: must be an integer >= 0"),
}


def notebook_parameters(name: str) -> dict[str, Any]:
    """The reduced parameters of a page's notebook (Config fields and the notebook's own)."""
    return {**REDUCED[name], **NOTEBOOK_ONLY.get(name, {})}


def cli_options(params: dict[str, Any]) -> list[str]:
    """``{"init_scale": 1e-6, "scales": [1, 2]}`` → ``["--init-scale", "1e-06", "--scales", "1,2"]``."""
    out: list[str] = []
    for k, v in params.items():
        out += ["--" + k.replace("_", "-"), ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)]
    return out


# Every page's checks can fail (tests/test_checks_fail.py): the code slipped in right after the page has computed
# its results, after which the checks cell must stop with an AssertionError.
# page -> code run right after the cell that computes the page's results (the first cell assigning `summary`)
WRONG_INPUT: dict[str, str] = {
    # n = 3 is recovered only approximately: errors of exactly 0 there are impossible
    "fig1": "arrays['even_gen_error'] = np.zeros_like(arrays['even_gen_error'])",
    # a prescribed C2/C1 that was not applied
    "fig2": "arrays['C'] = arrays['C'] * np.array([1.0, 1.01])",
    # shuffled labels: the Q1 seeds no longer form one band around |C1/C2| = 1
    "fig3": (
        "arrays = dict(arrays); arrays['label'] = np.random.default_rng(0).permutation(arrays['label']); "
        "summary = fig3.summarize(cfg, arrays, by_scale, bsum)"
    ),
    # recoveries claimed below the optimistic sample size (n = 2)
    "fig4": "st['recovered'] = st['recovered'].copy(); st['recovered'][:, 0] = True",
    # the prescribed ratios C_i/C_1 perturbed
    "fig5": "arrays['C'] = arrays['C'] * (1 + 1e-3 * np.arange(arrays['C'].shape[-1]))",
    # a band edge on the wrong side of |C1/C2| = 1 on every data set
    "fig6": "[r.__setitem__('threshold_low', 1.1) for r in summary['per_data_seed']]",
    "fig7": "arrays['C'] = arrays['C'] * np.array([1.0, 1.01])",
    # one trial with the complementary set of active neurons
    "fig8": "arrays['active'] = arrays['active'].copy(); arrays['active'][0] = ~arrays['active'][0]",
    # a wrong optimistic sample size (model rank of the target)
    "table1": "summary['optimistic_sample_size'] = 4",
    # every run labelled recovered, although at n = 2 none is near the target
    "thresholds": "st['outcome'] = np.full_like(st['outcome'], int(outcomes.Outcome.RECOVERED_Q1))",
    # recoveries below the optimistic size
    "phase": "st['outcome'] = st['outcome'].copy(); st['outcome'][:, 0] = int(Outcome.RECOVERED_Q2)",
    # limits that depend on the scale
    "theorem1": "summary['limit_same_set_small_scale'] = False",
    # a wrong model rank on the branches
    "hessian": "arrays['geo_model_rank'] = arrays['geo_model_rank'] + 1",
    "rank_calculator": "summary['all_formulas_match'] = False",
    "completion": "summary['disconnected_rank2_fraction'] = 0.5",
    # a wrong model rank on every branch
    "geometry": "[r.__setitem__('model_rank', [99]) for rows in summary['rows'].values() for r in rows]",
    "benign_overfitting": "summary['fraction_interpolating'] = 0.5",
    # Corollary 2's run started with C2 = 0 not exactly
    "named_results": "summary['corollary2_C2_over_C1'] = 1e-3",
}


def with_wrong_input(path: Path, code: str) -> nbformat.NotebookNode:
    """The notebook at ``path``, then its cells after the run cell again (``control``: the checks must pass again on
    the same results), then ``code`` and those cells once more (``wrong``: the checks must fail).

    The run cell is the first code cell (not ``parameters``) that assigns ``summary``; the cells repeated are those
    from there to the checks cell (the one that prints "all checks passed"), without the figure cells
    (``remove-input``), so the wrong input costs no second drawing. Each added cell carries its pass in its
    metadata (``wrong_input_pass``)."""
    nb = nbformat.read(path, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    at = next(
        i for i in code_cells if "summary" in nb.cells[i].source and "parameters" not in _tags(nb.cells[i])
    )
    end = next(i for i in code_cells if "all checks passed" in nb.cells[i].source)
    again = [nb.cells[i] for i in code_cells if at < i <= end and "remove-input" not in _tags(nb.cells[i])]

    def copy(cell: nbformat.NotebookNode, label: str) -> nbformat.NotebookNode:
        new = nbformat.v4.new_code_cell(cell.source)
        new.metadata["wrong_input_pass"] = label
        return new

    wrong = nbformat.v4.new_code_cell("import numpy as np\n" + code + "  # the wrong input")
    wrong.metadata["wrong_input_pass"] = "input"
    nb.cells += [copy(c, "control") for c in again] + [wrong] + [copy(c, "wrong") for c in again]
    return nb


BAD_PARAMETER_LINE = "bad parameter -> "


def with_bad_parameter(nb: nbformat.NotebookNode, name: str, value: Any) -> nbformat.NotebookNode:
    """``nb`` with one cell after its ``parameters`` cell (so after papermill's injected parameters too) that runs
    the page's run cell (the first code cell after ``parameters``) as if ``-p name value`` had been given, and
    prints ``BAD_PARAMETER_LINE`` + the error's type and message (``accepted`` if none); the parameter is then
    restored, so the page goes on as it is. Papermill itself with a bad value: tests/test_properties.py."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    at = next(i for i in code if "parameters" in _tags(nb.cells[i]))
    run = nb.cells[next(i for i in code if i > at)].source
    cell = nbformat.v4.new_code_cell(
        f"_kept = {name}\n{name} = {value!r}\n"
        f"try:\n    exec({run!r})\n"
        f"except Exception as e:\n    print({BAD_PARAMETER_LINE!r} + f'{{type(e).__name__}}: {{e}}')\n"
        f"else:\n    print({BAD_PARAMETER_LINE!r} + 'accepted')\n"
        f"finally:\n    {name} = _kept"
    )
    cell.metadata["wrong_input_pass"] = "bad parameter"
    nb.cells.insert(at + 1, cell)
    return nb


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.metadata.get("tags", [])
