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


@dataclass(frozen=True)
class NarrativeSection:
    """One section of a yearly report that people write (``hsbtrack_yearly_report_kinds``): its ``key`` (stable:
    the saved text is kept under it, so never rename one), its ``heading`` and a ``hint`` saying what to write
    (lazy strings: shown in the reader's language)."""

    key: str
    heading: Any
    hint: Any = ""


@dataclass(frozen=True)
class YearlyReportKind:
    """A kind of yearly report (``hsbtrack_yearly_report_kinds``): the England partnership's yearly report
    (the core's own), a Welsh board's annual report or plan, a Scottish committee's self-evaluation...

    - ``name``: install-wide id, ``<plugin or country>.<what>`` (``england.yearly``); stored on each report.
    - ``scope``: ``"area"`` (a report of one area: a partnership, a committee) or ``"region"`` (of a region:
      a Welsh regional board). Area kinds use the area's routes (``/areas/<id>/yearly-reports/``), region kinds
      the region's (``/regions/<id>/yearly-reports/``).
    - ``title()``: its name in the reader's language (a callable: the kind is made once, read in many languages).
    - ``sections``: the narrative sections, in order (:class:`NarrativeSection`).
    - ``assemble(report, user) -> dict``: the *data draft* for the report's period, as ``user`` may read it
      (leave out what they may not: the file made from it is theirs only). Runs in a request context with
      ``user`` signed in and their language forced. Its dict is the context of ``draft_template``.
    - ``draft_template``: renders the draft (read-only) on the report page and in its PDF and Word files;
      the context holds ``report``, ``kind``, ``place`` (the area or region), ``draft`` (what ``assemble``
      returned) and ``print`` (True in the files). Plain HTML: headings, ``<table>``, ``<p>``, ``<ul>`` (the
      Word file reads these).
    - ``print_template``: the whole paper (default ``yearly_reports/print.html``, which shows the narrative
      sections then the draft; a kind may extend it).
    - ``read_permission`` / ``write_permission``: what reading and writing a report of this kind need, in its
      area (area kinds: default ``audit.read`` and ``area.manage``) or region (region kinds: give region
      permissions, e.g. ``region.view`` and ``region.manage``).
    - ``applies(place) -> bool``: whether the kind is offered in that area or region (default: everywhere the
      kind's plugin is on). A plugin's kind is offered only where the plugin is enabled (for region kinds:
      enabled for the whole region).
    """

    name: str
    scope: str
    title: Callable
    sections: tuple
    assemble: Callable
    draft_template: str
    print_template: str = "yearly_reports/print.html"
    read_permission: str = "audit.read"
    write_permission: str = "area.manage"
    applies: Callable | None = None
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class DataBlock:
    """A block of figures in a yearly report's data draft (``hsbtrack_yearly_report_data``): a ``title``, an
    ``id`` (the anchor), optional ``paragraphs`` (text) and a table (``columns``: headers; ``rows``: lists of
    cells, already formatted for the reader). ``numeric`` names the columns (by index) to align right."""

    title: Any
    id: str
    paragraphs: tuple = ()
    columns: tuple = ()
    rows: tuple = ()
    numeric: tuple = ()
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class AuditSet:
    """A set of audits an organisation may answer once in a shared return
    (``hsbtrack_shared_return_audit_sets``): a stable ``key`` (``regional:round:3``), the ``title``
    people see, the ``framework`` slug and the ``audit_ids`` (the core keeps only those of the
    organisation's linked areas that are open and where its agency takes part)."""

    key: str
    title: Any
    framework: str
    audit_ids: tuple = ()
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class PersonalData:
    """One part of a subject access export (``hsbtrack_personal_data``): what is held about the person of one
    kind. ``key`` names its files in the ZIP (``<key>.csv``; ``training.completions``); ``title`` and ``note``
    are read by people (lazy strings: the export is written in the person's language); ``columns`` are
    ``(key, label)`` pairs and ``rows`` tuples of cells in that order (text, numbers, dates or None)."""

    key: str
    title: Any
    columns: tuple = ()
    rows: tuple = ()
    note: Any = ""
    order: int = 100
    plugin: str = ""


@dataclass(frozen=True)
class RetentionItem:
    """A record a retention rule finds due (``RetentionRule.due``): ``key`` identifies it to the rule's
    ``delete`` (a record id, as text), ``area_id`` its area (None: install-wide), ``label`` what the
    administrator reads in the retention review (no one's name: "Case RIV-7", "Training record 12") and
    ``since`` the day its clock started (a case's closing, a person's leaving)."""

    key: str
    area_id: int | None
    label: str
    since: Any = None


@dataclass(frozen=True)
class RetentionRule:
    """How long one type of record is kept (``hsbtrack_retention_rules``).

    - ``name``: install-wide id (``<plugin or core>.<records>``); ``HSBTRACK_RETENTION_<NAME>`` (upper case,
      dots as underscores) sets the install's own period.
    - ``title``, ``description``: what the records are and when their clock starts (lazy strings).
    - ``default``: the period when the install sets none, as ``6y``, ``18m`` or ``90d`` (documented in
      docs/privacy.md for the data protection officer to confirm or change); ``never`` keeps them.
    - ``due(cutoff) -> list[RetentionItem]``: the records whose clock started before ``cutoff`` (naive UTC).
    - ``delete(keys) -> list[str]``: delete those records and everything made from them (their history
      entries too), flushing, never committing; return the storage keys of files to remove after the commit.
    """

    name: str
    title: Any
    default: str
    description: Any
    due: Callable
    delete: Callable
    order: int = 100
    plugin: str = ""
