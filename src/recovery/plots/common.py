"""Figures for the book: plotly figures that work in static HTML (no kernel, no network).

Every figure is stamped with its parameters and the code hash. :func:`html` embeds a figure without
plotly.js (the book loads one local copy of plotly.js per page), and sliders are plotly's own, so they work
offline from the precomputed results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go

from ..cache import code_hash
from ..core.theory import NEITHER, Q1, Q2

SET_COLORS = {Q1: "#1f77b4", Q2: "#ff7f0e", NEITHER: "#7f7f7f"}  # the paper's Figure 3: blue Q¹, orange Q²
SET_LABELS = {Q1: "reached Q¹ (condensed)", Q2: "reached Q² (one neuron inactive)", NEITHER: "unresolved"}


def stamp(fig: go.Figure, params: dict[str, Any], extra: str = "", below_px: int = 70) -> go.Figure:
    """Write the parameters and the code hash under the figure (provenance), ``below_px`` pixels below the plot
    area whatever the figure's height (so it stays clear of the x-axis title; raise it under a legend or slider)."""
    text = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    text = f"{text}{'; ' + extra if extra else ''}; code {code_hash()}"
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-below_px,
        showarrow=False,
        font=dict(size=9, color="#555"),
        xanchor="left",
        yanchor="top",
    )
    fig.update_layout(margin=dict(b=max(int(fig.layout.margin.b or 0), below_px + 25)))
    return fig


def html(fig: go.Figure, div_id: str | None = None):
    """The figure as an IPython HTML object without plotly.js (loaded once per page by the book)."""
    from IPython.display import HTML

    return HTML(
        fig.to_html(
            include_plotlyjs=False,
            full_html=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def markdown_table(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table: the header line, a ``|---|`` rule and one line per row, cells written as ``str(cell)``
    between ``" | "`` (the pages' tables; the figure module supplies headers and rows as data in its summary).

    Raises ``ValueError`` on a table without columns or a row whose length differs from the header's."""
    if not headers:
        raise ValueError("markdown_table: a table needs at least one column")
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"markdown_table: row {i} has {len(row)} cells, the header {len(headers)}")
        lines.append("| " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)
