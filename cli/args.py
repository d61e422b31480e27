"""Argument types shared by the sub-commands: argparse turns a ``ValueError`` or
``argparse.ArgumentTypeError`` raised here into one ``error: argument --NAME: ...`` line and
exit code 2, before any work starts (issue 19, item 6)."""

from __future__ import annotations

import argparse
import re

SEED_LIMIT = 2**63
"""Seeds are non-negative 64-bit integers below 2**63: they are stored as int64 in run
manifests and batch summaries and feed numpy's SeedSequence, which refuses negative ones."""

_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[^\s:/]+:\d{1,5}$")


def seed(text: str) -> int:
    """A seed: a whole number in [0, 2**63)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number; allowed: 0 to {SEED_LIMIT - 1}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: 0 to {SEED_LIMIT - 1}")
    return value


def positive_int(text: str) -> int:
    """A count of threads, workers or repetitions: a whole number >= 1."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: 1 or more") \
            from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}; allowed: 1 or more")
    return value


def dask_address(text: str) -> str:
    """A Dask scheduler address: ``[scheme://]host:port`` (e.g. ``tcp://host:8786``)."""
    if not _DASK_ADDRESS.match(text) or not 0 < int(text.rsplit(":", 1)[1]) < 65536:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scheduler address; allowed: [tcp://]HOST:PORT, e.g. "
            "tcp://scheduler:8786")
    return text
