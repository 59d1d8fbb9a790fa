"""How a ``report_id`` in a URL finds its yearly report for the permission check (hsbtrack.permissions):
the area's pages (blueprint ``yearly_reports``) find only area reports, the region's pages
(``yearly_reports_region``) only region reports; the route's permission is mapped to what the report's
kind names for reading and writing (``Target.permission_for``). A report of a kind no longer offered by
any plugin is not found."""

from hsbtrack.areas.roles import Perm
from hsbtrack.permissions import Target, record_loader
from hsbtrack.yearly_reports import services

AREA_BLUEPRINT, REGION_BLUEPRINT = "yearly_reports", "yearly_reports_region"


def _target(report_id, scope):
    report = services.get_report(report_id)
    if report is None:
        return None
    kind = services.kind_of(report)
    if kind is None or kind.scope != scope:
        return None
    if scope == services.REGION:
        if report.region_id is None:
            return None
        return Target(report, region_id=report.region_id,
                      permission_for={Perm.VIEW_REGION: kind.read_permission, Perm.MANAGE_REGION: kind.write_permission})
    if report.area_id is None:
        return None
    return Target(report, area_id=report.area_id,
                  permission_for={Perm.READ_AUDIT: kind.read_permission, Perm.MANAGE_AREA: kind.write_permission})


@record_loader("report_id", blueprint=AREA_BLUEPRINT)
def load_area_report(report_id):
    return _target(report_id, services.AREA)


@record_loader("report_id", blueprint=REGION_BLUEPRINT)
def load_region_report(report_id):
    return _target(report_id, services.REGION)
