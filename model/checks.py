"""Small named checks for TOML input files (scenarios, office descriptions, batches).

Each value check takes a parsed value and returns ``None`` when it is allowed, otherwise a
short phrase saying what is allowed ("must be a number"). The error helpers turn a problem
into one :class:`~model.errors.ScenarioError` line naming the file, the key and what is
allowed. (After Starsim's ``check_key_mismatch`` and Ciw's ``validify_dictionary``.)
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from model.errors import ScenarioError

Check = Callable[[Any], str | None]


def is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be a string"


def is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def is_real(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)


def number(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> Check:
    """A number in ``[lo, hi]``; ``lo_open``/``hi_open`` exclude the ends."""
    left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
    span = f"must lie in {left}{lo:g}, {hi:g}{right}"

    def check(v: Any) -> str | None:
        if not is_real(v):
            return "must be a number"
        if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
            return span
        return None

    return check


def whole(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return "must be a whole number"
        return None if lo <= v <= hi else f"must lie between {lo} and {hi}"

    return check


def choice(options: tuple[str, ...]) -> Check:
    def check(v: Any) -> str | None:
        if v in options:
            return None
        return "must be one of " + ", ".join(repr(o) for o in options)

    return check


def list_of(item: Check, what: str, min_len: int = 1) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, list) or len(v) < min_len:
            return f"must be a non-empty list of {what}"
        for i, x in enumerate(v):
            problem = item(x)
            if problem:
                return f"entry {i + 1} ({x!r}) {problem}"
        return None

    return check


def suggest(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def allowed(keys: Iterable[str], limit: int = 16) -> str:
    """The allowed names, sorted, the first ``limit`` of them."""
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def err(file: str, key: str, problem: str) -> ScenarioError:
    """One error line: ``FILE: key 'KEY': PROBLEM``."""
    return ScenarioError(f"{file}: key '{key}': {problem}")


def unknown(file: str, key: str, what: str, word: str, options: Iterable[str]) -> ScenarioError:
    """The error for an unknown key or name, with the closest allowed one suggested."""
    options = list(options)
    return err(file, key, f"unknown {what}{suggest(word, options)}; allowed: {allowed(options)}")


def read_toml(path: Path, shown: str) -> dict[str, Any]:
    """Read a TOML file (UTF-8; a byte-order mark, as some Windows editors write, is accepted)
    or raise a one-line :class:`ScenarioError` naming it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{shown}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{shown}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ScenarioError(f"{shown}: not valid TOML here: arrays or inline tables nested too "
                            "deeply for the parser; allowed: the few levels the file formats "
                            "use (docs/SCENARIOS.md)") from None  # fmt: skip


def check_table(file: str, prefix: str, table: Any, keys: Mapping[str, Check]) -> dict[str, Any]:
    """Check a TOML table against its allowed keys and their value checks; return it.

    Raises:
        ScenarioError: Not a table, an unknown key, or a value a check refuses.
    """
    if not isinstance(table, Mapping):
        raise err(file, prefix, "must be a table")
    for k, v in table.items():
        if k not in keys:
            raise unknown(file, f"{prefix}.{k}", "key", k, keys)
        problem = keys[k](v)
        if problem:
            raise err(file, f"{prefix}.{k}", problem)
    return dict(table)
