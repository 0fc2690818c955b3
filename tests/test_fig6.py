"""Figure 6 (reconstructed, Gaussian counterpart of Figure 3): module and notebook at reduced size."""

from pathlib import Path

import numpy as np
import pytest

from recovery.config import ParameterError
from recovery.figures import fig6

NB = Path(__file__).resolve().parent.parent / "notebooks"


def test_run_batches_data_sets_and_finds_a_Q1_band_on_each():
    cfg = fig6.Config(seeds=60, data_seeds=2, t_max=1e5)
    summary, arrays = fig6.run(cfg, progress=False)
    assert arrays["ratio"].shape == (2, 60) and len(summary["per_data_seed"]) == 2
    assert not np.array_equal(arrays["train_x"][0], arrays["train_x"][1])  # different data sets
    for r in summary["per_data_seed"]:
        if r["fraction_neither"] > 0.1:  # a badly conditioned data set, unresolved at this short horizon
            continue
        assert r["band_is_interval"] and r["threshold_low"] < 1 < r["threshold_high"]
    assert summary["reconstructed"] is True and summary["headline"]


def test_bad_parameters_name_themselves():
    for bad in ({"seeds": 1}, {"data_seeds": 0}, {"init_scale": -1}, {"nope": 1}):
        with pytest.raises(ParameterError, match=list(bad)[0]):
            fig6.Config.from_user(**bad)
