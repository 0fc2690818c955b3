"""Experiments shared by several pages: each defines a Config and its runs (through recovery.sweeps) and the
analysis of one page of the book; the page modules in recovery.figures compose them (Figure 7 runs the C-ratio
alignment experiment of Figure 2 on several data sets, Figure 8 the wide network of Figure 5, Table 1 the
minimum-set and sample-size experiments)."""
