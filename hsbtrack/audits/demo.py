"""Demo audits: a closed baseline (T1) and a re-audit (T2) under way, with believable scores."""

import random
from datetime import timedelta

from hsbtrack.audits import services
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.timeutil import today, utcnow


def _scores_for(rng, framework, base_by_domain, spread=1):
    scores = {}
    for statement in framework.scored_statements:
        base = base_by_domain[statement.domain_number]
        scores[statement.code] = max(0, min(4, base + rng.randint(-spread, spread)))
    return scores


def load_demo_audits(area) -> None:
    rng = random.Random(2019)  # nosec B311  # made-up demo scores, the same every time; nothing secret
    board = db.session.scalar(db.select(User).where(User.email == "board@example.org"))
    agencies = list(area.agencies)[:4]
    # the baseline began about eight months ago and was completed six months ago; T2 is under way
    t1 = services.open_audit(area, title="Baseline audit (T1)", agency_ids=[a.id for a in agencies], user=board,
                             opened_at=utcnow() - timedelta(days=250))
    framework = services.framework_of(t1)
    t1_levels = {1: 2, 2: 2, 3: 2, 4: 1, 5: 2}
    for agency in agencies:
        for code, score in _scores_for(rng, framework, t1_levels).items():
            services.save_response(t1, agency.id, code, score=score, evidence=f"{agency.name}: evidence for {code}",
                                   assurance="Quarterly audit of case files", user=board)
        services.submit_agency(t1, agency.id, user=board)
    services.set_agreed_score(t1, "3.1", 2, "Police and health agreed at the moderation meeting that the lower "
                              "score reflected an old pathway, replaced in March.", user=board)
    services.close_audit(t1, user=board, completed_on=today() - timedelta(days=190))
    t2 = services.open_audit(area, title="Six-month re-audit (T2)", agency_ids=[a.id for a in agencies], user=board)
    t2_levels = {1: 3, 2: 3, 3: 3, 4: 2, 5: 3}
    for agency in agencies[:3]:
        for code, score in _scores_for(rng, framework, t2_levels).items():
            services.save_response(t2, agency.id, code, score=score, evidence=f"{agency.name}: updated evidence",
                                   assurance="Multi-agency case audit", user=board)
