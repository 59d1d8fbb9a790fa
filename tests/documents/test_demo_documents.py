"""The demo's documents: the baseline's evidence, one document on two statements, the partnership's
protocol, carried into the re-audit where Police confirmed, Health replaced and the rest wait — every
date in the past and in order, every file a PDF that opens."""

from datetime import timedelta

from sqlalchemy import select


def test_demo_documents_tell_the_story_of_two_cycles(ctx, client):
    from hsbtrack.areas.models import Area
    from hsbtrack.audits.models import Audit
    from hsbtrack.documents import services
    from hsbtrack.documents.carry_over import TO_RECONFIRM
    from hsbtrack.documents.models import LINKED, Document
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack.timeutil import utcnow

    result = ctx.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    t1, t2 = db.session.scalars(select(Audit).where(Audit.area_id == area.id).order_by(Audit.cycle)).all()
    documents = {d.title: d for d in db.session.scalars(select(Document).where(Document.area_id == area.id))}
    assert {"HSB referral pathway", "Multi-agency HSB protocol"} <= set(documents)

    pathway = documents["HSB referral pathway"]
    t1_codes = sorted(link.code for link in pathway.links if link.audit_id == t1.id)
    assert len(t1_codes) == 2  # one document evidences two statements
    assert {link.status for link in pathway.links if link.audit_id == t2.id} == {LINKED}  # confirmed
    training = documents["Safeguarding children training audit"]
    assert [v.number for v in training.versions] == [1, 2]  # replaced in T2, the baseline's kept
    waiting = [d for d in documents.values() if any(
        link.audit_id == t2.id and link.status == TO_RECONFIRM for link in d.links)]
    assert waiting  # the task the re-audit starts with
    protocol = documents["Multi-agency HSB protocol"]
    assert protocol.kind == "statement" and protocol.agency_id is None

    now = utcnow() + timedelta(seconds=1)
    for document in documents.values():
        assert document.effective_on <= t1.completed_on
        assert t1.opened_at <= document.created_at < now
        for link in document.links:
            assert link.linked_at < now
            if link.audit_id == t2.id:
                assert link.linked_at >= t2.opened_at
        stored = services.storage().open(document.latest.storage_key).read()
        assert stored.startswith(b"%PDF-1.4") and stored.rstrip().endswith(b"%%EOF")
        assert document.latest.size == len(stored)
    history = db.session.scalars(select(HistoryEntry.at).where(HistoryEntry.entity == "document",
                                                                HistoryEntry.area_id == area.id)).all()
    assert history and max(history) < now
