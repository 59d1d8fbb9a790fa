"""Regional board pages (thin: parse, call a service, render)."""

import math

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from hsbtrack.actions.services import status_labels
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import charts
from hsbtrack.audits import services as audits
from hsbtrack.audits.overview import cached_svg_response, format_mean, format_score, language
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import Target, can_in_region, is_admin, loaded, may_open, record_loader, requires
from hsbtrack.plugins.blueprints import area_plugin_blueprint, region_plugin_blueprint
from hsbtrack.views_support import current_area
from hsbtrack.yearly_reports import services as yearly_reports
from hsbtrack_regional import services
from hsbtrack_regional.exports import annual_report_response
from hsbtrack_regional.forms import (
    DATE_FIELDS,
    ArrangementForm,
    OpenRoundForm,
    PresetForm,
    RegionalActionForm,
    ShareScoresForm,
)
from hsbtrack_regional.models import RegionalRound

area_bp = area_plugin_blueprint("regional", __name__)
region_bp = region_plugin_blueprint("regional", __name__)
admin_bp = Blueprint("regional_admin", __name__, url_prefix="/admin/regional", template_folder="templates")


def heat_cells(by_area: dict, area_ids: list, fmt) -> Markup:
    """The heat cells of one row of a roll-up, one per authority of ``area_ids`` (``regional/_macros.html``'s
    ``heat_cell``, in Python: a 32-authority heatmap has 1,472 cells, which cost the page more as
    template calls than all of its figures). Each distinct value is formatted once."""
    no_score = f'<td class="govuk-table__cell hsb-heat hsb-heat--none">–<span class="govuk-visually-hidden"> ' \
               f'{escape(_("no score"))}</span></td>'
    done = {}
    cells = []
    for area_id in area_ids:
        value = by_area.get(area_id)
        cell = done.get(value)
        if cell is None:
            cell = done[value] = no_score if value is None else (
                f'<td class="govuk-table__cell hsb-heat hsb-heat--{math.floor(value)}">{escape(fmt(value))}</td>')
        cells.append(cell)
    return Markup("".join(cells))  # noqa: S704  # nosec B704  # numbers and escaped text only


HELPERS = {"format_mean": format_mean, "format_score": format_score, "heat_cells": heat_cells}


def _manage() -> bool:
    return can_in_region(current_user, Perm.MANAGE_REGION, g.region.id)


def _require_manage():
    if not _manage():
        abort(403)


@record_loader("round_id", blueprint="regional_region")
def _load_round(round_id):
    round_ = db.session.get(RegionalRound, round_id)
    return Target(round_, region_id=round_.region_id) if round_ is not None else None


def _round_or_404(round_id):
    return loaded("round_id")  # loaded and checked (a round of this region) by ``requires``


def _radar(axes, series, title, chart_id) -> bytes:
    """The core radar, leaving out series without a single score (pygal cannot draw an empty radar:
    then a small SVG says so in words)."""
    from markupsafe import escape

    series = [s for s in series if any(v is not None for v in s.values)]
    if not series:
        text = escape(_("No scores yet"))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="760" height="80" viewBox="0 0 760 80">'
                f'<title>{escape(title)}</title><text x="20" y="45" font-family="Arial, sans-serif" '
                f'font-size="22" fill="#0b0c0c">{text}</text></svg>').encode()
    return charts.radar(axes, series, title=title, chart_id=chart_id)


def _ready(form) -> bool:
    """The form is valid, or wrong only in its dates. In the second case the service is still called (with
    no date, so it saves nothing) to report every other problem at once, beside the date's own message."""
    if form.validate_on_submit():
        return True
    return form.is_submitted() and set(form.errors) <= DATE_FIELDS


def _show_errors(form, error) -> None:
    """The service's messages next to the fields; a date's own message ("must be a real date") wins over the
    service's for the same field."""
    fields = {k: v for k, v in error.fields.items() if not (k in DATE_FIELDS and getattr(form, k).errors)}
    if fields or not form.errors:
        apply_service_errors(form, ServiceError(error.message, fields))


def _member_choices():
    return [(str(a.id), a.display_name) for a in services.member_areas(g.region)]


# -- admin: the North Wales preset ---------------------------------------------------------------------


@admin_bp.route("/north-wales", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def preset():
    form = PresetForm()
    if form.validate_on_submit():
        try:
            result = services.preset_north_wales(user=current_user)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            if result.created:
                flash(_("North Wales is ready: %(n)d records created", n=len(result.created)), "success")
            else:
                flash(_("North Wales was already set up: nothing to add"), "success")
            return redirect(url_for("regions.detail", region_id=result.region.id))
    return render_template("regional/preset.html", form=form, authorities=services.NORTH_WALES_AUTHORITIES,
                           agencies=services.NORTH_WALES_AGENCIES, welsh=services.NORTH_WALES_WELSH_NAMES)


# -- the region's pages ----------------------------------------------------------------------------


@region_bp.route("/", methods=["GET", "POST"])
@requires(Perm.VIEW_REGION, POST=Perm.MANAGE_REGION)
def home():
    form = OpenRoundForm()
    frameworks = sorted(audits.catalogue().all(), key=lambda f: (f.slug != audits.DEFAULT_FRAMEWORK, f.title))
    form.framework.choices = [(f.slug, f.title) for f in frameworks]
    if request.method == "GET":
        form.framework.data = audits.DEFAULT_FRAMEWORK
    if request.method == "POST":
        _require_manage()
        if form.validate_on_submit():
            try:
                round_ = services.open_round(g.region, form.framework.data, form.title.data, user=current_user)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("%(title)s is open in every member authority", title=round_.title), "success")
                return redirect(url_for("regional_region.round_detail", round_id=round_.id))
    rounds = services.rounds_for_region(g.region.id)
    return render_template("regional/region_home.html", region=g.region, form=form, rounds=rounds,
                           members=services.member_areas(g.region), manage=_manage(),
                           is_admin=is_admin(current_user), share_form=ShareScoresForm(
                               share_scores=services.shares_scores(g.region.id)), **HELPERS)


@region_bp.route("/rounds/<int:round_id>/")
@requires(Perm.VIEW_REGION)
def round_detail(round_id):
    round_ = _round_or_404(round_id)
    members = services.round_status(round_)
    rollup = services.rollup(round_, members)
    region_audits = services.region_audits(g.region.id, round_.framework)  # one query for both
    trend = services.trend(g.region.id, round_.framework, rows=region_audits)
    # the round's audits are among the region's: one grouped query tells which are open, for both
    statuses = audits.provisional_status([m.audit for m in members] + [audit for _r, _a, audit in region_audits])
    open_members = services.open_authorities(members, statuses)
    trend_open = services.open_authorities_by_round(g.region.id, round_.framework, rows=region_audits,
                                                    statuses=statuses)
    partners = services.round_partners(round_, members)
    organisation_urls = {p.organisation.id: url_for("organisations.detail", organisation_id=p.organisation.id)
                         for p in partners}
    organisation_urls = {key: url for key, url in organisation_urls.items() if may_open(current_user, url)}
    return render_template("regional/round.html", region=g.region, round=round_, rollup=rollup, members=members,
                           partners=partners, organisation_urls=organisation_urls,
                           trend=trend, lang=language(), open_members=open_members,
                           provisional={p.audit.id: p for _area, p in open_members},
                           trend_open=trend_open, trend_open_members=[pair for r, _m in trend for pair in trend_open.get(r.id, [])],
                           **HELPERS)


@region_bp.route("/rounds/<int:round_id>/radar.svg")
@requires(Perm.VIEW_REGION)
def round_radar(round_id):
    round_ = _round_or_404(round_id)
    members = services.round_status(round_)
    lang = language()
    key = ("regional-radar", round_.id, lang, services.data_version_key([m.audit for m in members]),
           tuple((m.area.display_name, m.finished) for m in members))

    def render():
        rollup = services.rollup(round_, members)
        axes = [d.short_title_for(lang) for d, _s in rollup.domains]
        # an authority whose audit is open is named provisional in the key
        series = [charts.Series(m.area.display_name if m.finished else _("%(cycle)s (provisional)",
                                                                       cycle=m.area.display_name),
                                tuple(s.by_area.get(m.area.id) for _d, s in rollup.domains))
                  for m in members]
        return _radar(axes, series, _("Domain scores by authority: %(round)s", round=round_.title),
                      f"regional-{round_.id}")

    return cached_svg_response(key, render)


@region_bp.route("/trend.svg")
@requires(Perm.VIEW_REGION)
def trend_radar():
    lang = language()
    rows = services.region_audits(g.region.id, audits.DEFAULT_FRAMEWORK)
    # a round with an authority whose audit is open has provisional means: named so in the key
    provisional = frozenset(r.id for r, _ar, a in rows if a.is_open)
    key = ("regional-trend", g.region.id, lang, services.data_version_key([a for _r, _ar, a in rows]),
           tuple(sorted(provisional)))

    def render():
        framework = audits.catalogue().get(audits.DEFAULT_FRAMEWORK)
        axes = [d.short_title_for(lang) for d in framework.domains]
        series = [charts.Series(_("%(cycle)s (provisional)", cycle=r.label) if r.id in provisional else r.label,
                                tuple(means), r.cycle)
                  for r, means in services.trend(g.region.id, audits.DEFAULT_FRAMEWORK)]
        return _radar(axes, series, _("Regional domain means, T1 to T3"), f"regional-trend-{g.region.id}")

    return cached_svg_response(key, render)


@region_bp.route("/actions/", methods=["GET", "POST"])
@requires(Perm.VIEW_REGION, POST=Perm.MANAGE_REGION)
def actions():
    form = RegionalActionForm()
    form.area_ids.choices = _member_choices()
    if request.method == "POST":
        _require_manage()
        if _ready(form):
            codes = [c.strip() for c in (form.statements.data or "").split(",") if c.strip()]
            try:
                services.create_regional_action(g.region, title=form.title.data, description=form.description.data,
                                                due_on=form.due_on.data, statements=codes,
                                                area_ids=form.area_ids.data, owner=current_user, user=current_user,
                                                record_overdue=bool(form.record_overdue.data))
            except ServiceError as error:
                _show_errors(form, error)
            else:
                flash(_("The regional action has been added to each authority's plan"), "success")
                return redirect(url_for("regional_region.actions"))
    plan = services.regional_plan(g.region.id)

    return render_template("regional/actions.html", region=g.region, form=form, plan=plan, manage=_manage(),
                           statuses=status_labels(), summary=services.status_summary)


@region_bp.route("/commissioning/", methods=["GET", "POST"])
@requires(Perm.VIEW_REGION, POST=Perm.MANAGE_REGION)
def commissioning():
    form = ArrangementForm()
    form.area_ids.choices = _member_choices()
    if request.method == "POST":
        _require_manage()
        if _ready(form):
            try:
                services.add_arrangement(g.region, arrangement=form.arrangement.data, service=form.service.data,
                                         area_ids=form.area_ids.data, cost_share=form.cost_share.data,
                                         start_on=form.start_on.data, review_on=form.review_on.data,
                                         user=current_user)
            except ServiceError as error:
                _show_errors(form, error)
            else:
                flash(_("The arrangement has been added to the register"), "success")
                return redirect(url_for("regional_region.commissioning"))
    return render_template("regional/commissioning.html", region=g.region, form=form,
                           rows=services.arrangements(g.region.id), names=services.area_names(g.region.id),
                           manage=_manage())


@record_loader("report_id", blueprint="regional_region")
def _load_report(report_id):
    """A region's yearly report named in a regional URL (its figures as a spreadsheet): read with what its kind
    names for reading."""
    report = yearly_reports.get_report(report_id)
    kind = yearly_reports.kind_of(report) if report is not None else None
    if kind is None or report.region_id is None:
        return None
    return Target(report, region_id=report.region_id, permission_for={Perm.VIEW_REGION: kind.read_permission})


@region_bp.route("/yearly-reports/<int:report_id>/figures.xlsx")
@requires(Perm.VIEW_REGION)
def figures(report_id):
    """The figures behind a regional annual report or plan, as a spreadsheet (offered on the report's page)."""
    return annual_report_response(loaded("report_id"))


# -- an authority's own page -------------------------------------------------------------------------


@area_bp.route("/")
@requires(Perm.READ_AUDIT)
def area_home():
    area = current_area()
    round_ = services.latest_round_for_area(area)
    members = services.round_status(round_) if round_ else []
    rollup = services.rollup(round_, members) if round_ else None
    open_members = services.open_authorities(members)
    shared = services.shares_scores(area.region_id)
    beside = None
    if rollup is not None and not shared:  # only what cannot pin down another authority
        beside = {"domains": [(d, services.beside_own(s, area.id)) for d, s in rollup.domains],
                  "statements": [(st, services.beside_own(s, area.id)) for st, s in rollup.statements]}

    return render_template("regional/area_home.html", area=area, round=round_, rollup=rollup, shared=shared,
                           beside=beside, bands=services.BANDS, band_names=_band_names(), min_others=services.MIN_OTHERS,
                           regional_actions=services.regional_actions_for_area(area.id),
                           arrangements=services.arrangements_for_area(area), lang=language(),
                           statuses=status_labels(), own_open=next((p for a, p in open_members if a.id == area.id), None),
                           # other authorities still open: counted on the page, never named
                           others_open=[(a, p) for a, p in open_members if a.id != area.id], **HELPERS)


def _band_names() -> list[str]:
    last = len(services.BANDS) - 1
    return [_("%(low)d to %(high)d", low=low, high=high) if i == last else
            _("%(low)d to under %(high)d", low=low, high=high) for i, (low, high) in enumerate(services.BANDS)]


@region_bp.route("/sharing", methods=["POST"])
@requires(Perm.MANAGE_REGION)
def sharing():
    """The region's choice: may its authorities see each other's scores? (off by default)."""
    form = ShareScoresForm()
    if form.validate_on_submit():
        services.set_shares_scores(g.region, form.share_scores.data, user=current_user)
        if form.share_scores.data:
            flash(_("The authorities of %(region)s now see each other's agreed scores", region=g.region.display_name),
                  "success")
        else:
            flash(_("Each authority of %(region)s now sees only its own scores, the regional median and the "
                    "number of authorities in each band", region=g.region.display_name), "success")
    return redirect(url_for("regional_region.home"))
