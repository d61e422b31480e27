"""Locate and read the data files that ship inside the ``model.data`` package.

Every problem (a file missing from the installation, a row that does not parse, a column that is
not there) becomes a one-line :class:`~model.errors.DataError` naming the packaged file, so the
command line can tell a planner what to fix. Provenance and licences of the files are in
``model/data/SOURCES.md``.
"""

from __future__ import annotations

import importlib.resources
import pathlib
import warnings
from collections.abc import Mapping
from importlib.resources.abc import Traversable

import pandas as pd

from model.errors import DataError

DATA_PACKAGE = "model.data"
"""The package whose folder holds the data files (see ``[tool.setuptools.package-data]``)."""

REINSTALL_HINT = "the installation is incomplete; reinstall foedsim (e.g. pip install -e .)"


def display_name(*parts: str) -> str:
    """The file name used in messages, relative to the repository root.

    Args:
        *parts: path segments below ``model/data``, e.g. ``("germany", "kreise.csv")``.

    Returns:
        For example ``"model/data/germany/kreise.csv"``.
    """
    return "/".join(("model", "data", *parts))


def data_root() -> Traversable:
    """The folder of the ``model.data`` package (tests point this at a copy)."""
    return importlib.resources.files(DATA_PACKAGE)


def data_path(*parts: str) -> pathlib.Path:
    """The path of a packaged data file.

    Args:
        *parts: path segments below ``model/data``, e.g. ``("germany", "kreise.csv")``.

    Returns:
        The file's path on disk.

    Raises:
        DataError: the file is not part of the installed package.
    """
    name = display_name(*parts)
    resource = data_root().joinpath(*parts)
    if not resource.is_file():
        raise DataError(f"missing data file {name}: not found in the package; {REINSTALL_HINT}")
    if not isinstance(resource, pathlib.Path):
        # A zipped installation has no file paths; foedsim is installed unpacked.
        raise DataError(f"data file {name} is inside an archive; {REINSTALL_HINT}")
    return resource


def read_csv(relpath: str, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Read a packaged CSV file, keeping only the named columns with the given types.

    Key columns must be given as ``"str"`` so that leading zeros survive (``"01001"``).
    Empty fields are read as missing; an ``int64`` or ``bool`` column with a missing value is
    therefore a parse error.

    Args:
        relpath: path below ``model/data`` with ``/`` separators, e.g. ``"germany/kreise.csv"``.
        dtypes: column name -> pandas dtype (``"str"``, ``"int64"``, ``"float64"``, ``"bool"``),
            in the order the columns should have in the result.

    Returns:
        A DataFrame with exactly the columns of ``dtypes``, in that order.

    Raises:
        DataError: the file is missing, does not parse, or lacks a column.
    """
    parts = tuple(relpath.split("/"))
    path = data_path(*parts)
    return read_csv_file(path, display_name(*parts), dtypes)


def read_csv_file(path: pathlib.Path, name: str, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Read a CSV file at ``path``; like :func:`read_csv`, with ``name`` used in messages.

    Args:
        path: the file to read.
        name: how messages call the file, e.g. ``"model/data/germany/kreise.csv"``.
        dtypes: column name -> pandas dtype, as for :func:`read_csv`.

    Returns:
        A DataFrame with exactly the columns of ``dtypes``, in that order.

    Raises:
        DataError: the file does not parse or lacks a column.
    """
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise DataError(f"cannot read data file {name}: {_one_line(error)}") from error
    missing = [column for column in dtypes if column not in header]
    if missing:
        raise DataError(
            f"data file {name} lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, header))}"
        )
    try:
        with warnings.catch_warnings():
            # A row with too many fields is a ParserWarning (and silent data loss) otherwise.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                path,
                usecols=list(dtypes),
                dtype=dict(dtypes),
                keep_default_na=False,
                na_values=[""],
                index_col=False,
            )
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.ParserWarning) as error:
        raise DataError(f"cannot parse data file {name}: {_one_line(error)}") from error
    return table[list(dtypes)]


def _one_line(error: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(error).split())
