"""``{"error": {"code", "message", "fields"}}`` for every API error."""

import marshmallow as ma
from flask import jsonify
from flask_smorest import Api

from hsbtrack.errors import ServiceError


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ProblemSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "missing_return, unsigned_return, stale_moderation or unscored"})
    message = ma.fields.String()
    code = ma.fields.String(allow_none=True, metadata={"description": "The statement, for a statement's problem"})
    agency_id = ma.fields.Integer(allow_none=True, metadata={"description": "The agency, for a return's problem"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)
    current = ma.fields.Dict(metadata={"description": "With a 409 about one record: that record as it now is, "
                                                      "in the shape its GET answers (send its version to retry)"})
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema), metadata={
        "description": "With a 409 from closing an audit: what is outstanding (send override_reason to close anyway)"})


def error_code(status: int) -> str:
    """The ``code`` of a JSON error body for an HTTP status."""
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "too_large", 422: "invalid"}.get(status, "server_error")


def error_response(status: int, code: str, message: str, fields: dict | None = None, current=None, problems=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    if current is not None:
        body["current"] = current
    if problems is not None:
        body["problems"] = ProblemSchema(many=True).dump(problems)
    return jsonify(body), status


# How each kind of record is written in a 409's ``current`` (each feature's API registers its own).
_CURRENT_WRITERS: dict[type, object] = {}


def conflict_shows(model: type, write) -> None:
    """``write(record) -> dict``: how a 409 about a ``model`` record shows that record."""
    _CURRENT_WRITERS[model] = write


def _flatten_messages(messages) -> dict:
    """webargs gives ``{"json": {"name": ["msg"]}}``; the API promises ``{"name": "msg"}``."""
    fields = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            if value and all(isinstance(v, str) for v in value):
                fields[prefix or "_schema"] = " ".join(value)
            else:
                for index, inner in enumerate(value):
                    walk(f"{prefix}.{index}", inner)
        else:
            fields[prefix or "_schema"] = str(value)

    for location, content in (messages or {}).items():
        if location in {"json", "query", "form", "view_args", "files", "headers"}:
            walk("", content)
        else:
            walk(location, content)
    return fields


def api_http_error(error):
    """Turn an HTTPException raised in an API view (abort, webargs validation) into our format."""

    status = getattr(error, "code", 500) or 500
    data = getattr(error, "data", None) or {}
    fields = _flatten_messages(data.get("messages")) if "messages" in data else {}
    message = data.get("message") or getattr(error, "description", "") or "Error"
    if status == 422 and fields:
        message = "The request has invalid fields"
    return error_response(status, error_code(status), str(message), fields)


def service_error(error: ServiceError):
    record = getattr(error, "current", None)
    write = _CURRENT_WRITERS.get(type(record))
    return error_response(error.status, error.code, error.message, error.fields,
                          current=write(record) if write is not None else None,
                          problems=getattr(error, "problems", None))


class HsbApi(Api):
    """flask-smorest, with hsbtrack's error format instead of its app-wide HTTPException handler.

    ``hsbtrack.api.errors`` registers handlers that answer JSON under /api/ and HTML elsewhere.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass
