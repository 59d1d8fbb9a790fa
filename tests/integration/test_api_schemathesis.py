"""The JSON API against its own OpenAPI document, with schemathesis (property-based, in process).

Every operation in ``/api/v1/openapi.json`` is called with generated path parameters, queries and
bodies (valid and invalid ones), as a board manager of one area holding a real API token. Each
response must:

* not be a server error (``not_a_server_error``);
* use a status code the document declares for the operation (``status_code_conformance``);
* have the declared content type (``content_type_conformance``);
* match the declared schema, errors included (``response_schema_conformance``).

Generated identifiers mostly point at real objects of the caller's area (so that bodies reach the
services), and sometimes at whatever was generated (so that the 404 answers are checked too).
Bounded for CI: a few derandomised examples per operation, no deadline.
"""

import zlib
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import api_headers, make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 20

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", make_app())


@pytest.fixture()
def api_scene(world):
    """Area A of region A, where the caller is board manager and regional coordinator; an open
    audit and an action there; the example plugin installed."""
    from hsbtrack.actions.services import create_action
    from hsbtrack.areas.services import add_region_member
    from hsbtrack.audits.services import open_audit

    region = world.region("Northvale Region")
    area = world.area("Riverside", region)
    user = world.user("board.api@example.org", area, "board_manager")
    add_region_member(region, user.email, "regional_coordinator")
    audit = open_audit(area)
    action = create_action(area, title="Tighten the referral pathway", owner=user, due_on=date(2030, 1, 1),
                           statements=["1.1"])
    real = {
        "area_id": area.id,
        "region_id": region.id,
        "agency_id": world.agency(area, "Police").id,
        "audit_id": audit.id,
        "action_id": action.id,
        "slug": "nspcc-hsb-2019",
        "name": "example",
        "code": "1.1",
        "number": 1,
    }
    # identity: schemathesis calls the app through WSGI and reads the body as sent, where an HTTP client
    # would decode a compressed one (compression has its own tests: tests/test_compression.py)
    return {"headers": {**api_headers(user), "Accept-Encoding": "identity"}, "real": real}


def point_at_real_objects(case, real):
    """Three cases in four use the scene's objects; the choice depends only on the generated values."""
    generated = case.path_parameters or {}
    if not generated or zlib.crc32(repr(sorted(generated.items())).encode()) % 4 == 0:
        return
    case.path_parameters = {name: real.get(name, value) for name, value in generated.items()}


def test_every_operation_is_generated():
    """A guard against an empty walk: the document lists the operations of docs/architecture.md's contract."""
    operations = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert len(operations) >= 40
    for expected in (("GET", "/api/v1/areas"), ("POST", "/api/v1/areas/{area_id}/members"),
                     ("PUT", "/api/v1/audits/{audit_id}/responses/{agency_id}/{code}"),
                     ("PATCH", "/api/v1/actions/{action_id}"), ("PUT", "/api/v1/regions/{region_id}/plugins/{name}")):
        assert expected in operations


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, api_scene):
    point_at_real_objects(case, api_scene["real"])
    case.call_and_validate(app=app, headers=api_scene["headers"], checks=CHECKS)
