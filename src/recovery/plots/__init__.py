"""Presentation: plotly/matplotlib figures built from the figures' summaries and arrays."""
