"""Agreed scores and domain means computed by the database, for pages that show nothing more (the
regional roll-up and trend, the area dashboard).

The same figures as :func:`hsbtrack.audits.consolidation.consolidate` (tested against it): a
statement's agreed score is its moderated score where the partnership recorded one, else the lowest
score of the agencies taking part; a domain's mean is the mean of its statements' agreed scores.
Here the database does the work over the covering index ``ix_audit_responses_scores`` (audit, code,
agency, score): one row per statement, or per domain, comes back rather than one per agency, and no
:class:`~hsbtrack.audits.consolidation.Consolidated` is built. A domain's mean is the database's
``SUM`` over ``COUNT`` divided here, as :func:`~hsbtrack.audits.consolidation.mean` does it: ``AVG``
would be PostgreSQL's exact numeric but SQLite's float, and the two could round apart. SQLAlchemy
expressions only (no SQL of one database); each function is a fixed number of queries, however many
audits.

:func:`figures_many` keeps each audit's figures in a small in-memory LRU keyed by its data version
(every score and agreed-score change moves it on), so that after one score changes only that audit
is asked of the database again: the first view of a 32-authority roll-up after a score is saved
reads one audit's rows, not 32.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, case, cast, func, literal_column, null, select, union_all

from hsbtrack.audits.charts import ChartCache
from hsbtrack.audits.models import AgreedScore, AuditAgency, Response
from hsbtrack.audits.services import framework_of
from hsbtrack.extensions import db

IDS = bindparam("ids", expanding=True)  # the audits asked about: the statements below are built once


@cache
def _statements_subquery():
    """``(audit_id, code, agreed)`` of every statement of the audits ``:ids`` with a score or a moderation."""
    lowest = (select(Response.audit_id.label("audit_id"), Response.code.label("code"),
                     func.min(Response.score).label("lowest"), cast(null(), Integer).label("moderated_score"),
                     literal_column("0").label("moderated"))
              .join(AuditAgency, (AuditAgency.audit_id == Response.audit_id) & (AuditAgency.agency_id == Response.agency_id))
              .where(Response.audit_id.in_(IDS), Response.score.is_not(None))
              .group_by(Response.audit_id, Response.code))
    moderated = select(AgreedScore.audit_id, AgreedScore.code, cast(null(), Integer), AgreedScore.score,
                       literal_column("1")).where(AgreedScore.audit_id.in_(IDS))
    both = union_all(lowest, moderated).subquery("statement_scores")
    agreed = case((func.max(both.c.moderated) == 1, func.max(both.c.moderated_score)), else_=func.min(both.c.lowest))
    return (select(both.c.audit_id, both.c.code, agreed.label("agreed"))
            .group_by(both.c.audit_id, both.c.code).subquery("agreed_scores"))


def _layout(framework) -> tuple:
    """``((domain number, (codes of its scored statements)), …)``: what decides a framework's domain CASE."""
    return tuple((d.number, tuple(s.code for s in d.scored_statements)) for d in framework.domains)


def _domains_statement(layouts: tuple):
    """``layouts``: ``((audit ids or None, layout), …)``; None (one framework) tests the code alone."""
    statements = _statements_subquery()
    whens = []
    for ids, layout in layouts:
        for number, codes in layout:
            if codes:
                test = statements.c.code.in_(codes)
                whens.append((test if ids is None else and_(statements.c.audit_id.in_(ids), test), number))
    domain = case(*whens, else_=None) if whens else cast(null(), Integer)
    # the domain is worked out in an inner query and grouped by in the outer one (PostgreSQL would not
    # match a CASE with bound parameters in GROUP BY against the same CASE in the select list)
    numbered = select(statements.c.audit_id, domain.label("domain"), statements.c.agreed).subquery("numbered")
    return (select(numbered.c.audit_id, numbered.c.domain, func.sum(numbered.c.agreed), func.count(numbered.c.agreed))
            .where(numbered.c.domain.is_not(None)).group_by(numbered.c.audit_id, numbered.c.domain))


@lru_cache(maxsize=32)
def _one_framework_domains(layout: tuple):
    """The statement of :func:`domain_means_many` for audits of one framework (the usual case), built once."""
    return _domains_statement(((None, layout),))


def _mean(total, count):
    """:func:`hsbtrack.audits.consolidation.mean` of ``count`` whole scores adding up to ``total``, rounded
    as the consolidation rounds a domain mean."""
    if not count:
        return None
    whole, rest = divmod(int(total), int(count))
    return round(whole if rest == 0 else int(total) / int(count), 2)


@cache
def _agreed_statement():
    return select(_statements_subquery())


def agreed_scores_many(audits) -> dict[int, dict]:
    """``{audit id: {code: agreed score}}`` (statements of the framework with one), in one query."""
    audits = [a for a in audits if a is not None]
    result = {a.id: {} for a in audits}
    if not result:
        return result
    codes = {a.id: {s.code for s in framework_of(a).scored_statements} for a in audits}
    for audit_id, code, agreed in db.session.execute(_agreed_statement(), {"ids": list(result)}):
        if agreed is not None and code in codes[audit_id]:
            result[audit_id][code] = agreed
    return result


def domain_means_many(audits) -> dict[int, tuple]:
    """``{audit id: (mean of domain 1, …)}`` in the framework's order of domains (None where no statement
    of the domain has an agreed score), in one query."""
    audits = [a for a in audits if a is not None]
    if not audits:
        return {}
    by_framework = {}
    for audit in audits:
        by_framework.setdefault(audit.framework, (_layout(framework_of(audit)), []))[1].append(audit.id)
    if len(by_framework) == 1:
        statement = _one_framework_domains(next(iter(by_framework.values()))[0])
    else:
        statement = _domains_statement(tuple((tuple(ids), layout) for layout, ids in by_framework.values()))
    rows = db.session.execute(statement, {"ids": [a.id for a in audits]})
    sums = {(audit_id, domain): (total, count) for audit_id, domain, total, count in rows}
    return {a.id: tuple(_mean(*sums.get((a.id, d.number), (0, 0))) for d in framework_of(a).domains)
            for a in audits}


# -- per audit, cached by its data version ----------------------------------------------------------

FIGURES_CACHE_SIZE = 4096  # audits (a few KB each): every audit of a national install


@dataclass(frozen=True)
class AuditFigures:
    """One audit's agreed score per statement (``{code: score}``, statements with one) and its domain
    means in the framework's order. Shared between requests: never changed."""

    agreed: dict
    domain_means: tuple


def figures_cache() -> ChartCache:
    cache = current_app.extensions.get("hsbtrack_audit_figures")
    if cache is None:
        cache = current_app.extensions.setdefault("hsbtrack_audit_figures", ChartCache(FIGURES_CACHE_SIZE))
    return cache


def _key(audit) -> tuple:
    framework = framework_of(audit)
    # opened_at too: a deleted audit's id may be given to a new one, whose data_version restarts
    return (audit.id, audit.data_version, audit.opened_at.isoformat() if audit.opened_at else None,
            framework.slug, framework.version)


def figures_many(audits) -> dict[int, AuditFigures]:
    """:class:`AuditFigures` of ``audits``: from the cache, the others in two queries (none when every
    audit's figures of its current data version are cached)."""
    audits = [a for a in audits if a is not None]
    cache = figures_cache()
    keys = {a.id: _key(a) for a in audits}
    found = {a.id: cache.get(keys[a.id]) for a in audits}
    missing = [a for a in audits if found[a.id] is None]
    if missing:
        agreed = agreed_scores_many(missing)
        means = domain_means_many(missing)
        for audit in missing:
            value = AuditFigures(agreed[audit.id], means[audit.id])
            found[audit.id] = cache.get_or_render(keys[audit.id], lambda value=value: value)
    return found
