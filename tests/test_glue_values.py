"""tools/glue_values.py: glued values read from a papermill-executed notebook, and a moved value is reported."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "glue_values", Path(__file__).parent.parent / "tools" / "glue_values.py"
)
gv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gv)

P = "application/papermill.record/"


def _glue_output(name: str, data: dict) -> dict:
    return {
        "output_type": "display_data",
        "data": {P + k: v for k, v in data.items()},
        "metadata": {"scrapbook": {"name": name, "mime_prefix": P}},
    }


def _notebook(path: Path, outputs: list[dict]) -> Path:
    nb = {
        "cells": [{"cell_type": "code", "source": [], "metadata": {}, "outputs": outputs}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def test_dump_notebooks_reads_papermill_glue_outputs(tmp_path):
    nb = _notebook(
        tmp_path / "page.ipynb",
        [
            _glue_output("x", {"text/plain": "0.5"}),
            _glue_output(
                "table",
                {"text/plain": "<IPython.core.display.Markdown object>", "text/markdown": "| a |\n|---|"},
            ),
            {"output_type": "stream", "name": "stdout", "text": "all checks passed\n"},
        ],
    )
    assert gv.dump_notebooks([nb]) == {
        "notebooks/page": {"x": "0.5", "table": "<IPython.core.display.Markdown object>"}
    }
    assert gv.dump_notebooks([nb], markdown=True)["notebooks/page"]["table"] == "| a |\n|---|"


def test_compare_subset_reports_a_moved_value_only(tmp_path):
    before = {"notebooks/page": {"x": "0.5", "n": "3"}, "notebooks/other": {"y": "1"}}
    after = gv.dump_notebooks(
        [
            _notebook(
                tmp_path / "page.ipynb",
                [_glue_output("x", {"text/plain": "0.5"}), _glue_output("n", {"text/plain": "4"})],
            )
        ]
    )
    (tmp_path / "b.json").write_text(json.dumps(before))
    (tmp_path / "a.json").write_text(json.dumps(after))
    assert gv.main(["compare", "--subset", str(tmp_path / "b.json"), str(tmp_path / "a.json")]) == 1
    assert gv.compare({"notebooks/page": before["notebooks/page"]}, after, 1e-12) == [
        "notebooks/page: n moved '3' -> '4'"
    ]
    after["notebooks/page"]["n"] = "3"
    (tmp_path / "a.json").write_text(json.dumps(after))
    assert gv.main(["compare", "--subset", str(tmp_path / "b.json"), str(tmp_path / "a.json")]) == 0
