"""Output paths are checked before any work starts (issue 19, item 2).

Every command that writes calls one of two checks on the path it will write, right after
reading its arguments and before any simulation, report or page is made:

- :func:`check_out_dir` for an output *folder*: the run folder of ``foedsim run``, the batch
  folder of ``foedsim batch``, the table folder of ``foedsim des --out`` and the pages folder
  of ``foedsim docs --docs-dir``;
- :func:`check_out_file` for an output *file*: ``foedsim report --out``, ``foedsim compare
  --out``, ``foedsim sensitivity --out``.

Both refuse, with an :class:`OutputError` (one line naming the argument, the path and what is
allowed; exit code 2), a path that is empty, that is ``.`` or ``..`` (or ends in ``..``), that
exists as the wrong kind (a file where a folder is expected, a folder or a device where a
file is expected), that lies inside a file, that cannot be created (its nearest existing
folder is not writable) or that is read-only. Writability is tested by creating and removing
a small hidden probe file (``.foedsim-probe-XXXXXXXX``): :func:`os.access` answers for the
real user id and says yes to root even on a read-only file system. The checks create nothing:
a folder that does not exist yet is made only when the output is written, so a refused or
failed command leaves no empty folder behind.

Decisions:

- ``.`` is refused for every folder output, ``foedsim docs`` included: as a run or batch
  folder it would spill run files among the user's own, and for the pages folder it is far
  more often a forgotten name than a wish. Naming the folder (``--docs-dir docs``, or the
  current folder's absolute path) is always possible.
- Whether an existing folder may be written into is up to the command: ``docs`` and ``des``
  replace their own files in an existing folder (that is what they are for); ``run`` refuses
  an existing folder unless ``--overwrite`` is given and it is a run or empty; ``batch``
  refuses a non-empty folder unless ``--resume`` is given (:class:`model.batch.store.
  BatchStore`).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from model.errors import FoedsimError

PROBE_PREFIX = ".foedsim-probe-"
"""Name prefix of the hidden file that tests whether a folder can be written to."""


class OutputError(FoedsimError):
    """An output path cannot be written; the message names the argument and what is allowed."""


def _fail(option: str, text: str, problem: str, allowed: str) -> OutputError:
    return OutputError(f"argument {option}: {text!r} {problem}; allowed: {allowed}")


def _stat(path: Path) -> os.stat_result | None:
    """``os.stat`` of ``path``, or None if nothing is there (a missing part of the path)."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _probe(folder: Path) -> str | None:
    """Create and remove a hidden file in ``folder``; why that failed, or None if it worked."""
    probe = folder / f"{PROBE_PREFIX}{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as error:
        return os.strerror(error.errno) if error.errno is not None else str(error)
    os.close(fd)
    probe.unlink(missing_ok=True)
    return None


def _check_creatable(path: Path, option: str, text: str, allowed: str) -> None:
    """Check that ``path``, which does not exist, can be created: its nearest existing
    ancestor is a folder that can be written to (and no ancestor is a file)."""
    for parent in path.parents:
        try:
            info = _stat(parent)
        except OSError as error:  # e.g. permission denied to look inside a folder above
            raise _fail(option, text, f"cannot be created ({parent}: "
                        f"{os.strerror(error.errno or 0)})", allowed) from None  # fmt: skip
        if info is None:
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise _fail(option, text, f"lies inside {str(parent)!r}, which is a file", allowed)
        reason = _probe(parent)
        if reason:
            raise _fail(option, text, f"cannot be created: {str(parent)!r} is not writable "
                        f"({reason})", allowed)  # fmt: skip
        return


def _check_text(value: str | os.PathLike[str] | None, option: str, allowed: str) -> str:
    text = "" if value is None else os.fspath(value)
    if not text.strip():
        raise OutputError(f"argument {option}: is empty; allowed: {allowed}")
    return text


def check_out_dir(value: str | os.PathLike[str] | None, option: str, allowed: str, *,
                  beside: bool = False) -> Path:  # fmt: skip
    """Check an output folder before any work starts; return it as a path.

    The folder may exist (what the command then does with it is the command's business, see
    the module's decisions) or be missing; a missing folder must be creatable.

    Args:
        value: The folder as the user gave it (or the command's default).
        option: The argument for the message, e.g. ``"--out"``.
        allowed: What is allowed, for the message, e.g. ``"a new folder, e.g. runs/NAME"``.
        beside: The output is written into a hidden sibling folder and renamed into place
            (run folders, :func:`model.storage.write_run`), so the parent folder must be
            writable even if the folder exists.

    Returns:
        ``Path(value)``.

    Raises:
        OutputError: The folder is empty text, ``.`` or ``..``, a file, inside a file, not
            creatable or read-only.
    """
    text = _check_text(value, option, allowed)
    path = Path(text)
    if path.name in ("", ".", ".."):
        raise _fail(option, text, "names no folder of its own (the current, a parent or the "
                    "root folder); name the folder to write", allowed)  # fmt: skip
    try:
        info = _stat(path)
    except OSError as error:
        raise _fail(option, text, f"cannot be used ({os.strerror(error.errno or 0)})",
                    allowed) from None  # fmt: skip
    if info is None:
        _check_creatable(path, option, text, allowed)
        return path
    if not stat.S_ISDIR(info.st_mode):
        raise _fail(option, text, "is a file, not a folder", allowed)
    reason = _probe(path)
    if reason:
        raise _fail(option, text, f"is read-only ({reason})", allowed)
    if beside:
        reason = _probe(path.parent)
        if reason:
            raise _fail(option, text, f"cannot be replaced: {str(path.parent)!r} is not "
                        f"writable ({reason})", allowed)  # fmt: skip
    return path


def check_out_file(value: str | os.PathLike[str] | None, option: str, allowed: str) -> Path:
    """Check an output file before any work starts; return it as a path.

    The file is written atomically (a hidden sibling renamed over it,
    :func:`model.storage.atomic_path`), so its folder must be writable; an existing file is
    replaced only if it is a regular file the user may write (a read-only file is refused,
    although the rename could replace it).

    Args:
        value: The file as the user gave it (or the command's default).
        option: The argument for the message, e.g. ``"--out"``.
        allowed: What is allowed, for the message, e.g. ``"a .html file name"``.

    Returns:
        ``Path(value)``.

    Raises:
        OutputError: The path is empty text, names a folder (``.``, ``..``, a trailing
            ``/``, an existing folder), is not a regular file, lies inside a file, cannot be
            created or is read-only.
    """
    text = _check_text(value, option, allowed)
    path = Path(text)
    if path.name in ("", ".", "..") or text.endswith(("/", os.sep)):
        raise _fail(option, text, "names a folder, not a file", allowed)
    try:
        info = _stat(path)
    except OSError as error:
        raise _fail(option, text, f"cannot be used ({os.strerror(error.errno or 0)})",
                    allowed) from None  # fmt: skip
    if info is None:
        _check_creatable(path, option, text, allowed)
        return path
    if stat.S_ISDIR(info.st_mode):
        raise _fail(option, text, "is a folder, not a file", allowed)
    if not stat.S_ISREG(info.st_mode):
        raise _fail(option, text, "is not a regular file (a device, pipe or socket)", allowed)
    try:  # opening for appending and closing again changes neither content nor times
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError as error:
        raise _fail(option, text, f"is read-only ({os.strerror(error.errno or 0)})",
                    allowed) from None  # fmt: skip
    reason = _probe(path.parent)
    if reason:
        raise _fail(option, text, f"cannot be replaced: {str(path.parent)!r} is not writable "
                    f"({reason})", allowed)  # fmt: skip
    return path
