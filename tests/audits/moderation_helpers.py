"""Helpers for the moderation and history tests: build an audit, address its pages, read their HTML."""

import html
import re
from types import SimpleNamespace

from hsbtrack.audits import services


def make_audit(world, agencies=("Police", "Health", "Education"), name="Riverside"):
    """An area with a board manager, an agency lead (Police), a viewer, and an open audit."""
    area = world.area(name, agencies=agencies)
    board = world.user(f"board@{name.lower()}.example.org", area, "board_manager")
    first = world.agency(area, agencies[0])
    lead = world.user(f"lead@{name.lower()}.example.org", area, "agency_lead", agency=first)
    viewer = world.user(f"viewer@{name.lower()}.example.org", area, "viewer")
    audit = services.open_audit(area, user=board)
    by_name = {a.name: a for a in area.agencies}
    return SimpleNamespace(area=area, audit=audit, board=board, lead=lead, viewer=viewer, agencies=by_name)


def score(audit, agency, code, value, user=None, **kwargs):
    return services.save_response(audit, agency.id, code, score=value, user=user, **kwargs)


def matrix_url(area, audit, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/areas/{area.id}/audits/{audit.id}/moderation" + (f"?{suffix}" if suffix else "")


def statement_url(area, audit, code, action=""):
    return f"/areas/{area.id}/audits/{audit.id}/statements/{code}" + (f"/{action}" if action else "")


def text_of(fragment: str) -> str:
    """Visible-ish text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row(page: str, code: str) -> str | None:
    """The HTML of the matrix row for ``code`` (None if not shown)."""
    match = re.search(rf'<tr[^>]*data-code="{re.escape(code)}"[^>]*>(.*?)</tr>', page, re.S)
    return match.group(1) if match else None


def cell(row_html: str, col: str) -> str:
    match = re.search(rf'<td[^>]*data-col="{col}"[^>]*>(.*?)</td>', row_html, re.S)
    assert match, f"no {col} cell"
    return text_of(match.group(1))


def field_error(page: str, field: str) -> str | None:
    """The GOV.UK error message shown next to ``field`` (None if there is none)."""
    match = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return text_of(match.group(1)).removeprefix("Error:").strip() if match else None


def history_rows(page: str) -> list[str]:
    table = re.search(r'<table class="govuk-table hsb-history">(.*?)</table>', page, re.S)
    if not table:
        return []
    return [text_of(r) for r in re.findall(r'<tr class="govuk-table__row" data-entity[^>]*>(.*?)</tr>', table.group(1), re.S)]
