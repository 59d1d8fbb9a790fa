"""What kinds of job there are. The runner (:mod:`hsbtrack.jobs.services`) knows no feature: a feature
registers each kind of its papers here, from its own module, the way documents' kinds are registered
(:mod:`hsbtrack.documents.kinds`). The audits feature registers ``audit.report`` (the board report as PDF
and Word, :mod:`hsbtrack.audits.report_files`); later kinds (yearly reports, the inspection pack) and
plugins register theirs the same way.

A kind says

- ``run(job, user, progress) -> Result``: make the file (bytes, or a temporary file for a large one), *as* ``user`` (the person who asked: a request
  context is open with them signed in and their language forced, so the file holds only what they may
  read, in their language). ``progress(percent, message="")`` records how far it is (and is the heartbeat);
- ``permission``: the permission that reading every part of the result needs, in the job's area (or
  region); the job routes name ``audit.read`` and map it to this one (``Target.permission_for``). A kind
  whose jobs need different permissions (a yearly report of an area or of a region) gives a callable
  ``permission(job) -> str`` instead;
- ``may_run(job, user) -> bool``: checked again when the job starts (the person may have lost the right);
- ``title(job) -> str``: what the job page calls it, in the reader's language.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """The file a kind made: its bytes (``data``), or — for a large file (the inspection pack) — ``path``, a
    temporary file the runner streams into storage and then deletes (``data`` is then ``None``)."""

    data: bytes | None
    filename: str
    content_type: str
    path: str | None = None


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable
    permission: str | Callable
    title: Callable
    may_run: Callable = lambda job, user: True
    # where the job page sends the reader back to (``back(job) -> (text, url)``), or None
    back: Callable | None = None

    def permission_for(self, job) -> str:
        """The permission reading this job's file needs (``permission``, or what it answers for ``job``)."""
        return self.permission(job) if callable(self.permission) else self.permission


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind | None:
    return _KINDS.get(name)
