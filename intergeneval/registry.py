"""Backends by short name, imported lazily so `import intergeneval` loads no heavy dependency.

Example:
    >>> from intergeneval.registry import JUDGES, lookup
    >>> lookup(JUDGES, "scripted", kind="judge").__name__
    'ScriptedJudge'
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import types
import typing
from collections import abc
from pathlib import PurePath
from typing import Any

from .errors import BackendUnavailable, ConfigError, did_you_mean

#: name -> "module:Class" (relative to the package) and the extra that provides its dependencies.
JUDGES: dict[str, tuple[str, str]] = {
    "scripted": ("intergeneval.judges.scripted:ScriptedJudge", ""),
    "qwen": ("intergeneval.judges.qwen:QwenJudge", "models"),
    "openai": ("intergeneval.judges.openai_chat:OpenAIJudge", "judge-openai"),
}
TRACKERS: dict[str, tuple[str, str]] = {
    "replay": ("intergeneval.tracking.replay:ReplayTracker", ""),
    "sam2": ("intergeneval.tracking.sam2_hf:Sam2Tracker", "models"),
    "sam2-meta": ("intergeneval.tracking.sam2_meta:Sam2MetaTracker", "models + `make sam2-meta`"),
}
DETECTORS: dict[str, tuple[str, str]] = {
    "grounding-dino": ("intergeneval.detection.grounding_dino:GroundingDinoDetector", "models"),
}
#: What each extra above must have installed; checked by `lookup`, so a missing package is reported before
#: any backend starts loading (the backends import them only when built).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "models": ("torch", "transformers"),
    "judge-openai": ("openai",),
    "models + `make sam2-meta`": ("torch", "sam2"),
}


def lookup(table: dict[str, tuple[str, str]], name: str, *, kind: str) -> Any:
    """Import and return the class registered as `name`; unknown names get suggestions."""
    if name not in table:
        raise ConfigError(f"unknown {kind} {name!r}.{did_you_mean(name, table, n=3)} "
                          f"Known: {', '.join(sorted(table))}")
    target, extra = table[name]
    module, _, attr = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("intergeneval"):
            raise ConfigError(f"{kind} {name!r} is registered but not implemented in this version ({e.name})") from None
        raise BackendUnavailable(f"{kind} {name!r} needs the package {e.name!r}: "
                                 f"{install_hint(extra)}") from None
    for module in EXTRA_MODULES.get(extra, ()):
        if not _importable(module):
            raise BackendUnavailable(f"{kind} {name!r} needs the package {module!r}: {install_hint(extra)}")
    return getattr(mod, attr)


def install_hint(extra: str) -> str:
    """How to install an extra of the TABLES above.

    >>> install_hint("models"), install_hint("models + `make sam2-meta`")
    ("pip install 'intergeneval[models]'", "pip install 'intergeneval[models]', then `make sam2-meta`")
    """
    base, _, more = extra.partition(" + ")
    return f"pip install 'intergeneval[{base}]'" + (f", then {more}" if more else "")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def declared_options(cls: type) -> dict[str, inspect.Parameter]:
    """The options a backend declares: the keyword parameters of its constructor.

    A constructor that passes `**kwargs` on to its base class declares the base's parameters too.

    Example:
        >>> sorted(declared_options(lookup(JUDGES, "scripted", kind="judge")))
        ['answers', 'attempts']
    """
    found: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]  # without self
        found.update({p.name: p for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                      and p.name not in found})
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return found


def check_options(cls: type, options: dict[str, Any], *, kind: str, name: str) -> dict[str, Any]:
    """Check `options` against what backend `cls` declares, before anything is loaded.

    Returns the options with numbers given for text options turned back into text (`revision=1234567`)
    and whole numbers for decimal ones into floats.

    Raises:
        ConfigError: an option the backend does not declare (with suggestions), or a value of the wrong type.

    Example:
        >>> judge = lookup(JUDGES, "scripted", kind="judge")
        >>> check_options(judge, {"attempts": "many"}, kind="judge", name="scripted")
        Traceback (most recent call last):
        ...
        intergeneval.errors.ConfigError: judge 'scripted': option attempts must be a whole number, got 'many'
    """
    declared = declared_options(cls)
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in declared:
            raise ConfigError(f"{kind} {name!r} has no option {key!r}.{did_you_mean(key, declared)} "
                              f"Its options: {', '.join(sorted(declared))}")
        ok, value = _coerce(hints.get(key), value)
        if not ok:
            raise ConfigError(f"{kind} {name!r}: option {key} must be {_describe(hints[key])}, got {value!r}")
        out[key] = value
    return out


def _hints(cls: type) -> dict[str, Any]:
    """Parameter annotations of the constructors `declared_options` reads ({} where they do not resolve)."""
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is not None:
            # an annotation naming a type only imported for type checkers: that constructor is not checked
            with contextlib.suppress(Exception):
                hints.update(typing.get_type_hints(init))
    return hints


_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text", type(None): "null"}


def _describe(hint: Any) -> str:
    args = typing.get_args(hint) if _is_union(hint) else (hint,)
    return " or ".join(_NAMES.get(typing.get_origin(a) or a, getattr(a, "__name__", str(a))) for a in args)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _coerce(hint: Any, value: Any) -> tuple[bool, Any]:
    """(accepted, value as the backend wants it) for one option; unknown or open types accept anything."""
    if hint is None or hint is Any:
        return True, value
    if _is_union(hint):  # the member the value already is comes first: `int | str` keeps 5 a number
        for member in sorted(typing.get_args(hint), key=lambda a: not _exact(a, value)):
            ok, converted = _coerce(member, value)
            if ok:
                return True, converted
        return False, value
    base = typing.get_origin(hint) or hint
    if base is bool:
        return isinstance(value, bool), value
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if base is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if base is str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return True, str(value)  # `revision=1234567` parses as a number
        return isinstance(value, str), value
    if base is type(None):
        return value is None, value
    if base in (list, tuple, abc.Sequence):
        return isinstance(value, list | tuple), value
    if base in (dict, abc.Mapping):
        return isinstance(value, dict), value
    if base is os.PathLike or (isinstance(base, type) and issubclass(base, PurePath)):
        return isinstance(value, str | PurePath), value
    return True, value  # a type an option string cannot express (a client object): the backend checks it


def _exact(hint: Any, value: Any) -> bool:
    base = typing.get_origin(hint) or hint
    return isinstance(base, type) and isinstance(value, base)
