"""A typed loader: parsed TOML into frozen dataclasses, every key and type checked.

The dataclasses are the schema. Each field's type hint says what its key must hold
(`str`, `int`, `float`, `bool`, `date`, `tuple[X, ...]`, `Mapping[str, X]`, `X | None`,
a `Literal` of allowed words, or another dataclass for a table); a field with a default
is optional; a key no field names is refused, so a typo is caught rather than ignored.
A table of tables whose dataclass has an `id` field gets its key as the id; a field whose
metadata says `derived` is the loader's to fill, never read from the file. Every error
names the file and the key, as `amazon.toml: rules.atoz_claim_window.checked: ...`, so
an operator can fix a playbook without reading Python.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

T = TypeVar("T")

_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


class SchemaError(ValueError):
    """A data file does not fit its schema: `where` is the file, `key` the dotted key."""

    def __init__(self, where: str, key: str, problem: str) -> None:
        super().__init__(f"{where}: {key or '(top level)'}: {problem}")
        self.where = where
        self.key = key
        self.problem = problem


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(cls: type[T], data: Any, where: str, key: str = "") -> T:
    """`data` (a parsed TOML table) as a `cls`, or a `SchemaError` naming the first
    wrong key in `where`."""
    value: T = _convert(cls, data, where, key)
    return value


def load_toml(cls: type[T], text: str, where: str) -> T:
    """The text of a TOML data file as a `cls` whose `file` field is `where`, or a
    `SchemaError` naming `where` and the first wrong key (or that it is not TOML)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchemaError(where, "", f"not valid TOML ({error})") from None
    return load(cls, {**data, "file": where}, where)


def data_files(package: str, operator_dir: Path | None, kind: str) -> list[tuple[str, str]]:
    """Each TOML file of a packaged folder (by name), then of an operator's folder (named
    by its path), as (where, text): the playbooks, the jurisdictions. A `SchemaError` says
    when the operator's folder of that `kind` does not exist."""
    folders: list[tuple[Traversable, str]] = [(resources.files(package), "")]
    if operator_dir is not None:
        if not operator_dir.is_dir():
            raise SchemaError(str(operator_dir), "", f"the {kind} folder does not exist")
        folders.append((operator_dir, f"{operator_dir}/"))
    return [
        (prefix + item.name, item.read_text("utf-8"))
        for folder, prefix in folders
        for item in sorted(folder.iterdir(), key=lambda item: item.name)
        if item.name.endswith(".toml") and item.is_file()
    ]


def _join(key: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{key}[{part}]"
    return f"{key}.{part}" if key else part


def _table(cls: type, data: Any, where: str, key: str, id_: str | None = None) -> Any:
    if not isinstance(data, dict):
        raise SchemaError(where, key, "expected a table")
    fields = {
        field.name: field for field in dataclasses.fields(cls) if not field.metadata.get("derived")
    }
    hints = _hints(cls)
    unknown = sorted(set(data) - set(fields) - ({"id"} if id_ is not None else set()))
    if unknown:
        raise SchemaError(
            where, _join(key, unknown[0]), f"unknown key (known: {', '.join(fields)})"
        )
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name == "id" and id_ is not None:
            values[name] = id_
        elif name in data:
            values[name] = _convert(hints[name], data[name], where, _join(key, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise SchemaError(where, _join(key, name), "missing")
    return cls(**values)


def _convert(hint: Any, data: Any, where: str, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _table(hint, data, where, key)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        if data is None:
            return None
        return _convert(options[0], data, where, key)
    if origin is Literal:
        allowed = get_args(hint)
        if data not in allowed:
            raise SchemaError(where, key, f"must be one of {', '.join(map(str, allowed))}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise SchemaError(where, key, "expected a list")
        item = get_args(hint)[0]
        return tuple(_convert(item, value, where, _join(key, i)) for i, value in enumerate(data))
    if origin in (Mapping, types.MappingProxyType, dict):
        if not isinstance(data, dict):
            raise SchemaError(where, key, "expected a table")
        item = get_args(hint)[1]
        with_id = isinstance(item, type) and dataclasses.is_dataclass(item) and "id" in _hints(item)
        return types.MappingProxyType(
            {
                name: _table(item, value, where, _join(key, name), name)
                if with_id
                else _convert(item, value, where, _join(key, name))
                for name, value in data.items()
            }
        )
    if hint is date:
        if not isinstance(data, date):
            raise SchemaError(where, key, "expected a TOML date, like 2026-12-02")
        return data
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if hint in _NAMES:
        if not isinstance(data, hint) or (hint is int and isinstance(data, bool)):
            raise SchemaError(where, key, f"expected {_NAMES[hint]}")
        return data
    raise TypeError(f"no loader for {hint!r} ({where}: {key})")
