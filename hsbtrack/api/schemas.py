"""Request and response schemas shared by the core API resources."""

from datetime import UTC

import marshmallow as ma

from hsbtrack.security import MAX_ID


class UtcDateTime(ma.fields.DateTime):
    """Times are stored as naive UTC; the API sends them with their offset (``…+00:00``), as the
    OpenAPI ``date-time`` format (RFC 3339) requires."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Text(ma.fields.String):
    """Text a record may hold as NULL, sent as "" (the API never answers null for a text field)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return "" if value is None else super()._serialize(value, attr, obj, **kwargs)


class Count(ma.fields.Integer):
    """A number a record may hold as NULL before its first write (a version, a percentage), sent as 0."""

    def _serialize(self, value, attr, obj, **kwargs):
        return 0 if value is None else super()._serialize(value, attr, obj, **kwargs)


class Id(ma.fields.Integer):
    """An id sent by the caller: a whole number from 1 to the largest id a row can have (422 otherwise)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class FrameworkSummarySchema(ma.Schema):
    slug = ma.fields.String()
    title = ma.fields.String()
    edition = ma.fields.String()
    version = ma.fields.String()


class StatementSchema(ma.Schema):
    code = ma.fields.String()
    text = ma.fields.String()
    scored = ma.fields.Boolean()
    parent = ma.fields.String(allow_none=True)


class DomainSchema(ma.Schema):
    number = ma.fields.Integer()
    title = ma.fields.String()
    short_title = ma.fields.String()
    statements = ma.fields.List(ma.fields.Nested(StatementSchema))


class ScaleSchema(ma.Schema):
    min = ma.fields.Integer()
    max = ma.fields.Integer()
    labels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class FrameworkSchema(FrameworkSummarySchema):
    publisher = ma.fields.String()
    attribution = ma.fields.String()
    scale = ma.fields.Nested(ScaleSchema)
    domains = ma.fields.List(ma.fields.Nested(DomainSchema))


class NamedSchema(ma.Schema):
    """Regions, areas and agencies: ``name`` (their identity) and an optional Welsh name."""

    name = ma.fields.String(required=True)
    name_cy = ma.fields.String(allow_none=True, load_default=None, metadata={"description": "Welsh name, if any"})


class AgencySchema(NamedSchema):
    id = ma.fields.Integer(dump_only=True)
    area_id = ma.fields.Integer(dump_only=True)


class AreaSchema(NamedSchema):
    id = ma.fields.Integer(dump_only=True)
    region_id = Id(allow_none=True, load_default=None)
    agencies = ma.fields.List(ma.fields.Nested(AgencySchema), dump_only=True)


class RegionSchema(NamedSchema):
    id = ma.fields.Integer(dump_only=True)
    area_ids = ma.fields.List(ma.fields.Integer(), dump_only=True)


class MemberInSchema(ma.Schema):
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    agency_id = Id(allow_none=True, load_default=None)
    name = ma.fields.String(load_default="")


class MemberSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    user_id = ma.fields.Integer()
    email = ma.fields.String()
    role = ma.fields.String()
    area_id = ma.fields.Integer(allow_none=True)
    region_id = ma.fields.Integer(allow_none=True)
    agency_id = ma.fields.Integer(allow_none=True)
    created_user = ma.fields.Boolean()


class PluginSchema(ma.Schema):
    name = ma.fields.String()
    title = ma.fields.String()
    version = ma.fields.String()
    description = ma.fields.String()


class StrictBoolean(ma.fields.Boolean):
    """JSON ``true`` or ``false`` only: not 1, 0, "true" or "yes" (``1 in {True}`` in Python)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class PluginStateInSchema(ma.Schema):
    enabled = StrictBoolean(required=True)
    settings = ma.fields.Dict(keys=ma.fields.String(), load_default=None)


class PluginStateSchema(ma.Schema):
    name = ma.fields.String()
    enabled = ma.fields.Boolean()
    source = ma.fields.String(allow_none=True)
    settings = ma.fields.Dict()


class RoleSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "Role identifier, e.g. agency_lead"})
    title = ma.fields.String(metadata={"description": "The role's name in the reader's language"})
    scope = ma.fields.String(metadata={"description": "area, region or install"})
    permissions = ma.fields.List(ma.fields.String(), metadata={"description": "Permission ids, e.g. audit.read"})
