"""What a record type is usually built from: a model's rows read for an area, and inserted again in the new
area with every reference remapped (the core's types and the plugins' use these).

Example, a plugin's type for a table with ``id``, ``area_id``, ``title`` and ``course_id``::

    FIELDS = (key(), ref("area_id", "area"), col("title", "text", "the title"),
              ref("course_id", "training.courses"))
    COURSE_LINKS = model_type("training.links", Link, FIELDS, lambda area: Link.area_id == area.id,
                              title="Links between courses")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import bindparam, insert, select, update

from hsbtrack.area_archive.schema import Field, RecordType
from hsbtrack.extensions import db

BATCH = 1000


class SkipRow(Exception):  # noqa: N818  (a signal, not an error)
    """Raised by ``context.new_id`` for a row that refers to a record left out of the import (a plugin's,
    when the person importing chose to import without it): the row is left out too."""


def model_rows(model, fields, criterion, order_by=None) -> Iterator[dict]:
    """The rows of ``model`` matching ``criterion``, as dicts of the ``fields`` that are its columns, read in
    batches (a large area's history is never all in memory at once), by id."""
    table = model.__table__
    columns = [table.c[f.name] for f in fields if f.name in table.c]
    statement = select(*columns).where(criterion).order_by(*(order_by or (table.c.id,)))
    result = db.session.execute(statement.execution_options(yield_per=BATCH))
    for row in result.mappings():
        yield dict(row)


def insert_rows(model, type_name: str, fields, rows, context, values: Callable | None = None) -> int:
    """Insert ``rows`` (checked, Python values) into ``model``'s table; return how many.

    Every field that is a column of the table is written, except ``id`` (the database gives a new one); a
    ``ref`` field is remapped through ``context.new_id`` — a reference to the type itself (``audits.previous_id``)
    once every row is in. ``values(row, context) -> dict`` adds or replaces columns (virtual fields, a
    record's storage key). Each row's new id is recorded with ``context.set_id(type_name, old, new)``. A row
    whose required reference was left out (``SkipRow``) is left out too, and so are the rows that refer to it.
    """
    table = model.__table__
    columns = [f for f in fields if f.name != "id" and f.name in table.c]
    own_refs = [f for f in columns if f.ref == type_name]
    params, kept = [], []
    for row in rows:
        try:
            out = {}
            for item in columns:
                value = row[item.name]
                if item.ref == type_name:
                    value = None  # (set below, once every row has its new id)
                elif item.ref:
                    value = context.new_id(item.ref, value, nullable=item.nullable, field=f"{type_name}.{item.name}")
                out[item.name] = value
            if values is not None:
                out.update(values(row, context))
        except SkipRow:
            context.skip(type_name, row["id"])
            continue
        params.append(out)
        kept.append(row)
    for start in range(0, len(params), BATCH):
        chunk = params[start:start + BATCH]
        new_ids = db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                     chunk).scalars().all()
        for row, new in zip(kept[start:start + BATCH], new_ids, strict=True):
            context.set_id(type_name, row["id"], new)
    for item in own_refs:
        changes = [{"row_id": context.new_id(type_name, row["id"]),
                    "value": context.new_id(type_name, row[item.name], nullable=True, field=f"{type_name}.{item.name}")}
                   for row in kept if row[item.name] is not None]
        if changes:
            db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                               .values({item.name: bindparam("value")}), changes)
    return len(kept)


def model_type(name: str, model, fields: tuple[Field, ...], where: Callable, *, title: str, order: int = 100,
               history_entities: tuple = (), version: int = 1, left_out: dict | None = None) -> RecordType:
    """A record type for a model read and written as it is: the area's rows are those ``where(area)``
    selects (a SQL condition), every field a column of the model."""

    def export_rows(area, context):
        return model_rows(model, fields, where(area))

    def import_rows(area, rows, context):
        return insert_rows(model, name, fields, rows, context)

    return RecordType(name, title, tuple(fields), export_rows, import_rows, version=version,
                      history_entities=tuple(history_entities), order=order, model=model, left_out=dict(left_out or {}))
