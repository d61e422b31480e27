"""Named random streams: common random numbers across scenarios.

No global random state. Every random decision draws from its own stream, derived from
``(seed, stream name)`` with a stable hash (BLAKE2b of the UTF-8 name, not Python's salted
``hash``). Two scenarios run with the same seed therefore draw the same numbers in every
stream they share, and differ only where their levers make them use a stream differently.
(After Starsim's ``distributions.py``.)
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """Return a stable 64-bit integer for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def make_stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator of stream ``name`` for ``seed``.

    Args:
        seed: The run's seed (a non-negative integer).
        name: The stream's name, e.g. ``"arrivals/wohngeld"``.
    """
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream_key(name)])))
