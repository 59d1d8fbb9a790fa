"""Imports every core model so that SQLAlchemy's metadata (and Alembic) sees all core tables."""

from hsbtrack.actions.models import Action, ActionStatement, ActionUpdate, FindingDecision
from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.audits.models import AgreedScore, Audit, AuditAgency, DomainResponse, Response, ScheduledAudit
from hsbtrack.auth.models import ApiToken, LoginAttempt, OneTimeToken, User
from hsbtrack.documents.models import Document, DocumentLink, DocumentVersion
from hsbtrack.downloads.models import DownloadEntry
from hsbtrack.history.models import HistoryEntry
from hsbtrack.jobs.models import Job
from hsbtrack.notifications.models import Notification, SchedulerLock
from hsbtrack.organisations.models import (
    Organisation,
    OrganisationArea,
    OrganisationMember,
    SharedException,
    SharedResponse,
    SharedReturn,
    SharedReturnAudit,
)
from hsbtrack.plugins.models import PluginState
from hsbtrack.privacy.models import PrivacyHold, PrivacyLogEntry, RetentionReviewItem
from hsbtrack.yearly_reports.models import YearlyReport, YearlyReportVersion

__all__ = [
    "Action", "ActionStatement", "ActionUpdate", "FindingDecision", "Notification", "SchedulerLock",
    "Agency", "AgreedScore", "DownloadEntry", "ApiToken", "Area", "Audit", "AuditAgency", "DomainResponse", "HistoryEntry", "Job",
    "Document", "DocumentLink", "DocumentVersion",
    "LoginAttempt", "Membership", "OneTimeToken", "PluginState", "Region", "Response", "ScheduledAudit", "User",
    "YearlyReport", "YearlyReportVersion",
    "Organisation", "OrganisationArea", "OrganisationMember", "SharedException", "SharedResponse", "SharedReturn",
    "SharedReturnAudit", "PrivacyHold", "PrivacyLogEntry", "RetentionReviewItem",
]
