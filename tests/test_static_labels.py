"""Static PNGs label log axes in plain text (unicode superscripts) instead of mathtext, with matplotlib's labels."""

from __future__ import annotations

import pytest

from recovery.plots.common import unmath


@pytest.mark.parametrize(
    ("label", "plain"),
    [
        (r"$\mathdefault{10^{-2}}$", "10⁻²"),
        (r"$\mathdefault{10^{7}}$", "10⁷"),
        (r"$\mathdefault{10^{0}}$", "10⁰"),
        (r"$\mathdefault{2\times10^{-1}}$", "2×10⁻¹"),
        (r"$\mathdefault{1}$", "1"),
        ("", ""),
        (r"$\mathdefault{10^{1.50}}$", r"$\mathdefault{10^{1.50}}$"),  # anything else: unchanged
    ],
)
def test_unmath(label, plain):
    assert unmath(label) == plain


def test_log_axes_get_matplotlibs_labels_in_plain_text():
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatterSciNotation

    from recovery.plots.common import plain_log_labels

    ax = Figure().subplots()
    ax.set(xscale="log", xlim=(1e-2, 1e7), ylim=(0, 1))
    plain_log_labels(ax.xaxis, ax.yaxis)
    assert isinstance(ax.xaxis.get_major_formatter(), LogFormatterSciNotation)
    assert not isinstance(ax.yaxis.get_major_formatter(), LogFormatterSciNotation)  # linear: left alone
    ref = LogFormatterSciNotation(10)
    ref.set_axis(ax.xaxis)
    ours = ax.xaxis.get_major_formatter()
    for x in (1e-2, 1e-1, 1.0, 1e3, 1e7):
        assert ours(x) == unmath(ref(x)) and "$" not in ours(x)
