"""Progress bars that never leak into the book's HTML.

Bars are plain text (``tqdm.std``, written to stderr), never tqdm's notebook widget: a widget's state would be
embedded in every page built while the cache was cold. Whether bars are shown:

* ``RECOVERY_PROGRESS`` set in the environment decides everywhere (``1``/``on``/``true`` shows text bars,
  ``0``/``off``/``false`` hides them);
* otherwise bars follow the caller's ``progress`` argument in a terminal, and are off inside a Jupyter kernel
  (notebooks, papermill, ``make book``), where a text bar would end up in the page as stderr output.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tqdm.std import tqdm

ENV = "RECOVERY_PROGRESS"


def in_kernel() -> bool:
    """True inside a Jupyter (ipykernel) kernel."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def enabled(progress: bool = True) -> bool:
    """Whether to show bars, given the caller's wish (see module docstring)."""
    env = os.environ.get(ENV, "").strip().lower()
    if env in ("1", "on", "true", "yes"):
        return True
    if env in ("0", "off", "false", "no"):
        return False
    return bool(progress) and not in_kernel()


def bar(*args: Any, progress: bool = True, **kw: Any) -> tqdm:
    """A text tqdm bar, disabled unless :func:`enabled` says otherwise."""
    from tqdm.std import tqdm  # loaded when a bar is made (``--no-progress`` runs still make disabled ones)

    kw["disable"] = kw.get("disable", False) or not enabled(progress)
    return tqdm(*args, **kw)
