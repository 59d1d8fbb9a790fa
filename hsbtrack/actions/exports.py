"""The action plan as data for the plan page, the printable board paper, an XLSX workbook and a CSV file.

:func:`gather` reads the plan in a fixed number of queries whatever the number of actions, and groups it
by domain like a board paper: an action linked to statements in several domains appears under each.
Text typed by users is never run as a formula by a spreadsheet: the helpers of the audit exports
(:mod:`hsbtrack.audits.exports`) quote it.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask import Response
from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from hsbtrack.actions import services
from hsbtrack.actions.models import CLOSED_STATUSES, Action, ActionUpdate
from hsbtrack.audits.exports import (
    XLSX_DATE,
    XLSX_MIMETYPE,
    csv_date,
    csv_safe,
    long_date,
    needs_quoting,
    slugify,
)
from hsbtrack.extensions import db
from hsbtrack.timeutil import today, utcnow
from hsbtrack.views_support import term

SORTS = services.PLAN_SORTS
DEFAULT_FRAMEWORK = "nspcc-hsb-2019"
CSV_COLUMNS = ("id", "domains", "statements", "title", "description", "owner", "agency", "due_on", "priority",
               "status", "progress", "last_update_on", "last_update", "overdue", "completed_on",
               "completion_evidence")
HEADER_FILL = "DDE3EA"
DOMAIN_FILL = "EEF1F4"


def sort_labels() -> dict:
    return {"due_on": _("Due date"), "priority": _("Priority"), "status": _("Status"), "title": _("Title")}


@dataclass
class DomainGroup:
    """The actions linked to statements of one domain (``number`` None: statements no longer in the catalogue)."""

    framework: str
    number: int | None
    title: str
    actions: list = field(default_factory=list)

    def overdue(self, on) -> int:
        return sum(1 for a in self.actions if a.is_overdue(on))


PLAN_PAGE_SIZE = 50


@dataclass
class PlanData:
    area: object
    filters: services.PlanFilter
    actions: list  # every action matching the filters, once each, in the chosen order
    groups: list  # [DomainGroup] in framework order
    counts: dict  # status -> number, for the whole plan (not filtered)
    overdue_total: int  # overdue actions in the whole plan
    on: date
    lang: str | None
    last_updates: dict  # action id -> its latest ActionUpdate (exports only)
    matching: int = 0  # actions matching the filters (on every page)
    page: int = 1  # the plan page shows PLAN_PAGE_SIZE actions a page; exports and the board paper all
    pages: int = 1
    per_page: int = 50

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def filtered(self) -> bool:
        f = self.filters
        return bool(f.status or f.overdue or f.statement or f.domain or f.owner_id or f.agency_id)

    def overdue(self, action) -> bool:
        return action.is_overdue(self.on)


def _frameworks():
    from flask import current_app

    return current_app.extensions["hsbtrack_catalogue"]


def group_by_domain(actions, lang=None, only_domain=None) -> list[DomainGroup]:
    """Actions under each domain their statements belong to, domains in the framework's order."""
    catalogue = _frameworks()
    frameworks, groups = {}, {}
    for action in actions:
        slug = action.framework
        if slug not in frameworks:
            try:
                frameworks[slug] = catalogue.get(slug)
            except KeyError:
                frameworks[slug] = None
        framework = frameworks[slug]
        numbers = []
        for code in action.codes:
            try:
                number = framework.statement(code).domain_number if framework is not None else None
            except KeyError:
                number = None
            if number not in numbers:
                numbers.append(number)
        for number in numbers or [None]:
            if only_domain is not None and number != only_domain:
                continue
            key = (slug, number)
            if key not in groups:
                if number is None:
                    title = _("Statements no longer in the framework")
                else:
                    title = _("Domain %(n)d. %(title)s", n=number, title=framework.domain_title(number, lang))
                groups[key] = DomainGroup(slug, number, title)
            groups[key].actions.append(action)

    def order(key):
        slug, number = key
        return (slug != DEFAULT_FRAMEWORK, slug, number is None, number or 0)

    return [groups[key] for key in sorted(groups, key=order)]


def latest_updates(area_id) -> dict:
    """``{action_id: ActionUpdate}``: each action's latest progress update, in one query."""
    latest = (select(ActionUpdate.action_id, func.max(ActionUpdate.created_at).label("at"))
              .join(Action, Action.id == ActionUpdate.action_id).where(Action.area_id == area_id)
              .group_by(ActionUpdate.action_id).subquery())
    rows = db.session.scalars(
        select(ActionUpdate).join(latest, (latest.c.action_id == ActionUpdate.action_id)
                                  & (latest.c.at == ActionUpdate.created_at))
        .order_by(ActionUpdate.id.desc()))
    out = {}
    for row in rows:
        out.setdefault(row.action_id, row)
    return out


def gather(area, filters=None, lang=None, overdue_first=False, with_updates=False, page=None,
           per_page=PLAN_PAGE_SIZE, reader=None) -> PlanData:
    """The plan of ``area`` filtered by ``filters``, grouped by domain, with the counts of the whole plan.

    With ``page`` (from 1), only that page of ``per_page`` actions: a national-scale plan has
    hundreds, and rendering them all made the page ten times slower than a trivial one (make bench).
    ``reader``: who will read it; walled actions (and their counts) only for those who may see them.
    """
    filters = filters or services.PlanFilter()
    on = today()
    query = services.plan_query(area.id, filters, on=on, reader=reader)
    pages = 1
    if page is None:
        actions = list(db.session.scalars(query))
        matching = len(actions)
    else:
        matching = db.session.scalar(select(func.count()).select_from(
            query.order_by(None).options().with_only_columns(Action.id).subquery()))
        pages = max(1, -(-matching // per_page))
        page = min(max(1, page), pages)
        actions = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    if overdue_first:
        actions.sort(key=lambda a: not a.is_overdue(on))  # stable: keeps the chosen order within each part
    counts, overdue_total = services.counts_and_overdue(area.id, on, reader=reader)
    return PlanData(
        area=area, filters=filters, actions=actions,
        groups=group_by_domain(actions, lang, only_domain=filters.domain),
        counts=counts, overdue_total=overdue_total, on=on, lang=lang,
        last_updates=latest_updates(area.id) if with_updates else {},
        matching=matching, page=page or 1, pages=pages, per_page=per_page,
    )


# -- CSV --------------------------------------------------------------------------------------


def build_csv(data: PlanData) -> bytes:
    """One row per action (its domains listed), UTF-8 with a BOM so that Excel reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    domains = {}
    for group in data.groups:
        for action in group.actions:
            if group.number is not None:
                domains.setdefault(action.id, []).append(str(group.number))
    for action in data.actions:
        update = data.last_updates.get(action.id)
        writer.writerow([csv_safe(v) for v in (
            action.id, "; ".join(domains.get(action.id, [])), "; ".join(action.codes), action.title,
            action.description, action.owner.display_name if action.owner else "",
            action.agency.display_name if action.agency else "", csv_date(action.due_on), action.priority,
            action.status, action.progress, csv_date(update.created_at) if update else "",
            update.note if update else "", "yes" if action.is_overdue(data.on) else "no",
            csv_date(action.completed_on), action.completion_evidence,
        )])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- XLSX -------------------------------------------------------------------------------------


def _put(ws, row, column, value, *, bold=False, fill=None, wrap=True, fmt=None, size=None):
    from openpyxl.styles import Alignment, Font, PatternFill

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if needs_quoting(value):
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = True
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if fmt:
        cell.number_format = fmt
    elif isinstance(value, date):
        cell.number_format = XLSX_DATE
    return cell


def _plan_sheet(workbook, data: PlanData):
    from openpyxl.styles import Border, Side
    from openpyxl.utils import get_column_letter

    statuses, priorities = services.status_labels(), services.priority_labels()
    ws = workbook.create_sheet(_("Action plan")[:31])
    headers = [_("Domain"), _("Statements"), _("Title"), _("Description"), _("Owner"), _("Agency"), _("Due"),
               _("Priority"), _("Status"), _("Progress"), _("Last update"), _("Overdue")]
    for index, width in enumerate((28, 14, 40, 50, 24, 20, 12, 10, 13, 10, 45, 10), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _put(ws, 1, 1, _("%(area)s: action plan", area=data.area.display_name), bold=True, size=14, wrap=False)
    _put(ws, 2, 1, _("Exported %(date)s (UTC)", date=format_datetime(utcnow(), "d MMMM yyyy, HH:mm", rebase=False)), wrap=False)
    row = 4
    for column, text in enumerate(headers, start=1):
        _put(ws, row, column, text, bold=True, fill=HEADER_FILL).border = Border(bottom=Side(style="thin"))
    ws.freeze_panes = "A5"
    ws.print_title_rows = "4:4"
    for group in data.groups:
        row += 1
        for column in range(1, len(headers) + 1):
            _put(ws, row, column, group.title if column == 1 else None, bold=True, fill=DOMAIN_FILL, wrap=False)
        for action in group.actions:
            row += 1
            update = data.last_updates.get(action.id)
            last = f"{long_date(update.created_at)}: {update.note}" if update else None
            values = [group.title, ", ".join(action.codes), action.title, action.description or None,
                      action.owner.display_name if action.owner else None,
                      action.agency.display_name if action.agency else None, action.due_on,
                      priorities.get(action.priority, action.priority), statuses.get(action.status, action.status),
                      action.progress / 100, last, _("Yes") if action.is_overdue(data.on) else _("No")]
            for column, value in enumerate(values, start=1):
                _put(ws, row, column, value, fmt="0%" if column == 10 else None)
    ws.auto_filter.ref = f"A4:{get_column_letter(len(headers))}{max(row, 4)}"
    return ws


def _summary_sheet(workbook, data: PlanData):
    ws = workbook.create_sheet(_("Summary")[:31])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 12
    _put(ws, 1, 1, _("%(area)s: action plan summary", area=data.area.display_name), bold=True, size=14, wrap=False)
    _put(ws, 2, 1, term("Partnership", data.area), wrap=False)
    _put(ws, 2, 2, data.area.display_name, wrap=False)
    _put(ws, 3, 1, _("Status"), bold=True, fill=HEADER_FILL)
    _put(ws, 3, 2, _("Actions"), bold=True, fill=HEADER_FILL)
    row = 3
    for status, label in services.status_labels().items():
        row += 1
        _put(ws, row, 1, label)
        _put(ws, row, 2, data.counts.get(status, 0))
    row += 1
    _put(ws, row, 1, _("All actions"), bold=True)
    _put(ws, row, 2, data.total, bold=True)
    row += 2
    _put(ws, row, 1, _("Overdue (past due, not done or cancelled)"), bold=True)
    _put(ws, row, 2, data.overdue_total, bold=True)
    open_count = sum(n for s, n in data.counts.items() if s not in CLOSED_STATUSES)
    row += 1
    _put(ws, row, 1, _("Open (not done or cancelled)"))
    _put(ws, row, 2, open_count)
    if data.filtered:
        row += 2
        _put(ws, row, 1, _("The sheet “Action plan” shows the %(n)d actions matching the filters chosen.",
                           n=len(data.actions)), wrap=False)
    return ws


def build_xlsx(data: PlanData) -> bytes:
    """A sheet "Action plan" grouped by domain, then a sheet "Summary" (counts by status, overdue)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = _("%(area)s: action plan", area=data.area.display_name)
    workbook.properties.creator = "hsbtrack"
    _plan_sheet(workbook, data)
    _summary_sheet(workbook, data)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(area, filters, kind: str, lang=None, reader=None) -> Response:
    data = gather(area, filters, lang=lang, with_updates=True, reader=reader)
    if kind == "xlsx":
        body, mimetype = build_xlsx(data), XLSX_MIMETYPE
    else:
        body, mimetype = build_csv(data), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    name = f"{slugify(area.name)}-action-plan-{data.on.isoformat()}.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
