"""The business events plugins hear about: one name per event, each documented here.

A service sends an event after its transaction commits, with :func:`hsbtrack.plugins.services.emit`;
it reaches the ``hsbtrack_record_saved(area, record, change)`` hook of the plugins enabled in that
area only (pretix's rule: a tenant's plugins hear the tenant's events). ``change.kind`` is one of
these; ``change.before`` and ``change.after`` hold the fields that changed.
"""

from enum import StrEnum


class Event(StrEnum):
    RESPONSE_SCORED = "response_scored"
    """An agency's answer to a statement changed (score, evidence or assurance). Record: the
    :class:`~hsbtrack.audits.models.Response`."""

    AGREED_SCORE_SET = "agreed_score_set"
    """Moderation set a statement's agreed score, or reset it to the lowest agency score. Record: the
    :class:`~hsbtrack.audits.models.AgreedScore` (deleted, for a reset)."""

    AGENCY_SUBMITTED = "agency_submitted"
    """An agency said its scores are complete. Record: the :class:`~hsbtrack.audits.models.AuditAgency`."""

    RETURN_SIGNED_OFF = "return_signed_off"
    """A senior officer of the agency signed its submitted return off (where the area asks for it):
    the return is final. Record: the :class:`~hsbtrack.audits.models.AuditAgency`."""

    AUDIT_OPENED = "audit_opened"
    """An audit was opened (T1, or a re-audit: ``after["previous_id"]`` is the audit it follows). Record:
    the :class:`~hsbtrack.audits.models.Audit`."""

    AUDIT_CLOSED = "audit_closed"
    """An audit was closed: its figures are final. Record: the :class:`~hsbtrack.audits.models.Audit`
    (``after["override_reason"]`` when it was closed with problems outstanding)."""

    AUDIT_REOPENED = "audit_reopened"
    """A closed audit was opened again (``after["reason"]`` says why): its figures are provisional
    again. Record: the :class:`~hsbtrack.audits.models.Audit`."""

    ACTION_CREATED = "action_created"
    """An action was added to the plan. Record: the :class:`~hsbtrack.actions.models.Action`."""

    ACTION_SAVED = "action_saved"
    """Fields of an action changed (title, owner, status, due date…). Record: the action."""

    ACTION_PROGRESS_POSTED = "action_progress_posted"
    """Someone posted a progress update on an action. Record: the action (``after["update"]`` is the note)."""
