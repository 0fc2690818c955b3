"""Names of the data designs and activations, importable without torch (the parameter checks of the pages use them
before any numerical module loads). :mod:`recovery.core.data` and :mod:`recovery.core.models` define what they name."""

DESIGNS = ("even", "gaussian")
ACTIVATION_NAMES = ("tanh", "rational")
