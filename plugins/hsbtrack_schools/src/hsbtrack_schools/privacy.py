"""UK GDPR for the schools plugin (the core's ``hsbtrack/privacy``, docs/privacy.md): a school lead's link to
their school, and a school's designated safeguarding lead (a name and an address typed by the partnership,
matched to a person by that address only).

- **Subject access**: the schools they lead; the schools where their address is the DSL's.
- **Erasure**: their links to schools go with their account; where they are a school's DSL, the name and
  address are replaced ("former member", empty); their name or address in the ratings' notes is replaced.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from hsbtrack.extensions import db
from hsbtrack.plugins.types import PersonalData
from hsbtrack.privacy.services import needles_for, replace_text

from .models import LocalItem, Rating, School, SchoolLead


def _dsl_schools(user):
    address = (user.email or "").strip().lower()
    return db.session.scalars(select(School).where(func.lower(School.dsl_email) == address)).all() if address else []


def personal_data(user) -> list[PersonalData]:
    led = db.session.execute(select(School.name, SchoolLead.created_at).join(School, School.id == SchoolLead.school_id)
                             .where(SchoolLead.user_id == user.id).order_by(SchoolLead.id)).all()
    school = ("school", _l("School"))
    return [
        PersonalData("schools.leads", _l("Schools you lead"), (school, ("since", _l("Since"))),
                     tuple(tuple(row) for row in led), order=85),
        PersonalData("schools.dsl", _l("Schools where you are the designated safeguarding lead"),
                     (school, ("name", _l("Name")), ("email", _l("Email"))),
                     tuple((s.name, s.dsl_name, s.dsl_email) for s in _dsl_schools(user)), order=86),
    ]


def erase_person(user, replacement) -> list[tuple]:
    links = db.session.execute(db.delete(SchoolLead).where(SchoolLead.user_id == user.id)).rowcount or 0
    schools = _dsl_schools(user)
    for row in schools:
        row.dsl_name, row.dsl_email = replacement, ""
    db.session.flush()
    texts = replace_text((Rating.notes, LocalItem.text), needles_for(user), replacement)
    return [("school leads", links), ("designated safeguarding leads", len(schools)), ("school texts", texts)]
