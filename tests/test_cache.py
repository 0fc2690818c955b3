"""The results cache: keys, atomic writes, corruption detection."""

import numpy as np
import pytest

from recovery.cache import ResultCache, code_hash, entry_key


def test_roundtrip_and_keys(tmp_path):
    c = ResultCache(tmp_path)
    arrays = {"x": np.arange(5.0), "label": np.array([1, 2, 0])}
    assert c.load("fig3", {"s": 1e-8}) is None
    p = c.save("fig3", {"s": 1e-8}, arrays)
    got = c.load("fig3", {"s": 1e-8})
    assert set(got) == {"x", "label"} and np.array_equal(got["x"], arrays["x"])
    assert c.load("fig3", {"s": 1e-6}) is None  # other parameters, other key
    assert entry_key("fig3", {"a": 1, "b": 2}) == entry_key("fig3", {"b": 2, "a": 1})
    assert entry_key("fig3", {"a": 1}) != entry_key("fig2", {"a": 1})
    assert len(code_hash()) == 16
    assert not list(p.parent.glob("*.tmp"))  # nothing left behind by the atomic write


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_corrupt_entry_is_reported_and_recomputed(tmp_path, damage):
    c = ResultCache(tmp_path)
    p = c.save("fig3", {"s": 1}, {"x": np.linspace(0, 1, 1000)})
    raw = p.read_bytes()
    if damage == "truncate":
        p.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        p.write_bytes(b"not a zip file")
    else:  # flip bytes inside the array payload: the zip CRC catches it
        i = len(raw) // 2
        p.write_bytes(raw[:i] + bytes(b ^ 0xFF for b in raw[i : i + 8]) + raw[i + 8 :])
    with pytest.warns(RuntimeWarning, match="corrupt entry"):
        assert c.load("fig3", {"s": 1}) is None
    assert not p.exists() and p.with_suffix(".corrupt").exists()


def test_entry_renamed_to_another_key_is_rejected(tmp_path):
    c = ResultCache(tmp_path)
    p = c.save("fig3", {"s": 1}, {"x": np.zeros(3)})
    q = c.path("fig3", {"s": 2})
    p.rename(q)
    with pytest.warns(RuntimeWarning):
        assert c.load("fig3", {"s": 2}) is None
