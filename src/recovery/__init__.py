"""recovery: companion code for arXiv:2405.13787 (Zhao, Bai, Zhang), *Disentangle Sample Size and
Initialization Effect on Perfect Generalization for Single-Neuron Target*."""

__version__ = "0.1.0"
