"""Overview: domain scores, radar graphs (T1, T2, T3 overlaid), comparisons and the board report.

Pages never render a graph inline: each graph has its own URL (``charts/domains.svg``,
``charts/domain-<n>.svg``) answered from an in-memory LRU keyed by the audits' ``data_version``,
with an ETag so that a browser that has it gets a 304. Every graph on a page has a data table
with the same numbers beside it.

SQL: a page consolidates the audit it shows in two queries (``services.consolidated_many``) and
takes the earlier cycles overlaid on it (at most two) from :func:`hsbtrack.audits.figures.figures_many`
(their agreed scores and domain means: two queries, none when cached), plus a fixed handful (area,
audit, the area's audits, participants): the same number whatever the number of agencies,
statements or cycles.
"""

from dataclasses import dataclass
from functools import cached_property

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import format_percent as format_percent_
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    charts,
    figures,
    loaders,  # noqa: F401  (the audit_id loader)
    services,
)
from hsbtrack.audits.models import Audit
from hsbtrack.downloads.services import logged_as_download
from hsbtrack.forms import FlaskForm
from hsbtrack.i18n import current_language
from hsbtrack.permissions import loaded, requires
from hsbtrack.plugins.services import collect
from hsbtrack.timeutil import today
from hsbtrack.version import __version__
from hsbtrack.views_support import set_current_area

bp = Blueprint("overview", __name__)

MAX_OVERLAID = 3  # T1, T2, T3: more lines than that on one radar cannot be read
CACHE_CONTROL = "private, max-age=0, must-revalidate"


# -- loading ------------------------------------------------------------------------------------


def _area_and_audit(area_id: int, audit_id: int):
    return set_current_area(loaded("area_id")), loaded("audit_id")


language = current_language  # what the plugins' chart views import from here

def overlay_audits(audit: Audit, comparable: list[Audit] | None = None) -> list[Audit]:
    """The cycles to overlay on ``audit``'s graphs: the earlier ones of the same framework and
    itself, the last three at most (T1, T2, T3), oldest first."""
    comparable = services.comparable_audits(audit) if comparable is None else comparable
    earlier = [a for a in comparable if a.cycle <= audit.cycle and a.id != audit.id]
    return [*earlier[-(MAX_OVERLAID - 1):], audit]


def compare_audits(audit: Audit, raw: str | None) -> list[Audit]:
    """``audit`` and the audits named in ``?compare=<id>,<id>`` (same area and framework, else 404),
    oldest cycle first. At most two others."""
    ids = []
    for part in (raw or "").replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit():
            abort(404)
        if int(part) != audit.id and int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_OVERLAID - 1:
        abort(404)
    found = [audit]
    for audit_id in ids:  # at most two
        other = services.get_audit(audit_id)
        if other is None or other.area_id != audit.area_id or other.framework != audit.framework:
            abort(404)
        found.append(other)
    return sorted(found, key=lambda a: a.cycle)




# -- graphs -------------------------------------------------------------------------------------


def chart_cache() -> charts.ChartCache:
    cache = current_app.extensions.get("hsbtrack_chart_cache")
    if cache is None:
        cache = current_app.extensions["hsbtrack_chart_cache"] = charts.ChartCache(
            current_app.config.get("HSBTRACK_CHART_CACHE_SIZE", 256))
    return cache


def series_label(audit: Audit) -> str:
    """A cycle's name in a graph's key: an open cycle is named provisional ("T2 (provisional)")."""
    return _("%(cycle)s (provisional)", cycle=audit.label) if audit.is_open else audit.label


def domain_series(audits: list[Audit], results: dict) -> list[charts.Series]:
    return [charts.Series(series_label(a), tuple(d.mean for d in results[a.id].domains), a.cycle) for a in audits]


def statement_series(audits: list[Audit], results: dict, domain) -> list[charts.Series]:
    codes = [s.code for s in domain.scored_statements]
    series = []
    for a in audits:
        by_code = results[a.id].by_code
        series.append(charts.Series(series_label(a), tuple(by_code[c].agreed if c in by_code else None for c in codes),
                                    a.cycle))
    return series


def chart_key(audits: list[Audit], kind: str, domain: int | None, lang: str | None) -> tuple:
    """Everything that decides a graph's bytes: the release, the audits and their data versions, the
    framework version, which graph, the language, whether each cycle is open (an open one is named
    provisional in the key); the ETag is a hash of it."""
    framework = services.framework_of(audits[-1])
    # the release first: a new one may word the graphs differently
    return (__version__, kind, domain, lang, framework.slug, framework.version,
            # opened_at too: a deleted audit's id may be given to a new one, whose data_version restarts
            tuple((a.id, a.cycle, a.data_version, a.opened_at.isoformat() if a.opened_at else None, a.status)
                  for a in audits))


def render_chart(audits: list[Audit], kind: str, domain: int | None, lang: str | None) -> bytes:
    framework = services.framework_of(audits[-1])
    results = services.consolidated_many(audits)
    if kind == "domains":
        return charts.domain_radar(domain_series(audits, results), framework, lang)
    section = framework.domain(domain)
    return charts.statement_radar(section, statement_series(audits, results, section), lang, framework.scale.max)


def chart_response(audits: list[Audit], kind: str = "domains", domain: int | None = None) -> Response:
    """The SVG of a graph of ``audits`` (oldest first), from the cache, with an ETag; 304 when the
    browser already has it. Also for the API (``radar.svg``)."""
    if kind != "domains":
        try:
            services.framework_of(audits[-1]).domain(domain)
        except (KeyError, TypeError):
            abort(404)
    lang = language()
    return cached_svg_response(chart_key(audits, kind, domain, lang), lambda: render_chart(audits, kind, domain, lang))


def cached_svg_response(key, render) -> Response:
    """An SVG from the chart cache with an ETag derived from ``key``; 304 when the browser has it.
    Every chart of the app is served this way (docs/architecture.md: never render charts inline per request)."""
    cache = chart_cache()
    etag = cache.etag(key)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304, mimetype="image/svg+xml")
    else:
        response = Response(cache.get_or_render(key, render), mimetype="image/svg+xml")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def chart_url(area, audit: Audit, overlaid: list[Audit], kind: str = "domains", domain: int | None = None) -> str:
    compare = ",".join(str(a.id) for a in overlaid if a.id != audit.id) or None
    if kind == "domains":
        return url_for("overview.domains_chart", area_id=area.id, audit_id=audit.id, compare=compare)
    return url_for("overview.domain_chart", area_id=area.id, audit_id=audit.id, number=domain, compare=compare)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/charts/domains.svg")
@requires(Perm.READ_AUDIT)
def domains_chart(area_id, audit_id):
    _area, audit = _area_and_audit(area_id, audit_id)
    return chart_response(compare_audits(audit, request.args.get("compare")), "domains")


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/charts/domain-<int:number>.svg")
@requires(Perm.READ_AUDIT)
def domain_chart(area_id, audit_id, number):
    _area, audit = _area_and_audit(area_id, audit_id)
    return chart_response(compare_audits(audit, request.args.get("compare")), "domain", number)


FORMATS = {}  # filled below: number formatters for the templates


# -- what the pages show ------------------------------------------------------------------------


@dataclass
class Change:
    """The difference between two scores, told in words as well as by an arrow."""

    value: float | None
    mean: bool = False  # a domain mean (two decimals) rather than a whole score

    @cached_property
    def direction(self) -> str:
        if self.value is None:
            return "none"
        if abs(self.value) < 0.005:
            return "same"
        return "up" if self.value > 0 else "down"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "=", "none": ""}[self.direction]

    @property
    def text(self) -> str:
        words = change_words()
        if self.direction in ("none", "same"):
            return words[self.direction]
        amount = format_mean(abs(self.value)) if self.mean else format_score(abs(self.value))
        return words[self.direction] % {"n": amount}


def change_words() -> dict:
    """The words of a change in the current language, translated once a request (an overview page
    shows a hundred changes): "up %(n)s" and "down %(n)s" are filled in by :attr:`Change.text`."""
    language_key = str(get_locale())
    words = g.get("_change_words")
    if words is None or words[0] != language_key:
        words = g._change_words = (language_key, {
            "none": _("not comparable"), "same": _("no change"), "up": _("up %(n)s"), "down": _("down %(n)s")})
    return words[1]


def change(before, after, mean=False) -> Change:
    return Change(None if before is None or after is None else round(after - before, 2), mean)


def format_score(value) -> str:
    """A whole score as it was given ("3"); "–" for none."""
    if value is None:
        return "–"
    return f"{value:g}"


def format_mean(value) -> str:
    """A mean, always with two decimals ("2.00", "2.25"); "–" for none."""
    if value is None:
        return "–"
    return format_decimal(value, "0.00")


def format_percent(value) -> str:
    if value is None:
        return "–"
    return format_percent_(value / 100, "0.0%")


FORMATS.update(format_score=format_score, format_mean=format_mean, format_percent=format_percent)


def full_text(framework, code: str, lang: str | None) -> str:
    """A statement's text; a child statement (4.1a) reads on from its heading's text (4.1), as printed."""
    statement = framework.statement(code)
    text = statement.text_for(lang)
    if statement.parent:
        return f"{framework.statement(statement.parent).text_for(lang)} {text}"
    return text


def _agreed_of(result) -> dict:
    """``{code: agreed score}`` (statements with one) of a :class:`~hsbtrack.audits.consolidation.Consolidated`
    or an :class:`~hsbtrack.audits.figures.AuditFigures`: the rows below take either."""
    if isinstance(result, figures.AuditFigures):
        return result.agreed
    return {code: r.agreed for code, r in result.by_code.items() if r.agreed is not None}


def _domain_means_of(result) -> tuple:
    if isinstance(result, figures.AuditFigures):
        return result.domain_means
    return tuple(d.mean for d in result.domains)


def _domain_rows(framework, audits, results, lang):
    """Rows of the domain radar's data table: a domain and its mean in each cycle. ``results``:
    ``{audit id: Consolidated or AuditFigures}``."""
    means = [_domain_means_of(results[a.id]) for a in audits]
    cells = CycleCells(mean=True)
    rows = []
    for index, domain in enumerate(framework.domains):
        values = [m[index] for m in means]
        short_title = domain.short_title_for(lang)
        changes = [change(values[i - 1], values[i], mean=True) for i in range(1, len(values))]
        shown = [cells.format(v) for v in values]
        rows.append({"number": domain.number, "title": domain.title_for(lang), "short_title": short_title,
                     "header": f"{domain.number}. {short_title}", "values": values, "shown": shown,
                     "changes": changes, "cells": cells(shown, changes)})
    return rows


def _statement_rows(framework, domain, audits, results, lang):
    agreed = [_agreed_of(results[a.id]) for a in audits]
    cells = CycleCells()
    rows = []
    for statement in domain.scored_statements:
        values = [scores.get(statement.code) for scores in agreed]
        changes = [change(values[i - 1], values[i]) for i in range(1, len(values))]
        shown = [cells.format(v) for v in values]
        rows.append({"code": statement.code, "text": full_text(framework, statement.code, lang), "values": values,
                     "header": statement.code, "shown": shown, "changes": changes, "cells": cells(shown, changes)})
    return rows


class CycleCells:
    """The cells of one row of a cycle table (``cycle_table`` in templates/overview/_macros.html): a
    value per cycle, then each change in words after its arrow. Built here rather than cell by cell
    in the template: an overview shows six such tables, and Jinja's work per cell (a macro, a
    formatter, the change's words) was a large part of the page (make bench)."""

    def __init__(self, mean: bool = False):
        self._format = format_mean if mean else format_score
        self._shown = {}  # value -> its text: a table repeats a handful of values (a locale's number format is slow)
        self._words = None  # change_words(), when a change is first told

    def format(self, value) -> str:
        """:func:`format_mean` (``mean``) or :func:`format_score` of ``value``."""
        shown = self._shown.get(value)
        if shown is None:
            shown = self._shown[value] = self._format(value)
        return shown

    def change_text(self, c: Change) -> str:
        """:attr:`Change.text`, with this table's formatter."""
        words = self._words = self._words or change_words()
        if c.direction in ("none", "same"):
            return words[c.direction]
        return words[c.direction] % {"n": self.format(abs(c.value))}

    def __call__(self, shown, changes) -> Markup:
        """The cells of a row: ``shown``, each cycle's value as :meth:`format` gives it, then ``changes``."""
        cells = [f'<td class="govuk-table__cell govuk-table__cell--numeric">{escape(text)}</td>' for text in shown]
        for c in changes:
            arrow = f'<span class="hsb-change__arrow" aria-hidden="true">{c.arrow}</span> ' if c.arrow else ""
            cells.append(f'<td class="govuk-table__cell hsb-change hsb-change--{c.direction}">\n  {arrow}'
                         f'{escape(self.change_text(c))}\n</td>')
        return Markup("".join(cells))  # noqa: S704  # nosec B704  # every value above is escaped


class DisagreementCells:
    """The agency cells of one row of the disagreements table: each agency's score, "lowest" (hidden
    text) on the lowest, a dash and "not scored" where the agency has not scored the statement.

    Built here rather than cell by cell in the template (``disagreements_table``): a national-scale
    audit can have every statement in disagreement, 460 cells at 10 agencies, and Jinja's work per
    cell was a large part of the page (make bench). The texts are translated once per table.
    """

    def __init__(self, participants):
        self.agency_ids = [agency.id for _participant, agency in participants]
        not_scored = escape(_("not scored"))
        self.unscored = (f'<td class="govuk-table__cell govuk-table__cell--numeric"><span title="{not_scored}">–</span>'
                         f'<span class="govuk-visually-hidden">{not_scored}</span></td>')
        self.lowest_text = f'<span class="govuk-visually-hidden"> ({escape(_("lowest"))})</span>'

    def __call__(self, result) -> Markup:
        scores, lowest = result.agency_scores, result.lowest
        cells = []
        for agency_id in self.agency_ids:
            score = scores.get(agency_id)
            if score is None:
                cells.append(self.unscored)
            elif score == lowest:
                cells.append(f'<td class="govuk-table__cell govuk-table__cell--numeric hsb-lowest">{escape(score)}'
                             f'{self.lowest_text}</td>')
            else:
                cells.append(f'<td class="govuk-table__cell govuk-table__cell--numeric">{escape(score)}</td>')
        return Markup("\n".join(cells))  # noqa: S704  # nosec B704  # every value above is escaped


@bp.app_template_global()
def disagreement_cells(participants) -> DisagreementCells:
    return DisagreementCells(participants)


@bp.app_template_global()
def accordion_texts() -> dict:
    """The GOV.UK accordion's own words, in the page's language (its defaults are English)."""
    return {"showAllSectionsText": _("Show all sections"), "hideAllSectionsText": _("Hide all sections"),
            "showSectionText": _("Show"), "hideSectionText": _("Hide"),
            "showSectionAriaLabelText": _("Show this section"), "hideSectionAriaLabelText": _("Hide this section")}


@bp.app_template_global()
def returns_in_html(p) -> Markup:
    """"2 of 3 returns in" for a :class:`~hsbtrack.audits.services.Provisional` (templates/audits/_provisional.html's
    ``returns_in``, in Python: a regional roll-up lists it for every open authority, up to 32 three times)."""
    text = ngettext("%(n)d of %(num)d return in", "%(n)d of %(num)d returns in", p.returns_total, n=p.returns_in)
    return Markup(f'<span class="hsb-nowrap" data-returns-in="{int(p.returns_in)}" '  # noqa: S704  # nosec B704  # numbers and escaped text only
                  f'data-returns-total="{int(p.returns_total)}">{escape(text)}</span>')


@bp.app_template_global()
def provisional_status(audits) -> dict:
    """``{audit_id: Provisional}`` for the audits a page shows (templates/audits/_provisional.html
    renders it): one grouped query for the open ones, none when all are closed."""
    return services.provisional_status(audits)


def _findings(framework, audit, result, area, lang):
    threshold = services.low_score_threshold(area)
    lowest = [{"result": r, "text": full_text(framework, r.code, lang), "label": framework.scale_label(r.agreed, lang)
               if r.agreed in framework.scale.labels else ""} for r in result.lowest_items(threshold)]
    disagreements = [{"result": r, "text": full_text(framework, r.code, lang)} for r in result.disagreements()]
    return threshold, lowest, disagreements


def _page_data(area, audit, *, overlaid):
    lang = language()
    framework = services.framework_of(audit)
    # the audit itself consolidated (its agency scores, disagreements, counts); the earlier cycles beside
    # it only by their agreed scores and domain means, from the figures cache (a closed cycle's never
    # change, so a page after a score is saved reads no row of theirs)
    result = services.consolidated_many([audit])[audit.id]
    results = {**figures.figures_many([a for a in overlaid if a.id != audit.id]), audit.id: result}
    threshold, lowest, disagreements = _findings(framework, audit, result, area, lang)
    domains = [{"domain": framework.domain(d.number), "title": framework.domain_title(d.number, lang),
                "short_title": framework.domain_short_title(d.number, lang), "result": d}
               for d in result.domains]
    statement_sections = [
        {"domain": d, "title": d.title_for(lang), "short_title": d.short_title_for(lang),
         "rows": _statement_rows(framework, d, overlaid, results, lang),
         "chart_url": chart_url(area, audit, overlaid, "domain", d.number)}
        for d in framework.domains
    ]
    return {
        "area": area, "audit": audit, "framework": framework, "lang": lang, "overlaid": overlaid,
        "result": result, "domains": domains, "threshold": threshold, "lowest": lowest,
        "disagreements": disagreements, "participants": services.participants(audit),
        "domain_rows": _domain_rows(framework, overlaid, results, lang),
        "domains_chart_url": chart_url(area, audit, overlaid, "domains"),
        "statement_sections": statement_sections, **FORMATS,
        "cycles_text": charts.join_labels([a.label for a in overlaid]),
        "provisional": services.provisional_status(overlaid),
    }


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/overview")
@requires(Perm.READ_AUDIT)
def audit_overview(area_id, audit_id):
    area, audit = _area_and_audit(area_id, audit_id)
    data = _page_data(area, audit, overlaid=overlay_audits(audit))
    return render_template("overview/overview.html", **data)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/report")
@requires(Perm.READ_AUDIT)
@logged_as_download("audit.report")
def report(area_id, audit_id):
    area, audit = _area_and_audit(area_id, audit_id)
    return render_template("overview/report.html", **report_context(area, audit, current_user))


def report_context(area, audit, user) -> dict:
    """Everything the board report shows, as ``user`` may read it: the page, and its PDF and Word files
    (:mod:`hsbtrack.audits.report_files`), are made from this one context."""
    comparable = services.comparable_audits(audit)
    baseline = next((a for a in comparable if a.cycle < audit.cycle), None)
    overlaid = [baseline, audit] if baseline is not None else [audit]
    data = _page_data(area, audit, overlaid=overlaid)
    # "What we did" (the action plan's) and any plugin's sections, each read in a fixed number of queries
    sections = collect("hsbtrack_report_sections", area, audit=audit, user=user)
    return {"today": today(), "report_sections": sections, **data}


# -- comparing cycles ---------------------------------------------------------------------------


class CompareForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    audits = SelectMultipleField(_l("Cycles to compare"), coerce=int)


def _requested_ids(args) -> list[str]:
    values = []
    for raw in args.getlist("audits"):
        values.extend(p for p in raw.replace(" ", "").split(",") if p)
    return values


@bp.route("/areas/<int:area_id>/audits/compare")
@requires(Perm.READ_AUDIT)
def compare(area_id):
    """Any two or three cycles of the area side by side. Without a choice: the latest two."""
    area = set_current_area(loaded("area_id"))
    all_audits = services.audits_for_area(area.id)
    by_id = {a.id: a for a in all_audits}
    asked = _requested_ids(request.args)
    form = CompareForm(formdata=MultiDict([("audits", v) for v in asked]) if asked else None)
    form.audits.widget = GovCheckboxesInput()
    form.audits.choices = [(a.id, _audit_choice_label(a)) for a in all_audits]
    chosen, error = [], None
    if asked:
        ids = [int(v) for v in asked if v.isdigit()]
        if len(ids) != len(asked) or any(i not in by_id for i in ids):
            error = _("Choose cycles of %(area)s from the list", area=area.display_name)
        else:
            chosen = sorted({by_id[i] for i in ids}, key=lambda a: (a.framework, a.cycle))
            if not 2 <= len(chosen) <= MAX_OVERLAID:
                error = _("Choose two or three cycles to compare")
            elif len({a.framework for a in chosen}) > 1:
                error = _("Choose cycles of the same framework")
    elif all_audits:
        latest = max(all_audits, key=lambda a: a.opened_at)
        chosen = [a for a in all_audits if a.framework == latest.framework][-2:]
        if len(chosen) < 2:
            chosen = []
    if error:
        form.audits.errors = [error]
        form.audits.data = [int(v) for v in asked if v.isdigit() and int(v) in by_id]
        chosen = []
    else:
        form.audits.data = [a.id for a in chosen]
    data = _compare_data(area, chosen) if chosen else None
    return render_template("overview/compare.html", area=area, form=form, audits=all_audits, chosen=chosen,
                           data=data, **FORMATS)


def _audit_choice_label(audit: Audit) -> str:
    if audit.completed_on:
        status = _("closed, completed %(date)s", date=format_date(audit.completed_on, "d MMMM yyyy"))
    elif audit.is_open:
        status = _("open")
    else:
        status = _("closed")
    return f"{audit.label} – {audit.title} ({status})"


def _compare_data(area, chosen):
    lang = language()
    latest = chosen[-1]
    framework = services.framework_of(latest)
    results = services.consolidated_many(chosen)
    return {
        "framework": framework,
        "domain_rows": _domain_rows(framework, chosen, results, lang),
        "overall": (overall := [results[a.id].overall_mean for a in chosen]),
        "overall_changes": [change(overall[i - 1], overall[i], mean=True) for i in range(1, len(overall))],
        "sections": [{"domain": d, "title": d.title_for(lang), "rows": _statement_rows(framework, d, chosen, results, lang)}
                     for d in framework.domains],
        "chart_url": chart_url(area, latest, chosen, "domains"),
        "cycles_text": charts.join_labels([a.label for a in chosen]),
        "provisional": services.provisional_status(chosen),
    }
