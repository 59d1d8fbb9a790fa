"""Values plugins return from hooks. Each carries an ``order``; the core sorts by (order, plugin)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: Any
    url: str
    order: int = 100
    active_prefix: str | None = None  # highlight when the request path starts with this
    plugin: str = ""


@dataclass(frozen=True)
class Widget:
    title: Any
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class ReportSection:
    """A section of an audit's board report: a heading (also in the report's contents), the anchor
    ``id`` it is linked by, and a template rendered with ``section`` (so ``section.context``)."""

    title: Any
    id: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class Evidence:
    code: str
    title: Any
    summary: Any
    url: str | None = None
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: Callable
    hours: float = 24
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class Change:
    kind: str  # an hsbtrack.events.Event
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    user_id: int | None = None


@dataclass(frozen=True)
class ScanVerdict:
    """A virus scanner's refusal of an uploaded document (``hsbtrack_scan_document``): ``found`` names
    what it found (the uploader sees the name), or ``error`` says why the file could not be scanned
    (for the log only; the uploader is told to try again later). Either way the file is refused:
    scanning fails closed. ``scanner`` names the scanner in the log."""

    found: str | None = None
    error: str | None = None
    scanner: str = ""
