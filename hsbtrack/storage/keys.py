"""Storage keys: made by the caller from record ids and a random part, checked here all the same."""

import re

_KEY = re.compile(r"[A-Za-z0-9/_.-]{1,512}")


class InvalidKey(ValueError):
    """A key that could leave the store's root or name something other than a stored object."""


def validate_key(key: str) -> str:
    """``key`` unchanged when it is safe; :class:`InvalidKey` otherwise.

    Only ``[A-Za-z0-9/_.-]``; no absolute path, no empty, ``.`` or ``..`` segment, and no segment
    starting with a dot (the local store's temporary files start with one)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    for segment in key.split("/"):
        if segment == "" or segment.startswith("."):
            raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key's leading characters (may end with ``/``)."""
    if prefix == "":
        return prefix
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix
