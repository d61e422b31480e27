"""Errors that foedsim reports to a user as one line (no traceback)."""

from __future__ import annotations

import errno
import os


class FoedsimError(Exception):
    """Base class: an error with a message a planner can act on.

    The command line prints ``str(error)`` as one line and exits with ``exit_code``.
    """

    exit_code = 2


class ScenarioError(FoedsimError):
    """A scenario, batch or description file is invalid.

    The message names the file, the key and what is allowed.
    """


class DataError(FoedsimError):
    """A packaged data file is missing or fails its consistency checks."""


class CatalogueError(DataError):
    """The service catalogue (services, execution by Land, seasonality, shocks) is inconsistent."""


class OutOfSpaceError(FoedsimError):
    """The disk (or the user's quota) ran full while foedsim wrote an output.

    The writer that raises it has removed its half-written temporary file or folder, so
    nothing partial is left; the message names what was being written. Build it with
    :func:`out_of_space`.
    """


SPACE_ERRNOS: frozenset[int] = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None
)
"""``errno`` values that mean "no space left": a full device (ENOSPC) or an exhausted disk
quota (EDQUOT; not defined on every platform)."""


def is_out_of_space(error: BaseException) -> bool:
    """True if ``error`` is an :class:`OSError` saying the disk or the quota is full."""
    return isinstance(error, OSError) and error.errno in SPACE_ERRNOS


def out_of_space(error: OSError, target: object) -> OutOfSpaceError:
    """The one-line error for ``error`` (an out-of-space :class:`OSError`) while ``target``
    was written; the caller has removed what it wrote half-way."""
    reason = os.strerror(error.errno) if error.errno is not None else str(error)
    return OutOfSpaceError(f"no space left on the device while writing {target} ({reason}); "
                           "nothing partial was left behind")  # fmt: skip
