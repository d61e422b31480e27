"""Errors that foedsim reports to a user as one line (no traceback)."""

from __future__ import annotations


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
