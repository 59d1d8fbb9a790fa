"""Checklist definitions (data files, like the frameworks) and their loader.

A checklist file is YAML: ``slug``, ``version``, ``title``, ``kind`` (``school`` or
``partnership``) and ``areas``; each area has a ``key``, a ``title``, the audit ``statements`` it
gives evidence for and ``items`` (``code``, ``text``, optional ``statements``). A school checklist
has exactly the four Beyond Referrals areas. Pure data: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent / "checklists"
AREA_KEYS = ("structures", "prevention", "identification", "response")
KINDS = ("school", "partnership")
CODE_RE = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")
STATEMENT_RE = re.compile(r"^[1-5]\.[1-8][a-c]?$")
FILES = {"school": HERE / "school-self-assessment.yaml", "partnership": HERE / "partnership-checklist.yaml"}


class ChecklistError(ValueError):
    """A checklist file breaks a rule; the message names the file and the place."""


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    area: str
    statements: tuple[str, ...] = ()
    local: bool = False
    translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    statements: tuple[str, ...]
    items: tuple[Item, ...] = field(default_factory=tuple)
    translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Checklist:
    slug: str
    version: str
    title: str
    kind: str
    areas: tuple[Area, ...]
    translations: tuple[tuple[str, str], ...] = ()

    @property
    def items(self) -> list[Item]:
        return [item for area in self.areas for item in area.items]

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def area(self, key: str) -> Area:
        for area in self.areas:
            if area.key == key:
                return area
        raise KeyError(key)

    def localised(self, lang: str | None) -> Checklist:
        """This checklist with its texts in ``lang`` where the file translates them (else English)."""
        if not lang or lang == "en":
            return self

        def pick(text, translations):
            return dict(translations).get(lang, text)

        areas = tuple(replace(a, title=pick(a.title, a.translations),
                              items=tuple(replace(i, text=pick(i.text, i.translations)) for i in a.items))
                      for a in self.areas)
        return replace(self, title=pick(self.title, self.translations), areas=areas)

    def with_local(self, local_items) -> Checklist:
        """This checklist with an area's own items (``(area_key, code, text)``) added at the end of
        their area."""
        extra: dict[str, list[Item]] = {}
        for area_key, code, text in local_items:
            extra.setdefault(area_key, []).append(Item(code, text, area_key, (), True))
        areas = tuple(replace(a, items=a.items + tuple(extra.get(a.key, ()))) for a in self.areas)
        return replace(self, areas=areas)


def _fail(source, where, message):
    raise ChecklistError(f"{source}: {where}: {message}")


def _text(value, source, where, name) -> str:
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        _fail(source, where, f"'{name}' is missing or empty")
    return " ".join(str(value).split())


def _translations(value, source, where) -> tuple[tuple[str, str], ...]:
    """``translations: {cy: "..."}``: a language code to the translated text."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        _fail(source, where, "'translations' must map a language code (like cy) to the translated text")
    result = []
    for lang, text in value.items():
        if not isinstance(lang, str) or not re.match(r"^[a-z]{2}$", lang):
            _fail(source, where, f"translation language {lang!r} must be a two-letter code like \"cy\"")
        result.append((lang, _text(text, source, where, f"translations.{lang}")))
    return tuple(result)


def _statements(value, source, where) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        _fail(source, where, "'statements' must be a list of audit statement codes")
    codes = []
    for code in value:
        if not isinstance(code, str) or not STATEMENT_RE.match(code):
            _fail(source, where, f"{code!r} is not an audit statement code like \"3.6\"")
        codes.append(code)
    return tuple(codes)


def parse(data, source="<checklist>") -> Checklist:
    """Validate a loaded document and build the :class:`Checklist`; :class:`ChecklistError` if wrong."""
    if not isinstance(data, dict):
        _fail(source, "top level", "expected a mapping with slug, version, title, kind and areas")
    slug = _text(data.get("slug"), source, "top level", "slug")
    version = _text(data.get("version"), source, "top level", "version")
    title = _text(data.get("title"), source, "top level", "title")
    kind = data.get("kind")
    if kind not in KINDS:
        _fail(source, "top level", f"'kind' must be one of {', '.join(KINDS)}")
    raw_areas = data.get("areas")
    if not isinstance(raw_areas, list) or not raw_areas:
        _fail(source, "top level", "'areas' must be a non-empty list")
    areas, seen = [], set()
    for i, raw in enumerate(raw_areas, start=1):
        where = f"area {i}"
        if not isinstance(raw, dict):
            _fail(source, where, "expected a mapping with key, title and items")
        key = raw.get("key")
        if key not in AREA_KEYS:
            _fail(source, where, f"'key' must be one of {', '.join(AREA_KEYS)}")
        if key in {a.key for a in areas}:
            _fail(source, where, f"area {key!r} appears twice")
        area_title = _text(raw.get("title"), source, where, "title")
        statements = _statements(raw.get("statements"), source, where)
        raw_items = raw.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            _fail(source, where, "'items' must be a non-empty list")
        items = []
        for j, raw_item in enumerate(raw_items, start=1):
            item_where = f"{where} ({key}), item {j}"
            if not isinstance(raw_item, dict):
                _fail(source, item_where, "expected a mapping with code and text")
            code = raw_item.get("code")
            if not isinstance(code, str) or not CODE_RE.match(code):
                _fail(source, item_where, f"'code' {code!r} must be letters then digits, like \"S1\"")
            if code in seen:
                _fail(source, item_where, f"code {code!r} is used twice")
            seen.add(code)
            text = _text(raw_item.get("text"), source, item_where, "text")
            own = _statements(raw_item.get("statements"), source, item_where)
            items.append(Item(code, text, key, own or statements, False,
                              _translations(raw_item.get("translations"), source, item_where)))
        areas.append(Area(key, area_title, statements, tuple(items), _translations(raw.get("translations"), source, where)))
    if kind == "school" and tuple(a.key for a in areas) != AREA_KEYS:
        _fail(source, "areas", "a school checklist has the four areas in this order: " + ", ".join(AREA_KEYS))
    return Checklist(slug, version, title, kind, tuple(areas), _translations(data.get("translations"), source, "top level"))


def load(path) -> Checklist:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ChecklistError(f"{path}: cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ChecklistError(f"{path}: is not valid YAML: {error}") from None
    return parse(data, str(path))


@cache
def shipped(kind: str) -> Checklist:
    """The checklist of ``kind`` shipped with the plugin (loaded once)."""
    return load(FILES[kind])
