"""Errors raised by services. Views show them next to fields; the API turns them into JSON."""


class ServiceError(Exception):
    """Input broke a rule. ``fields`` maps field names to messages; nothing has been saved."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}

    @classmethod
    def field(cls, name: str, message):
        return cls(str(message), {name: str(message)})


class ConflictError(ServiceError):
    """Someone else changed the record since it was read (optimistic locking), or a duplicate.

    ``current``: the record as it now is, when the conflict is about one (the API returns it with
    the 409 so that the client can show both values and try again)."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, fields: dict | None = None, current=None):
        super().__init__(message, fields)
        self.current = current


class ForbiddenError(ServiceError):
    """The caller may see the record but not make this change (a 403, never a field error)."""

    status = 403
    code = "forbidden"


class NotFoundError(ServiceError):
    status = 404
    code = "not_found"


def nul_message() -> str:
    """PostgreSQL text cannot hold the NUL character (and nobody types one): every text a person sends is
    refused with this message at its field — forms (hsbtrack.forms.FlaskForm), text read by services
    (:func:`refuse_nul`), the API (hsbtrack.api.auth)."""
    from flask_babel import gettext as _

    return _("Text cannot contain the NUL character (0x00)")


def refuse_nul(text: str, field: str) -> str:
    if "\x00" in text:
        raise ServiceError.field(field, nul_message())
    return text
