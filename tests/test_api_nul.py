"""PostgreSQL text cannot hold the NUL character: the API answers 422 at the field (found by schemathesis
on PostgreSQL: an ``owner_email`` filter holding NUL was a server error)."""

from tests.audits.moderation_helpers import make_audit
from tests.conftest import api_headers


def test_a_nul_character_anywhere_in_the_arguments_is_a_field_error(client, world):
    t = make_audit(world)
    headers = api_headers(t.board)
    answer = client.get(f"/api/v1/areas/{t.area.id}/actions?owner_email=a%00b@example.org", headers=headers)
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert fields == {"owner_email": "Text cannot contain the NUL character (0x00)"}
    body = {"title": "Fine", "description": "bad\x00text", "owner_email": t.board.email, "due_on": "2030-01-01",
            "statements": ["1.1"]}
    answer = client.post(f"/api/v1/areas/{t.area.id}/actions", headers=headers, json=body)
    assert answer.status_code == 422 and set(answer.get_json()["error"]["fields"]) == {"description"}
    # the same requests without the NUL are fine
    assert client.get(f"/api/v1/areas/{t.area.id}/actions?owner_email=ab@example.org", headers=headers).status_code == 200
    body["description"] = "good text"
    assert client.post(f"/api/v1/areas/{t.area.id}/actions", headers=headers, json=body).status_code == 201


def test_a_caller_without_access_gets_404_before_any_field_error(client, world):
    t = make_audit(world)
    stranger = api_headers(make_audit(world, name="Zebrafield").board)
    answer = client.get(f"/api/v1/areas/{t.area.id}/actions?owner_email=a%00b", headers=stranger)
    assert answer.status_code == 404
