"""A school lead sees only their own school: outside this plugin's pages, an area where the user's
only role is ``school_lead`` answers 404 (the area's dashboard sends them to their schools instead).

The core lets any role holder read an area's core pages; the school-lead role is narrower by
design, so the plugin adds this one app-wide check (a request hook, no core change).
"""

import re

from flask import abort, redirect, request
from flask_login import current_user

AREA_PATH = re.compile(r"^/(?:api/v1/)?areas/(\d+)(/.*)?$")


def wall_off_school_leads():
    from hsbtrack.permissions import area_roles, grants_for

    from .services import ROLE

    if not current_user.is_authenticated:
        return None
    match = AREA_PATH.match(request.path)
    if match is None:
        return None
    area_id, rest = int(match.group(1)), match.group(2) or "/"
    if rest.startswith("/schools/") or rest == "/schools":
        return None
    if grants_for(current_user).is_admin:
        return None
    roles = area_roles(current_user, area_id)
    if not roles or not roles <= {ROLE}:
        return None
    if rest == "/" and not request.path.startswith("/api/"):
        return redirect(f"/areas/{area_id}/schools/")
    abort(404)
