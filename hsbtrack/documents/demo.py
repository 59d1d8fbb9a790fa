"""Demo documents: what agencies and the board attached to the baseline (T1), carried into the re-audit
(T2), where Police has confirmed its pathway, Health has replaced its training audit with this year's,
and the rest wait to be re-confirmed. One document evidences two statements. Each file is a small
real PDF (one page of text), so a download opens.

Timestamps are moved back to when each step happened, like the audits demo's (:class:`Timeline`).
"""

import io
from datetime import timedelta

from sqlalchemy import select

from hsbtrack.audits import services as audits
from hsbtrack.audits.demo import Timeline, at, demo_people
from hsbtrack.audits.models import Audit
from hsbtrack.auth.models import User
from hsbtrack.documents import carry_over, services
from hsbtrack.documents.models import RESPONSE, STATEMENT, Document, DocumentLink, DocumentVersion
from hsbtrack.extensions import db

# (agency, title, file name, days before T1 closed that it speaks for, domains whose first statement it
# evidences, what happens in T2)
AGENCY_DOCUMENTS = [
    ("Police", "HSB referral pathway", "police-hsb-referral-pathway.pdf", 120, (1, 2), "confirm"),
    ("Health", "Safeguarding children training audit", "health-training-audit-2025.pdf", 60, (3,), "replace"),
    ("Children's social care", "AIM3 assessment quality audit", "csc-aim3-quality-audit.pdf", 45, (4,), "wait"),
    ("Education", "Schools' HSB policy template", "schools-hsb-policy-template.pdf", 200, (2,), "wait"),
]
PARTNERSHIP_DOCUMENTS = [
    ("Multi-agency HSB protocol", "multi-agency-hsb-protocol.pdf", 150, (1, 5)),
]


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF of plain text (Helvetica), made by hand: the demo needs no PDF library."""
    def escape(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")

    text = b"BT /F1 18 Tf 72 770 Td (" + escape(title) + b") Tj /F1 11 Tf"
    for line in lines:
        text += b" 0 -22 Td (" + escape(line) + b") Tj"
    text += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _body(title, agency, effective, area):
    return pdf(title, [f"{agency} - {area.name}",
                       f"Effective {effective:%d %B %Y}.",
                       "Demo document: made up for hsbtrack's demonstration area."])


def _first_codes(framework, domains):
    return [next(s.code for s in framework.scored_statements if s.domain_number == number) for number in domains]


def _stamp(timeline, document, when):
    timeline.stamp(Document, "created_at", document.id, when)
    for version in document.versions:
        timeline.stamp(DocumentVersion, "uploaded_at", version.id, when)
    for link in document.links:
        timeline.stamp(DocumentLink, "linked_at", link.id, when)


def load_demo_documents(area) -> None:
    found = list(db.session.scalars(select(Audit).where(Audit.area_id == area.id).order_by(Audit.cycle)))
    if len(found) < 2 or found[0].completed_on is None:
        return
    t1, t2 = found[0], found[1]
    framework = audits.framework_of(t1)
    people = demo_people(area)
    agencies = {agency.name: agency for agency in area.agencies}
    board = db.session.scalar(select(User).where(User.email == "board@example.org"))
    timeline = Timeline()
    made = {}
    for day, (name, title, filename, days_before, domains, _then) in enumerate(AGENCY_DOCUMENTS):
        agency, lead = agencies.get(name), (people.get(name) or [None])[0]
        if agency is None:
            continue
        effective = t1.completed_on - timedelta(days=days_before)
        codes = _first_codes(framework, domains)
        when = at(t1.opened_at.date() + timedelta(days=8 + day), 11)
        with timeline.during(when):
            document = services.create_document(
                area_id=area.id, kind=RESPONSE, agency_id=agency.id,
                link=DocumentLink(audit_id=t1.id, agency_id=agency.id, code=codes[0]),
                stream=_stream(_body(title, name, effective, area)), filename=filename, title=title,
                effective_on=effective, user=lead)
            for code in codes[1:]:  # one document, several statements
                document.links.append(DocumentLink(audit_id=t1.id, agency_id=agency.id, code=code,
                                                   linked_by_id=lead.id if lead else None))
            db.session.commit()
        _stamp(timeline, document, when)
        made[name] = document
    for title, filename, days_before, domains in PARTNERSHIP_DOCUMENTS:
        effective = t1.completed_on - timedelta(days=days_before)
        codes = _first_codes(framework, domains)
        when = at(t1.completed_on - timedelta(days=3), 15)
        with timeline.during(when):
            document = services.create_document(
                area_id=area.id, kind=STATEMENT, agency_id=None,
                link=DocumentLink(audit_id=t1.id, agency_id=None, code=codes[0]),
                stream=_stream(_body(title, "The partnership", effective, area)), filename=filename, title=title,
                effective_on=effective, user=board)
            for code in codes[1:]:
                document.links.append(DocumentLink(audit_id=t1.id, agency_id=None, code=code,
                                                   linked_by_id=board.id if board else None))
            db.session.commit()
        _stamp(timeline, document, when)
    # the re-audit: the baseline's documents wait to be re-confirmed; two agencies have decided
    with timeline.during(t2.opened_at):
        carry_over.carry_over(t2)
    for day, (name, title, filename, _days, domains, then) in enumerate(AGENCY_DOCUMENTS):
        document, lead = made.get(name), (people.get(name) or [None])[0]
        if document is None or then == "wait":
            continue
        when = at(t2.opened_at.date() + timedelta(days=2 + day), 10)
        with timeline.during(when):
            for code in _first_codes(framework, domains):
                link = carry_over.find_link(t2, code, document)
                if then == "confirm":
                    carry_over.confirm(link, user=lead)
                else:
                    effective = t2.opened_at.date() - timedelta(days=10)
                    carry_over.replace(link, _stream(_body(title + " 2026", name, effective, area)),
                                       filename.replace("2025", "2026"), user=lead)
        for link in document.links:
            if link.audit_id == t2.id:
                timeline.stamp(DocumentLink, "linked_at", link.id, when)
        for version in document.versions[1:]:
            timeline.stamp(DocumentVersion, "uploaded_at", version.id, when)
    timeline.apply()


def _stream(data: bytes):
    return io.BytesIO(data)
