"""recovery: companion code for arXiv:2405.13787 (Zhao, Bai, Zhang), *Disentangle Sample Size and
Initialization Effect on Perfect Generalization for Single-Neuron Target*."""

from typing import Any

__version__ = "0.1.0"


def provenance(device: str = "cpu", **extra: Any) -> dict[str, Any]:
    """Versions, device, threads, git commit and code hash of this run (see :mod:`recovery.record`)."""
    from .record import provenance as _provenance

    return _provenance(device, **extra)
