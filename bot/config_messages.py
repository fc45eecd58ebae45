"""What a bad configuration is told as: one line naming the key and where it was set,
with a suggestion for a misspelt key or variable, and the JSON a list variable needs.

Kept apart from :mod:`bot.settings` (the settings models): these read the model tree
(passed in as ``root``) to know every setting's name and type.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import NoDecode, SettingsError


def one_line(error: ValidationError, source: Path | None, root: type[BaseModel]) -> str:
    """The first problem of a settings error, in one line."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc) or "(root)"
    message = first["msg"].removeprefix("Value error, ")
    origin = where_set(key, source)
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    if first["type"] == "extra_forbidden":
        # Every misspelt key at once, each where it was written: fixing one per run is slow.
        unknown = [problem for problem in error.errors() if problem["type"] == "extra_forbidden"]
        named = ", ".join(_unknown_key(problem, source, root) for problem in unknown)
        rest = error.error_count() - len(unknown)
        more = f" (+{rest} more)" if rest else ""
        return f"config error: unknown key{'s' if len(unknown) > 1 else ''} {named}{more}"
    if first["type"] == "model_type":  # a section given as a list or a plain value
        return f"config error: {key}: must be a table of settings (set in {origin}){more}"
    if _model_at(root, loc) is not None and not first["type"].endswith("_type"):
        # About a whole section (its message names the keys), not a wrong type given for it.
        return f"config error: {message}{f' (in {source})' if source else ''}{more}"
    return f"config error: {key}: {message} (set in {origin}){more}"


def _unknown_key(problem: Mapping[str, Any], source: Path | None, root: type[BaseModel]) -> str:
    """``'community.timezon' in shequn.toml (did you mean 'community.timezone'?)``."""
    loc = [str(part) for part in problem["loc"]]
    key = ".".join(loc)
    known = _model_at(root, loc[:-1])
    hint = _did_you_mean(loc[-1], list(known.model_fields) if known else [])
    hint = f" (did you mean '{'.'.join([*loc[:-1], hint])}'?)" if hint else ""
    origin = where_set(key, source)
    if source is not None and origin != env_name(_variable_key(key)):
        origin = str(source)  # no such variable is set: the file has it
    return f"'{key}' in {origin}{hint}"


# -- helpers for the one-line messages above and for start-up ---------------------------

#: ``SHEQUN_`` variables Shequn reads that are not settings.
OTHER_VARIABLES = frozenset({"SHEQUN_CONFIG", "SHEQUN_TEST_PG_DSN"})


def env_name(key: str) -> str:
    """``telegram.token`` → ``SHEQUN_TELEGRAM__TOKEN``."""
    return "SHEQUN_" + "__".join(part.upper() for part in key.split("."))


def where_set(key: str, source: Path | None, environ: Mapping[str, str] | None = None) -> str:
    """Where to fix ``key``: its environment variable when set (it wins), else the
    config file (or the variable, the file being unsure), else the variable."""
    env = os.environ if environ is None else environ
    name = env_name(_variable_key(key))
    if any(variable.upper() == name for variable in env):
        return name
    return f"{source} or {name}" if source else name


def _variable_key(key: str) -> str:
    """The key a variable sets: ``topics.schedules.0.cron`` is inside the list
    ``SHEQUN_TOPICS__SCHEDULES`` sets as JSON (no variable names one item)."""
    parts = key.split(".")
    index = next((n for n, part in enumerate(parts) if part.isdigit()), len(parts))
    return ".".join(parts[:index])


def unknown_variables(root: type[BaseModel], environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per ``SHEQUN_*`` variable no setting reads (a misspelling such as
    ``SHEQUN_TELEGRAM_TOKEN`` is otherwise silently ignored), with a suggestion."""
    env = os.environ if environ is None else environ
    known, open_prefixes, model_prefixes = _variables(root)
    warnings = []
    for variable in sorted(env):
        name = variable.upper()
        if not name.startswith("SHEQUN_") or name in known or name in OTHER_VARIABLES:
            continue
        if name.startswith(open_prefixes):  # a key of a table, e.g. ESCALATION__REPLIES__REFUND
            continue
        if name.startswith(model_prefixes):  # inside a section: loading names the bad key
            continue
        hint = (
            _closest_variable(name, known | OTHER_VARIABLES)
            or _same_key(name, known)
            or _stem(name, OTHER_VARIABLES)
        )
        hint = f" (did you mean {hint}?)" if hint else ""
        warnings.append(f"warning: {variable} is not a Shequn setting and is ignored{hint}")
    return warnings


def _variables(root: type[BaseModel]) -> tuple[set[str], tuple[str, ...], tuple[str, ...]]:
    """Every variable name the settings read; prefixes under which any name is a table
    key; prefixes of the sections (models)."""
    known: set[str] = set()
    open_prefixes: list[str] = []
    model_prefixes: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            known.add(variable)
            section = _model_class(info.annotation)
            if section is not None:
                model_prefixes.append(variable + "__")
                walk(section, variable + "__")
            elif _origin_of(info.annotation) is dict:
                open_prefixes.append(variable + "__")

    walk(root, "SHEQUN_")
    return known, tuple(open_prefixes), tuple(model_prefixes)


def _closest_variable(name: str, known: set[str]) -> str | None:
    """The variable ``name`` was probably meant to be, compared without the ``SHEQUN_``
    every one shares (else ``SHEQUN_TOKEN`` looks like ``SHEQUN_TEXTS``)."""
    bare = {variable.removeprefix("SHEQUN_"): variable for variable in known}
    close = _did_you_mean(name.removeprefix("SHEQUN_"), sorted(bare))
    return bare[close] if close else None


def _did_you_mean(word: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def _same_key(name: str, known: set[str]) -> str | None:
    """``SHEQUN_TOKEN`` → ``SHEQUN_TELEGRAM__TOKEN``: the one setting with that key."""
    key = name.removeprefix("SHEQUN_").rsplit("__", 1)[-1]
    matches = [k for k in known if k.rsplit("__", 1)[-1] == key and k != "SHEQUN_" + key]
    return matches[0] if len(matches) == 1 else None


def _stem(name: str, variables: frozenset[str]) -> str | None:
    """``SHEQUN_CONFIG_FILE`` → ``SHEQUN_CONFIG``: a known variable with words added."""
    return next((v for v in sorted(variables) if name.startswith(v + "_")), None)


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation allows: ``X | None`` → [X]; ``Annotated`` stripped."""
    if get_origin(annotation) is Annotated:
        return _unwrap(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _model_class(annotation: Any) -> type[BaseModel] | None:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _origin_of(annotation: Any) -> Any:
    origins = [get_origin(t) or t for t in _unwrap(annotation)]
    return origins[0] if len(origins) == 1 else None


def _model_at(root: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    """The settings model at ``loc`` (list indexes stepped over), for suggestions."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return None
        if part.isdigit():
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _model_class(info.annotation)
        if model is None:  # a list of sections, e.g. onboarding.steps
            args = [a for t in _unwrap(info.annotation) for a in get_args(t)]
            model = next((m for a in args if (m := _model_class(a)) is not None), None)
    return model


def _annotation_for(root: type[BaseModel], variable: str) -> Any:
    """The type a ``SHEQUN_A__B`` variable sets, or None if no setting reads it."""
    parts = variable.upper().removeprefix("SHEQUN_").split("__")
    annotation: Any = root
    for index, part in enumerate(parts):
        model = _model_class(annotation)
        if model is None:
            if _origin_of(annotation) is dict and index == len(parts) - 1:
                return get_args(_unwrap(annotation)[0])[1]
            return None
        info = next((f for n, f in model.model_fields.items() if n.upper() == part), None)
        if info is None:
            return None
        annotation = info.annotation
    return annotation


def _expects_json(annotation: Any) -> bool:
    """Whether pydantic-settings parses this variable as JSON (lists, tables, sections)."""
    if get_origin(annotation) is Annotated and any(
        isinstance(meta, NoDecode) or meta is NoDecode for meta in get_args(annotation)[1:]
    ):
        return False
    return any(
        _model_class(t) is not None or (get_origin(t) or t) in (list, tuple, set, dict)
        for t in _unwrap(annotation)
    )


def not_json(error: SettingsError, root: type[BaseModel], environ: Mapping[str, str]) -> str:
    """pydantic-settings names only the section; find the variable and show its JSON form."""
    for variable in sorted(environ):
        value = environ[variable]
        annotation = (
            _annotation_for(root, variable) if variable.upper().startswith("SHEQUN_") else None
        )
        if annotation is None or not _expects_json(annotation):
            continue
        try:
            json.loads(value)
        except ValueError as problem:
            if value.lstrip()[:1] in ("[", "{"):  # meant as JSON: say where it breaks
                return f"config error: {variable} is not valid JSON: {problem}"
            return (
                f"config error: {variable} must be JSON, e.g. {_json_example(annotation, value)}"
                f" (got {value!r})"
            )
    return f"config error: {error}: {error.__cause__} (lists and tables are written in JSON)"


def _json_example(annotation: Any, value: str) -> str:
    """The value as JSON, when it reads as a comma-separated list or ``k=v`` pairs."""
    kind = _origin_of(annotation)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if kind in (list, tuple, set):
        element = [a for t in _unwrap(annotation) for a in get_args(t)][:1]
        if element and _expects_json(element[0]):  # a list of lists or of sections
            return '[{"key": "value"}]' if _model_class(element[0]) else '[["a", "b"]]'
        return json.dumps(items or ["…"], ensure_ascii=False)
    if kind is dict:
        pairs = [re.split(r"\s*[=:]\s*", item, maxsplit=1) for item in items]
        if pairs and all(len(pair) == 2 for pair in pairs):
            return json.dumps({k: _scalar(v) for k, v in pairs}, ensure_ascii=False)
        return '{"name": "value"}'
    return '{"key": "value"}'


def _scalar(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
