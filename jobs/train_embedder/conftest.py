"""The encoder needs PyTorch (the ``train`` extra); without it pytest's doctest collection skips the module."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["encoder.py"]
