"""How agency scores become the partnership's picture. Pure functions: no database, no Flask.

The framework's rule: where agencies differ, use the lower score. So the agreed score of a
statement defaults to the lowest agency score; a moderator may record another (raising it needs a
written justification). Statements where agencies differ by 2 or more are disagreements.
Domain score = mean of the agreed scores of its scored statements (also shown as % of the maximum).
"""

from dataclasses import dataclass, field
from statistics import mean as _statistics_mean
from statistics import median

DISAGREEMENT_SPREAD = 2


def mean(values):
    """``statistics.mean`` for whole scores, without its exact-fraction arithmetic (which took most
    of the time of consolidating, and a regional roll-up consolidates dozens of audits). The same
    value and type: an int when the mean is whole, else the correctly rounded float."""
    values = values if isinstance(values, list) else list(values)
    if values and all(type(v) is int for v in values):
        total, count = sum(values), len(values)
        whole, rest = divmod(total, count)
        return whole if rest == 0 else total / count
    return _statistics_mean(values)


@dataclass(frozen=True)
class StatementResult:
    code: str
    domain: int
    agency_scores: dict  # agency id -> score (only agencies that scored)
    lowest: int | None
    highest: int | None
    spread: int | None
    mean: float | None
    median: float | None
    agreed: int | None
    moderated: bool
    justification: str
    # moderated against a lowest agency score that has changed since: to be confirmed or changed
    stale: bool = False

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT_SPREAD


@dataclass(frozen=True)
class DomainResult:
    number: int
    mean: float | None
    percent: float | None
    agreed_count: int
    scored_count: int


@dataclass(frozen=True)
class Consolidated:
    statements: list[StatementResult]
    domains: list[DomainResult]
    by_code: dict = field(default_factory=dict)

    @property
    def overall_mean(self) -> float | None:
        values = [s.agreed for s in self.statements if s.agreed is not None]
        return round(mean(values), 2) if values else None

    def disagreements(self) -> list[StatementResult]:
        return [s for s in self.statements if s.disagreement]

    def stale(self) -> list[StatementResult]:
        """Moderated statements whose lowest agency score has changed since they were agreed."""
        return [s for s in self.statements if s.stale]

    def lowest_items(self, threshold: int) -> list[StatementResult]:
        """Statements whose agreed score is at or below ``threshold``, lowest first."""
        low = [s for s in self.statements if s.agreed is not None and s.agreed <= threshold]
        return sorted(low, key=lambda s: (s.agreed, s.code))


def consolidate(framework, scores: dict, agreed: dict, lowest_scores: dict | None = None) -> Consolidated:
    """Combine agency scores into agreed scores and domain means.

    :param framework: a :class:`hsbtrack.catalogue.Framework`.
    :param scores: ``{code: {agency_id: score}}`` (None scores left out).
    :param agreed: ``{code: (score, justification, lowest it was agreed against)}`` for moderated
        statements (without the third item the moderation is taken as current).
    :param lowest_scores: instead of ``scores``, only ``{code: lowest agency score}`` (roll-ups that
        show agreed scores and domain means): agency scores, highest, spread, mean and median are
        then unknown (empty / None).
    """
    maximum = framework.scale.max
    results = []
    for statement in framework.scored_statements:
        if lowest_scores is not None:
            by_agency, values = {}, []
            lowest = lowest_scores.get(statement.code)
        else:
            by_agency = {a: s for a, s in scores.get(statement.code, {}).items() if s is not None}
            values = list(by_agency.values())
            lowest = min(values) if values else None
        moderated = statement.code in agreed
        agreed_score, justification, *basis = agreed.get(statement.code, (lowest, ""))
        stale = moderated and bool(basis) and basis[0] != lowest
        results.append(
            StatementResult(
                code=statement.code,
                domain=statement.domain_number,
                agency_scores=by_agency,
                lowest=lowest,
                highest=max(values) if values else None,
                spread=(max(values) - lowest) if values else None,
                mean=round(mean(values), 2) if values else None,
                median=median(values) if values else None,
                agreed=agreed_score,
                moderated=moderated,
                justification=justification or "",
                stale=stale,
            )
        )
    domains = []
    for domain in framework.domains:
        items = [r for r in results if r.domain == domain.number]
        agreed_values = [r.agreed for r in items if r.agreed is not None]
        domain_mean = round(mean(agreed_values), 2) if agreed_values else None
        domains.append(
            DomainResult(
                number=domain.number,
                mean=domain_mean,
                percent=round(domain_mean / maximum * 100, 1) if domain_mean is not None else None,
                agreed_count=len(agreed_values),
                scored_count=len(items),
            )
        )
    return Consolidated(statements=results, domains=domains, by_code={r.code: r for r in results})
