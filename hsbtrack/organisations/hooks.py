"""Partner organisations and shared returns, registered through the core's own hooks."""

from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm, Role
from hsbtrack.audits.models import SOURCE_EXCEPTION, Response
from hsbtrack.events import Event
from hsbtrack.organisations import api as organisations_api
from hsbtrack.organisations import services, views
from hsbtrack.organisations.models import ORGANISATION_LEAD
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(organisations_api.bp)


@hookimpl
def hsbtrack_roles():
    # In each linked area, an organisation lead holds exactly what an agency lead of the organisation's
    # agency there holds (a membership for that agency, kept in step by the services): nothing more.
    return [Role(ORGANISATION_LEAD, _l("Organisation lead"), needs_agency=True,
                 permissions=frozenset({Perm.VIEW_AREA, Perm.READ_AUDIT, Perm.READ_ACTIONS, Perm.READ_OWN_RESPONSES,
                                        Perm.SCORE}), order=32)]


@hookimpl
def hsbtrack_record_saved(area, record, change):
    # An answer from the shared return changed in this area's own audit: the area's exception.
    if change.kind == Event.RESPONSE_SCORED and isinstance(record, Response) and record.source == SOURCE_EXCEPTION:
        services.adopt_local_change(area, record, change.user_id)
