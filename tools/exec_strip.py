"""Execute notebooks in place and keep only the outputs nbval checks.

Usage: .venv/bin/python tools/exec_strip.py notebooks/figN_*.ipynb

Every notebook is executed top to bottom (the package cache makes repeats cheap), then the outputs of all
cells are cleared except those of cells containing ``# NBVAL_CHECK_OUTPUT``: those outputs are the reference
that ``make test`` (pytest --nbval-lax) compares against. Run it after changing a notebook or the science.
"""

from __future__ import annotations

import sys

import nbformat
from nbclient import NotebookClient


def exec_strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}
    ).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "# NBVAL_CHECK_OUTPUT" not in cell.source:
            cell.outputs = []
            cell.execution_count = None
        else:
            for out in cell.outputs:
                out.pop("execution_count", None)
    nb.metadata.pop("widgets", None)  # tqdm widget state from the kernel: volatile, never useful in the repo
    nbformat.write(nb, path)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        exec_strip(p)
        print(f"executed and stripped {p}")
