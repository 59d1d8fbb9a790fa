"""Data for the action-plan page tests: Riverside with a board manager, an owner, a viewer and an audit
with findings; Zebrafield, another area with its own action."""

import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import func, select

from tests.conftest import OPENED_EARLIER

# T1 scores (Police, Health) and the finding each one makes (agreed = lowest; threshold 1; spread >= 2).
T1_SCORES = {
    "1.1": (0, 3),  # low and a disagreement
    "1.2": (1, 1),  # low
    "1.3": (1, 2),  # low
    "1.4": (2, 4),  # agencies disagree
    "1.5": (0, 0),  # low
    "2.2": (3, 3),  # no finding
    "3.1": (3, 4),  # no finding
}


class PageScene:
    def __init__(self, world, close_t1=False):
        from hsbtrack.actions import services as actions
        from hsbtrack.audits import services as audits

        self.actions = actions
        self.audits = audits
        self.world = world
        self.area = world.area("Riverside")
        self.police = world.agency(self.area, "Police")
        self.health = world.agency(self.area, "Health")
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.owner = world.user("owner@example.org", self.area, "agency_lead", agency=self.police)
        self.owner.name = "Olu Owner"
        self.viewer = world.user("viewer@example.org", self.area, "viewer")
        self.other_area = world.area("Zebrafield", agencies=("Zebra Police",))
        self.outsider = world.user("board@zebrafield.example", self.other_area, "board_manager")
        self.audit = audits.open_audit(self.area, agency_ids=[self.police.id, self.health.id], user=self.board, opened_at=OPENED_EARLIER)
        for code, (police, health) in T1_SCORES.items():
            audits.save_response(self.audit, self.police.id, code, score=police, user=self.board)
            audits.save_response(self.audit, self.health.id, code, score=health, user=self.board)
        # Moderated: 3.1 stays at the lowest score, with a note.
        audits.set_agreed_score(self.audit, "3.1", 3, "Agreed at the moderation meeting", user=self.board)
        self.other_action = actions.create_action(
            self.other_area, title="Zebrafield secret", owner=self.outsider, due_on=date(2030, 1, 1),
            statements=["2.2"], user=self.outsider)
        if close_t1:
            audits.close_audit(self.audit, user=self.board, completed_on=date.today() - timedelta(days=190), override_reason="closed as the test sets it up")

    def action(self, **overrides):
        values = dict(title="Train school staff", owner=self.owner, due_on=date.today() + timedelta(days=60),
                      statements=["1.1"], user=self.board)
        values.update(overrides)
        return self.actions.create_action(self.area, **values)

    def open_t2(self, scores):
        """Close T1 (if open) and open T2 with ``{code: (police, health)}``."""
        if self.audit.is_open:
            self.audits.close_audit(self.audit, user=self.board, completed_on=date.today() - timedelta(days=190), override_reason="closed as the test sets it up")
        t2 = self.audits.open_audit(self.area, agency_ids=[self.police.id, self.health.id], user=self.board, opened_at=OPENED_EARLIER)
        for code, (police, health) in scores.items():
            self.audits.save_response(t2, self.police.id, code, score=police, user=self.board)
            self.audits.save_response(t2, self.health.id, code, score=health, user=self.board)
        return t2


def date_fields(name, day):
    """A GOV.UK date input's three boxes, posted under one name."""
    return {name: [str(day.day), str(day.month), str(day.year)]}


def counts():
    """Rows of every table an action page could write to."""
    from hsbtrack.actions.models import Action, ActionStatement, ActionUpdate, FindingDecision
    from hsbtrack.areas.models import Membership
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Action, ActionStatement, ActionUpdate, FindingDecision, HistoryEntry, User, Membership)}


def text_of(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def error_next_to(response, field_id) -> str:
    """The GOV.UK error message rendered for ``field_id`` (its ``<p id="<field_id>-error">``)."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<p id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', html, flags=re.S)
    assert match, f"no error message next to {field_id}"
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()
