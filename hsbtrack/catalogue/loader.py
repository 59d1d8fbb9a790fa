"""Read a framework file (YAML or JSON) from disk and validate it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from .errors import FrameworkError
from .model import Framework
from .parser import parse_framework

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """``yaml.safe_load`` semantics, but a repeated mapping key is an error.

    Plain safe_load keeps the last duplicate silently, so a translation file
    listing "1.2" twice would quietly lose one text.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merge keys are meant to be overridden
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable key: let SafeLoader report it as usual
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _reject_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"found duplicate key {key!r}")
        result[key] = value
    return result


def _decode_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeySafeLoader)  # noqa: S506  # nosec B506  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FrameworkError(source, "", f"invalid YAML: {exc.problem}{where}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(source, "", f"invalid YAML: {exc}") from exc


def _decode_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_json_keys)
    except json.JSONDecodeError as exc:
        raise FrameworkError(
            source, "", f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except ValueError as exc:  # raised by the duplicate-key hook
        raise FrameworkError(source, "", f"invalid JSON: {exc}") from exc


def load_framework(path: str | os.PathLike[str]) -> Framework:
    """Load and validate one framework file (``.yaml``, ``.yml`` or ``.json``).

    Every problem – unreadable file, bad syntax, broken rule – is raised as
    :class:`FrameworkError` whose message starts with the path.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + JSON_SUFFIXES:
        raise FrameworkError(source, "", f"unsupported file type {suffix!r} (use .yaml, .yml or .json)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FrameworkError(source, "", f"not valid UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise FrameworkError(source, "", f"cannot read file: {exc.strerror or exc}") from exc
    data = _decode_json(text, source) if suffix in JSON_SUFFIXES else _decode_yaml(text, source)
    if data is None:
        raise FrameworkError(source, "", "file is empty")
    return parse_framework(data, source, source_path=path)
