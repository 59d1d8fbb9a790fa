"""Imports every core model so that SQLAlchemy's metadata (and Alembic) sees all core tables."""

from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.auth.models import ApiToken, LoginAttempt, OneTimeToken, User
from hsbtrack.plugins.models import PluginState

__all__ = [
    "Agency", "ApiToken", "Area", "LoginAttempt", "Membership", "OneTimeToken", "PluginState", "Region", "User",
]
