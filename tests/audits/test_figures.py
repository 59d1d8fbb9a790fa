"""The figures the database computes (hsbtrack.audits.figures: MIN over the covering index, SUM/COUNT per
domain) are those of the pure consolidation (hsbtrack.audits.consolidation) on the same rows: agreed
scores (the lowest agency score, or the moderated one), domain means to two decimals, statements
nobody scored, moderations of statements without a score, scores of agencies no longer taking part."""

import pytest
from sqlalchemy import select

from hsbtrack.audits import figures, services
from hsbtrack.audits.models import AgreedScore, Audit, AuditAgency, Response
from hsbtrack.bench import generate
from hsbtrack.extensions import db

TINY = 0.001  # one area of six audits, and the regional plugin's 32 authorities


@pytest.fixture()
def bench_audits(ctx):
    figures.figures_cache().clear()  # (audits of an earlier test's data may have had the same ids and versions)
    generate.generate(TINY)
    audits = list(db.session.scalars(select(Audit).order_by(Audit.id)))
    # the edge cases, on the first area's open audit (partly scored already)
    audit = next(a for a in audits if a.is_open and a.cycle == 6)
    framework = services.framework_of(audit)
    codes = [s.code for s in framework.scored_statements]
    agencies = services.participant_ids(audit)
    # nobody scores the first statement; the second only has a moderation (no agency score)
    db.session.execute(Response.__table__.delete().where(Response.audit_id == audit.id,
                                                         Response.code.in_(codes[:2])))
    db.session.execute(AgreedScore.__table__.delete().where(AgreedScore.audit_id == audit.id))
    db.session.add(AgreedScore(audit_id=audit.id, code=codes[1], score=3, justification="Seen at the meeting."))
    # a moderation above the lowest, one below it, and one with its score cleared
    db.session.add(AgreedScore(audit_id=audit.id, code=codes[2], score=4, justification="Evidence of the audit."))
    db.session.add(AgreedScore(audit_id=audit.id, code=codes[3], score=0, justification=""))
    db.session.add(AgreedScore(audit_id=audit.id, code=codes[4], score=None, justification=""))
    # an agency that no longer takes part: its 0s must not count
    link = db.session.scalar(select(AuditAgency).where(AuditAgency.audit_id == audit.id,
                                                       AuditAgency.agency_id == agencies[-1]))
    db.session.delete(link)
    db.session.execute(Response.__table__.update().where(Response.audit_id == audit.id,
                                                         Response.agency_id == agencies[-1]).values(score=0))
    # a response to a code that is not a scored statement of the framework
    db.session.add(Response(audit_id=audit.id, agency_id=agencies[0], code="99.9", score=0, evidence="",
                            assurance=""))
    db.session.commit()
    db.session.expire_all()
    return list(db.session.scalars(select(Audit).order_by(Audit.id)))


def test_sql_figures_equal_the_python_consolidation(bench_audits):
    import importlib.util

    audits = bench_audits
    # the bench area's six cycles, and with the regional plugin installed its 32 authorities' round
    # (the core's suite also runs with no plugin: make test-core)
    regional = importlib.util.find_spec("hsbtrack_regional") is not None
    assert len(audits) == 6 + (32 if regional else 0)
    expected = services.consolidated_many(audits)  # every agency's row, consolidated in Python
    agreed = figures.agreed_scores_many(audits)
    means = figures.domain_means_many(audits)
    cached = figures.figures_many(audits)
    compared = 0
    for audit in audits:
        result = expected[audit.id]
        want_agreed = {s.code: s.agreed for s in result.statements if s.agreed is not None}
        want_means = tuple(d.mean for d in result.domains)
        assert agreed[audit.id] == want_agreed, audit.id
        assert means[audit.id] == want_means, audit.id
        assert [type(v) for v in means[audit.id]] == [type(v) for v in want_means]  # 2 stays 2, not 2.0
        assert cached[audit.id].agreed == want_agreed and cached[audit.id].domain_means == want_means
        compared += len(want_agreed)
    assert compared > (30 if regional else 5) * 46  # the comparison covered real figures, not empty ones

    edge = next(a for a in audits if a.is_open and a.cycle == 6)
    codes = [s.code for s in services.framework_of(edge).scored_statements]
    assert codes[0] not in agreed[edge.id]  # nobody scored it, nobody moderated it
    assert agreed[edge.id][codes[1]] == 3  # moderated without an agency score
    assert agreed[edge.id][codes[2]] == 4 and agreed[edge.id][codes[3]] == 0
    assert codes[4] not in agreed[edge.id]  # moderated, score cleared
    assert "99.9" not in agreed[edge.id]
    # the agency no longer taking part scored 0 everywhere: had it counted, every lowest would be 0
    assert any(score > 0 for code, score in agreed[edge.id].items() if code not in codes[:5])


def test_audit_figures_are_kept_by_data_version(bench_audits):
    """Two grouped queries for every audit asked about, then none until a score changes; a changed score
    shows at once (the audit's data version moved)."""
    from flask import current_app

    from hsbtrack.auth.services import user_by_email
    from hsbtrack.testing import count_queries

    app = current_app._get_current_object()
    audits = bench_audits
    figures.figures_cache().clear()
    with count_queries(app) as first:
        figures.figures_many(audits)
    with count_queries(app) as again:
        figures.figures_many(audits)
    assert first() == 2 and again() == 0  # two grouped queries for 38 audits, then none
    audit = next(a for a in audits if a.is_open and a.cycle == 6)
    agency = services.participant_ids(audit)[0]
    moderated = set(db.session.scalars(select(AgreedScore.code).where(AgreedScore.audit_id == audit.id)))
    code = next(c for c in figures.figures_many([audit])[audit.id].agreed if c not in moderated)
    lead = generate.lead_email(1, 1)
    version = audit.data_version
    services.save_response(audit, agency, code, score=4, user=user_by_email(lead), fields=("score",))
    services.save_response(audit, agency, code, score=0, user=user_by_email(lead), fields=("score",))
    db.session.expire_all()
    audits = list(db.session.scalars(select(Audit).order_by(Audit.id)))
    assert db.session.get(Audit, audit.id).data_version > version
    with count_queries(app) as after_write:
        found = figures.figures_many(audits)
    assert after_write() == 2
    assert found[audit.id].agreed[code] == 0  # the new lowest, from the database
    assert found == {a.id: figures.figures_many([a])[a.id] for a in audits}
