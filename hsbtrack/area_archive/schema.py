"""The area archive's schema: its version, its record types and their fields.

An archive holds, for each *record type* (``audits``, ``responses``, ``training.courses``...), one JSON file
``records/<type>.json`` of rows, each row a JSON object holding exactly the type's fields. The types come
from the hook ``hsbtrack_area_archive_types`` (the core registers its own through it, in
:mod:`hsbtrack.area_archive.core_types`; each plugin its own records), so the schema is the same list
wherever it is read: here for export and import, ``hsbtrack area schema`` and docs/area-archive.md.

Versions:

- :data:`ARCHIVE_SCHEMA_VERSION` is the version of the archive as a whole (its layout, the manifest, the
  core's types). An install reads archives of its own version and older ones; it refuses a newer one.
- Each record type has its own ``version`` too (a plugin changes its records without waiting for the core);
  an archive's type newer than this install's is refused the same way.

A change that removes or renames a field, or changes what a value means, is a new version; adding a type is
not (an older install refuses an archive holding rows of a type it does not know, naming it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from hsbtrack.errors import ServiceError

ARCHIVE_SCHEMA_VERSION = 1
FORMAT = "hsbtrack-area-archive"
MANIFEST = "manifest.json"
HOOK = "hsbtrack_area_archive_types"

# The kinds of value a field holds, as JSON: "id" and "int" numbers (whole), "float" a number, "bool" true or
# false, "text" a string, "date" "2026-03-31", "datetime" "2026-03-31T09:30:00" (UTC, no offset), "json" any
# JSON value (settings, lists of codes).
KINDS = ("id", "int", "float", "bool", "text", "date", "datetime", "json")


class ArchiveError(ServiceError):
    """The archive cannot be imported (or an area cannot be exported): nothing was saved. ``fields`` names
    the form field it belongs to (``file``, or ``name`` for an area name already taken)."""


def archive_error(message, field_name: str = "file") -> ArchiveError:
    return ArchiveError(str(message), {field_name: str(message)})


@dataclass(frozen=True)
class Field:
    """One field of a record type's rows.

    - ``name``: the key in each row (for a model's column, the column's name);
    - ``kind``: one of :data:`KINDS`;
    - ``ref``: for a field holding the ``id`` of another record of the archive, that record's type
      (``"audits"``, ``"users"``, ``"area"``): the importer replaces it by the new record's id;
    - ``nullable``: whether the value may be ``null``;
    - ``doc``: what it means (docs/area-archive.md).
    """

    name: str
    kind: str
    doc: str = ""
    ref: str | None = None
    nullable: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")


def key(doc: str = "the record's id in the exporting install (other rows refer to it)") -> Field:
    return Field("id", "id", doc)


def ref(name: str, target: str, doc: str = "", nullable: bool = False) -> Field:
    return Field(name, "id", doc or f"the {target} record it belongs to (its ``id``)", ref=target, nullable=nullable)


def col(name: str, kind: str, doc: str = "", nullable: bool = False) -> Field:
    return Field(name, kind, doc, nullable=nullable)


@dataclass(frozen=True)
class RecordType:
    """A kind of record of an area in the archive (``hsbtrack_area_archive_types``).

    - ``name``: unique, ``<plugin>.<what>`` for a plugin's (``training.courses``); the core's have no prefix.
      Its rows are ``records/<name>.json`` (and ``csv/<name>.csv``).
    - ``title``: one line saying what it holds (docs).
    - ``fields``: its :class:`Field`\\ s; the first is ``id`` (:func:`key`).
    - ``export_rows(area, context) -> iterable of dicts``: the area's rows, each with every field (Python
      values: ``date``, ``datetime``...; the archive writes them as JSON). ``context`` is an
      :class:`hsbtrack.area_archive.export.ExportContext` (``attach`` a file; ``needs_plugin``).
    - ``import_rows(area, rows, context)``: insert the rows (already checked against the fields and turned
      into Python values) into the new ``area``, in the importer's one transaction: replace every ``ref``
      field with ``context.new_id(type, old id)`` and record each row's new id with
      ``context.set_id(name, old id, new id)`` so that later types find it (:func:`hsbtrack.area_archive.rows.insert_rows`
      does both for a model's rows). Never commit. ``context.note(text)`` tells the person importing
      something they should know (a link left out).
    - ``version``: this type's own version (see the module text).
    - ``history_entities``: the history's ``entity`` names whose ``entity_id`` is an id of this type
      (``"action"`` for ``actions``), or of another type named after ``=`` (``"training_settings=area"``):
      imported history entries then point at the new records (the others at 0).
    - ``order``: types are exported and imported in (order, plugin) order, then in the order the hook
      listed them: a type comes after every type it refers to.
    - ``model``: the model its rows are (optional): a test checks that every column of it is a field or is
      named in ``left_out`` (a column added later must be decided on: carried, or left out on purpose).
    - ``left_out``: ``{column: why}`` for the model's columns the archive does not carry.
    """

    name: str
    title: str
    fields: tuple
    export_rows: Callable
    import_rows: Callable | None
    version: int = 1
    history_entities: tuple = ()
    order: int = 100
    plugin: str = ""
    model: object = None
    left_out: dict = field(default_factory=dict)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def refs(self) -> dict[str, str]:
        return {f.name: f.ref for f in self.fields if f.ref}


def record_types() -> list[RecordType]:
    """Every record type of the core and the loaded plugins, in import order, each stamped with its plugin
    (``""`` for the core's)."""
    from dataclasses import replace

    from hsbtrack.plugins.services import registry

    found = []
    names = set()
    for item in registry().collect(HOOK):
        plugin = item.plugin if registry().is_plugin(item.plugin) else ""
        item = replace(item, plugin=plugin)
        if item.name in names:
            raise RuntimeError(f"two area archive record types are called {item.name!r}")
        if not item.fields or item.fields[0].name != "id":
            raise RuntimeError(f"area archive record type {item.name!r}: its first field must be its id")
        names.add(item.name)
        found.append(item)
    return found


def types_by_name() -> dict[str, RecordType]:
    return {t.name: t for t in record_types()}


# -- values ----------------------------------------------------------------------------------------


def dump_value(kind: str, value):
    """A Python value as the archive writes it (JSON)."""
    if value is None:
        return None
    if kind == "datetime":
        return value.replace(tzinfo=None).isoformat() if isinstance(value, datetime) else str(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "float":
        return float(value)
    return value


def dump_row(record_type: RecordType, row: dict) -> dict:
    return {f.name: dump_value(f.kind, row.get(f.name)) for f in record_type.fields}


class BadValue(ValueError):
    pass


def load_value(item: Field, value):
    """A JSON value of the archive as a Python value for ``item`` (:class:`BadValue` when it is not one)."""
    if value is None:
        if item.nullable:
            return None
        raise BadValue(_("it is empty"))
    kind = item.kind
    if kind in ("id", "int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(_("it is not a whole number"))
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BadValue(_("it is not a number"))
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise BadValue(_("it is not true or false"))
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise BadValue(_("it is not text"))
        if "\x00" in value:
            raise BadValue(_("it holds the NUL character"))
        return value
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise BadValue(_("it is not a date (YYYY-MM-DD)")) from None
    if kind == "datetime":
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise BadValue(_("it is not a date and time")) from None
        return parsed.replace(tzinfo=None)
    return value  # json


def load_rows(record_type: RecordType, rows) -> list[dict]:
    """The rows of one type's file, checked (each an object with exactly the type's fields, each value of its
    kind, ids unique) and turned into Python values; :class:`ArchiveError` naming the first problem."""
    if not isinstance(rows, list):
        raise archive_error(_("The archive is damaged: the records of %(type)s are not a list", type=record_type.name))
    wanted = set(record_type.field_names)
    seen = set()
    out = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise archive_error(_("The archive is damaged: record %(n)d of %(type)s is not an object",
                                  n=number, type=record_type.name))
        keys = set(row)
        if keys != wanted:
            problem = sorted(wanted - keys) or sorted(keys - wanted)
            raise archive_error(_("The archive is damaged: record %(n)d of %(type)s does not have the fields of its "
                                  "type (%(fields)s)", n=number, type=record_type.name, fields=", ".join(problem)))
        loaded = {}
        for item in record_type.fields:
            try:
                loaded[item.name] = load_value(item, row[item.name])
            except BadValue as error:
                raise archive_error(_("The archive is damaged: record %(n)d of %(type)s, field %(field)s: %(problem)s",
                                      n=number, type=record_type.name, field=item.name, problem=str(error))) from None
        if loaded["id"] in seen:
            raise archive_error(_("The archive is damaged: two records of %(type)s have the id %(id)s",
                                  type=record_type.name, id=loaded["id"]))
        seen.add(loaded["id"])
        out.append(loaded)
    return out


# -- the schema as documentation ------------------------------------------------------------------------


def type_markdown(record_type: RecordType) -> str:
    """The Markdown section docs/area-archive.md has for one type (checked by a test)."""
    source = f"the {record_type.plugin} plugin" if record_type.plugin else "the core"
    lines = [f"### `{record_type.name}` (version {record_type.version}, {source})", "", record_type.title, "",
             "| field | kind | refers to | may be null | meaning |", "| --- | --- | --- | --- | --- |"]
    for item in record_type.fields:
        lines.append(f"| `{item.name}` | {item.kind} | {f'`{item.ref}`' if item.ref else ''} | "
                     f"{'yes' if item.nullable else ''} | {item.doc} |")
    if record_type.history_entities:
        lines += ["", "History entries about it: " + ", ".join(f"`{e}`" for e in record_type.history_entities) + "."]
    return "\n".join(lines)


def schema_markdown(types: Iterable[RecordType] | None = None) -> str:
    """Every record type's section, in import order."""
    types = record_types() if types is None else types
    return f"Archive schema version {ARCHIVE_SCHEMA_VERSION}.\n\n" + "\n\n".join(type_markdown(t) for t in types) + "\n"
