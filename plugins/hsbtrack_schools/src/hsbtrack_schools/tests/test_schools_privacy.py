"""UK GDPR and the schools plugin (docs/privacy.md): a school lead's and a DSL's data is in their subject
access export; erasing them removes their link to the school and their name and address as its DSL, and the
school's pages no longer name them."""

import io
import zipfile

from sqlalchemy import select

from hsbtrack.extensions import db
from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.privacy.services import erase_person
from hsbtrack.testing import csrf_token, login
from hsbtrack_schools import services
from hsbtrack_schools.models import School, SchoolLead


def test_a_school_lead_and_dsl_exported_then_erased(client, world):
    area = world.area("Riverside")
    set_area_plugin(area, "schools", True)
    admin = world.user("admin@example.org", admin=True)
    board = world.user("board@example.org", area, "board_manager")
    school = services.create_school(area, "Riverside High", dsl_name="Dana Qzmarka", dsl_email="dana.qzmarka@example.org")
    other = services.create_school(area, "Kestrel Academy", dsl_name="Bob Qzmarkb", dsl_email="bob.qzmarkb@example.org")
    dana, _created = services.add_lead(area, school, "dana.qzmarka@example.org", name="Dana Qzmarka")
    dana_id, school_id = dana.id, school.id

    login(client, admin)
    token = csrf_token(client, f"/admin/users/{dana_id}/privacy")
    data = client.post(f"/admin/users/{dana_id}/privacy/export", data={"csrf_token": token}).get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = "".join(archive.read(n).decode() for n in archive.namelist())
        assert "Riverside High" in archive.read("schools.leads.csv").decode()
        assert "Riverside High" in archive.read("schools.dsl.csv").decode()
    assert "Kestrel Academy" not in text and "qzmarkb" not in text.lower()

    erase_person(dana, by=admin, reason="Left the school")
    db.session.expire_all()
    assert db.session.scalars(select(SchoolLead).where(SchoolLead.user_id == dana_id)).all() == []
    row = db.session.get(School, school_id)
    assert (row.dsl_name, row.dsl_email) == ("former member", "")
    assert db.session.get(School, other.id).dsl_email == "bob.qzmarkb@example.org"
    reader = client.application.test_client()
    login(reader, board)
    page = reader.get(f"/areas/{area.id}/schools/").get_data(as_text=True).lower()
    assert "qzmarka" not in page and "riverside high" in page
    page = reader.get(f"/areas/{area.id}/schools/{school_id}/").get_data(as_text=True).lower()
    assert "qzmarka" not in page and "former member" in page
