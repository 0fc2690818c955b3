"""`jupyter-book build` with Sphinx's parallel reading: the notebooks execute N at a time.

Usage: .venv/bin/python tools/jb_build.py [--jobs N] -- ARGS OF jupyter-book build ...

Jupyter Book 1.x runs Sphinx with one process and offers no option for more, although the extensions the book uses
(myst-nb, which executes the notebooks while Sphinx reads them, the book theme, sphinxcontrib-bibtex) all declare
themselves safe for parallel reading. This wrapper is the `jupyter-book build` command with only that changed:
``jobs`` (default: the number of cores, ``RECOVERY_BOOK_JOBS`` overrides it) is handed to Sphinx. Everything else
(configuration, -W, --keep-going, the log) is the command's own.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="tools/jb_build.py", description=__doc__.splitlines()[0])
    default = int(os.environ.get("RECOVERY_BOOK_JOBS", os.cpu_count() or 1))
    p.add_argument(
        "--jobs", type=int, default=default, help="notebooks read (executed) at once (default: %(default)s)"
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="the arguments of `jupyter-book build`")
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.error(f"--jobs must be >= 1, got {a.jobs}")
    args = a.args[1:] if a.args[:1] == ["--"] else a.args

    import sphinx.builders as sphinx_builders
    import sphinx_multitoc_numbering
    from jupyter_book import sphinx as jb_sphinx
    from jupyter_book.cli import main as jb_main

    # the build command imports build_sphinx from jupyter_book.sphinx when it runs
    jb_sphinx.build_sphinx = functools.partial(jb_sphinx.build_sphinx, jobs=a.jobs)
    sys.argv = ["jupyter-book", "build", *args]
    sphinx_multitoc_numbering.setup = _declared_parallel_safe(sphinx_multitoc_numbering.setup)
    # One page per process: Sphinx would hand each process a batch of ten pages, which puts the slowest pages
    # (the last ones of the book) into one batch; one at a time, a free process takes the next page.
    sphinx_builders.make_chunks = _one_page_per_chunk
    jb_main.main()


def _one_page_per_chunk(arguments, nproc, maxbatch=10):
    return [[a] for a in arguments]


def _declared_parallel_safe(setup):
    """sphinx-external-toc always loads sphinx-multitoc-numbering, whose setup declares nothing, so Sphinx assumes
    it unsafe and reads serially. It only replaces how the main process numbers sections after reading (and the
    book numbers no chapters), so it is safe: say so."""

    @functools.wraps(setup)
    def wrapped(app):
        setup(app)
        return {"parallel_read_safe": True, "parallel_write_safe": True}

    return wrapped


if __name__ == "__main__":
    main()
