"""The regional board plugin: preset, rounds, roll-up, data walls, regional actions, commissioning."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hsbtrack.extensions import db
from hsbtrack.testing import count_queries, login, post_form


@pytest.fixture()
def north_wales(world):
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services

    region = services.preset_north_wales().region
    set_region_plugin(region, "regional", True)
    return region


def _parts(day: date) -> list[str]:
    """A date as the GOV.UK date input posts it: day, month, year."""
    return [str(day.day), str(day.month), str(day.year)]


def _areas(region):
    from hsbtrack_regional import services

    return {a.name: a for a in services.member_areas(region)}


# -- (1) preset --------------------------------------------------------------------------------------------


def test_preset_creates_the_region_six_authorities_and_partners_and_is_idempotent(ctx):
    from hsbtrack.areas.models import Agency, Area, Region
    from hsbtrack_regional import services

    first = services.preset_north_wales()
    assert first.region.name == "North Wales"
    areas = services.member_areas(first.region)
    assert sorted(a.name for a in areas) == sorted(services.NORTH_WALES_AUTHORITIES)
    for area in areas:
        assert {a.name for a in area.agencies} == set(services.NORTH_WALES_AGENCIES)
    agencies = db.session.scalar(select(func.count()).select_from(Agency))
    second = services.preset_north_wales()
    assert second.created == []
    assert second.region.id == first.region.id
    assert db.session.scalar(select(func.count()).select_from(Agency)) == agencies == 30
    assert db.session.scalar(select(func.count()).select_from(Area)) == 6
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1


def test_preset_refuses_an_authority_of_another_region_and_changes_nothing(world):
    from hsbtrack.errors import ServiceError
    from hsbtrack_regional import services

    other = world.region("Elsewhere")
    world.area("Conwy", other, agencies=())
    with pytest.raises(ServiceError):
        services.preset_north_wales()
    from hsbtrack.areas.models import Region

    assert db.session.scalar(select(func.count()).select_from(Region)) == 1


def test_preset_page_and_cli(client, world, app):
    admin = world.user("admin@example.org", admin=True)
    login(client, admin)
    assert "North Wales" in client.get("/admin/regional/north-wales").get_data(as_text=True)
    response = post_form(client, "/admin/regional/north-wales", {})
    assert response.status_code == 302
    runner = app.test_cli_runner()
    result = runner.invoke(args=["regional", "preset-north-wales"])
    assert result.exit_code == 0, result.output
    assert "0 records created" in result.output


def test_preset_page_is_for_admins_only(client, world):
    region = world.region("North")
    coordinator = world.user("coord@example.org", region=region, role="regional_coordinator")
    login(client, coordinator)
    assert client.get("/admin/regional/north-wales").status_code == 404


def test_enabling_for_the_region_turns_it_on_in_every_authority(north_wales):
    from hsbtrack.plugins.services import is_enabled

    assert all(is_enabled(a, "regional") for a in _areas(north_wales).values())


# -- (2) rounds ----------------------------------------------------------------------------------------------


def test_a_round_opens_an_audit_in_every_authority_and_shows_who_finished(north_wales):
    from hsbtrack.audits.services import close_audit
    from hsbtrack.errors import ConflictError
    from hsbtrack_regional import services

    round_ = services.open_round(north_wales, title="T1 round")
    status = services.round_status(round_)
    assert len(status) == 6 and not any(m.finished for m in status)
    assert {m.audit.cycle for m in status} == {1}
    with pytest.raises(ConflictError):
        services.open_round(north_wales)
    for m in status:
        close_audit(m.audit, override_reason="closed as the test sets it up")
    assert all(m.finished for m in services.round_status(round_))
    second = services.open_round(north_wales)
    assert second.cycle == 2
    assert {m.audit.cycle for m in services.round_status(second)} == {2}


def test_a_coordinator_opens_a_round_through_the_page(client, world, north_wales):
    coordinator = world.user("coord@example.org", region=north_wales, role="regional_coordinator")
    login(client, coordinator)
    path = f"/regions/{north_wales.id}/regional/"
    response = post_form(client, path, {"framework": "nspcc-hsb-2019", "title": "Spring round"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Spring round" in page and "0 of 6 authorities" in page


# -- (3) roll-up and data walls -------------------------------------------------------------------------------


@pytest.fixture()
def t1(north_wales):
    from hsbtrack_regional.demo import build

    region, round_ = build()
    return round_


def test_rollup_lowest_median_spread(t1):
    from hsbtrack_regional import services

    rollup = services.rollup(t1)
    areas = {m.area.name: m.area.id for m in rollup.members}
    statement, spread = rollup.statements[0]
    scores = [spread.by_area[areas[n]] for n in ("Conwy", "Gwynedd", "Wrexham")]
    assert None not in scores
    assert spread.by_area[areas["Anglesey"]] is None
    assert spread.lowest == min(scores) and spread.spread == max(scores) - min(scores)
    assert spread.median == sorted(scores)[1]
    for _domain, s in rollup.domains:
        assert s.lowest is not None and s.median is not None


def _coordinator(world, region_id):
    from hsbtrack.areas.models import Region

    return world.user("coord@example.org", region=db.session.get(Region, region_id), role="regional_coordinator")


def test_round_page_heatmap_radar_and_trend(client, world, t1):
    region_id = t1.region_id
    login(client, _coordinator(world, region_id))
    page = client.get(f"/regions/{region_id}/regional/rounds/{t1.id}/").get_data(as_text=True)
    assert "3 of 6 authorities" in page
    assert 'id="statement-rollup"' in page and "hsb-heat--" in page
    assert "Evidence of" not in page
    radar = client.get(f"/regions/{region_id}/regional/rounds/{t1.id}/radar.svg")
    assert radar.status_code == 200 and radar.mimetype == "image/svg+xml"
    svg = radar.get_data(as_text=True)
    assert "Conwy" in svg and "Wrexham" in svg and "<script" not in svg
    again = client.get(f"/regions/{region_id}/regional/rounds/{t1.id}/radar.svg",
                       headers={"If-None-Match": radar.headers["ETag"]})
    assert again.status_code == 304
    trend = client.get(f"/regions/{region_id}/regional/trend.svg")
    assert trend.status_code == 200 and "T1" in trend.get_data(as_text=True)


def test_welsh_pages_and_charts_name_the_authorities_in_welsh(client, world, t1):
    """Welsh Language Standards: on Welsh pages the region, its authorities and partners take their
    Welsh names (Ynys Môn, Wrecsam, Gogledd Cymru); English pages keep the English ones."""
    region_id = t1.region_id
    login(client, _coordinator(world, region_id))
    round_url = f"/regions/{region_id}/regional/rounds/{t1.id}/"
    english = client.get(round_url).get_data(as_text=True)
    assert "Anglesey" in english and "Wrexham" in english and "Ynys Môn" not in english

    client.get("/language/cy")
    welsh = client.get(round_url).get_data(as_text=True)
    for name in ("Ynys Môn", "Sir Ddinbych", "Sir y Fflint", "Wrecsam", "Gogledd Cymru", "Gwynedd", "Conwy"):
        assert name in welsh, name
    for name in ("Anglesey", "Denbighshire", "Flintshire", "Wrexham"):
        assert name not in welsh, name
    # listed in the order of the names shown: Ynys Môn comes last in Welsh, first (Anglesey) in English
    order = ["Conwy", "Gwynedd", "Sir Ddinbych", "Sir y Fflint", "Wrecsam", "Ynys Môn"]
    status = welsh[welsh.index('id="round-status"'):welsh.index('id="domains"')]
    assert sorted(order, key=status.index) == order
    # "North Wales" is left only in the round's own title, which is data typed in English
    assert welsh.count("North Wales") == welsh.count("North Wales regional audit T1") > 0
    svg = client.get(f"{round_url}radar.svg").get_data(as_text=True)
    assert "Wrecsam" in svg and "Wrexham" not in svg  # the chart cache is kept per language
    from hsbtrack.areas.models import Region

    wrexham = _areas(db.session.get(Region, region_id))["Wrexham"]
    agencies = client.get(f"/areas/{wrexham.id}/agencies").get_data(as_text=True)
    assert "Heddlu Gogledd Cymru" in agencies and "Bwrdd Iechyd Prifysgol Betsi Cadwaladr" in agencies
    assert "North Wales Police" not in agencies


def test_the_preset_gives_welsh_names_to_records_made_before_them(ctx):
    from hsbtrack.areas.models import Agency, Area
    from hsbtrack_regional import services

    region = services.preset_north_wales().region
    for model in (Area, Agency):
        for record in db.session.scalars(select(model)):
            record.name_cy = None
    region.name_cy = None
    db.session.commit()
    assert services.preset_north_wales().created == []
    names = dict(db.session.execute(select(Area.name, Area.name_cy)).all())
    assert names["Anglesey"] == "Ynys Môn" and names["Wrexham"] == "Wrecsam" and names["Conwy"] is None
    assert region.name_cy == "Gogledd Cymru"
    assert set(db.session.scalars(select(Agency.name_cy).where(Agency.name == "North Wales Police"))) == {
        "Heddlu Gogledd Cymru"}


def _forget_figures(app):
    """Empty the roll-up and trend cache and the audits' own figures (hsbtrack.audits.figures), so that a
    request does all of its work (and its queries)."""
    for name in ("hsbtrack_regional_figures", "hsbtrack_audit_figures"):
        cache = app.extensions.get(name)
        if cache is not None:
            cache.clear()


def test_the_round_page_runs_constant_queries(app, client, world, north_wales):
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import seed_scores

    login(client, _coordinator(world, north_wales.id))
    round_ = services.open_round(north_wales)
    members = services.round_status(round_)
    seed_scores(members[0].audit, (1, 2))
    path = f"/regions/{north_wales.id}/regional/rounds/{round_.id}/"
    client.get(path)
    _forget_figures(app)
    with count_queries(app) as small:
        assert client.get(path).status_code == 200
    for m in members[1:]:
        seed_scores(m.audit, (3, 1, 2))
    _forget_figures(app)
    with count_queries(app) as large:
        assert client.get(path).status_code == 200
    assert large() == small()


def _heat_cells(page: str, code: str) -> list[str]:
    """The authorities' cells of one statement's row in the round page's heatmap, as text."""
    import re

    table = page.split('id="statement-rollup"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr")[1:] if f">{code}</abbr>" in r)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<td class="[^"]*hsb-heat[^"]*">(.*?)</td>', row)]


def test_the_round_page_reuses_its_figures_until_a_score_changes(app, client, world, north_wales):
    """Roll-up and trend are cached by the audits' data versions: a second view shows the same without
    consolidating again, and a changed score (or agreed score) shows on the next view."""
    from hsbtrack.audits import services as audits
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import seed_scores

    login(client, _coordinator(world, north_wales.id))
    round_ = services.open_round(north_wales)
    members = services.round_status(round_)
    seed_scores(members[0].audit, (1, 2))
    path = f"/regions/{north_wales.id}/regional/rounds/{round_.id}/"
    _forget_figures(app)
    with count_queries(app) as first_view:
        first = client.get(path).get_data(as_text=True)
    with count_queries(app) as second_view:
        second = client.get(path).get_data(as_text=True)
    assert second_view() < first_view()
    assert _heat_cells(second, "1.1") == _heat_cells(first, "1.1")
    assert _heat_cells(first, "1.1")[0] == "0" and "no score" in _heat_cells(first, "1.1")[1]  # lowest of 1 and 0

    audit = members[0].audit
    for agency_id in audits.participant_ids(audit):
        audits.save_response(audit, agency_id, "1.1", score=3)
    assert _heat_cells(client.get(path).get_data(as_text=True), "1.1")[0] == "3"
    audits.set_agreed_score(audit, "1.1", 2, "Moderated at the board.")
    assert _heat_cells(client.get(path).get_data(as_text=True), "1.1")[0] == "2"


def test_a_conwy_user_sees_the_aggregates_not_wrexhams_evidence(client, world, t1):
    from hsbtrack_regional import services

    members = {m.area.name: m for m in services.round_status(t1)}
    conwy, wrexham = members["Conwy"], members["Wrexham"]
    user = world.user("manager@conwy.example", conwy.area, "board_manager")
    login(client, user)
    base = f"/areas/{wrexham.area.id}/audits/{wrexham.audit.id}"
    for path in (f"{base}/", f"{base}/moderation", f"{base}/statements/1.1", f"/areas/{wrexham.area.id}/regional/",
                 f"/regions/{t1.region_id}/regional/", f"/regions/{t1.region_id}/regional/rounds/{t1.id}/"):
        assert client.get(path).status_code == 404, path
    page = client.get(f"/areas/{conwy.area.id}/regional/").get_data(as_text=True)
    assert "Median of the other authorities" in page and 'id="area-statements"' in page
    assert "Regional lowest" not in page and "Spread" not in page
    assert "Evidence of" not in page and "Wrexham" not in page
    # Conwy's own evidence is where it always was.
    own = client.get(f"/areas/{conwy.area.id}/audits/{conwy.audit.id}/statements/1.1").get_data(as_text=True)
    assert "Evidence of Conwy" in own


# -- (4) regional action plan ---------------------------------------------------------------------------------


def test_a_regional_action_assigned_to_two_authorities_shows_in_both_plans(client, world, north_wales):
    from hsbtrack.actions.services import plan, update_action
    from hsbtrack_regional import services

    areas = _areas(north_wales)
    coordinator = _coordinator(world, north_wales.id)
    login(client, coordinator)
    response = post_form(client, f"/regions/{north_wales.id}/regional/actions/", {
        "title": "One HSB pathway", "statements": "3.1, 3.2", "due_on": ["31", "1", "2030"],
        "area_ids": [str(areas["Conwy"].id), str(areas["Wrexham"].id)]})
    assert response.status_code == 302
    [(regional, assignments)] = services.regional_plan(north_wales.id)
    assert [a.name for a, _x in assignments] == ["Conwy", "Wrexham"]
    conwy_action = plan(areas["Conwy"].id)[0]
    wrexham_action = plan(areas["Wrexham"].id)[0]
    assert conwy_action.title == wrexham_action.title == "One HSB pathway"
    assert plan(areas["Gwynedd"].id) == []
    update_action(conwy_action, {"status": "in_progress"}, user=coordinator)
    [(regional, assignments)] = services.regional_plan(north_wales.id)
    assert {a.name: x.status for a, x in assignments} == {"Conwy": "in_progress", "Wrexham": "not_started"}
    page = client.get(f"/regions/{north_wales.id}/regional/actions/").get_data(as_text=True)
    assert "One HSB pathway" in page
    manager = world.user("manager@wrexham.example", areas["Wrexham"], "board_manager")
    client = client.application.test_client()
    login(client, manager)
    page = client.get(f"/areas/{areas['Wrexham'].id}/regional/").get_data(as_text=True)
    assert "One HSB pathway" in page and "Regional" in page
    dashboard = client.get(f"/areas/{areas['Wrexham'].id}/").get_data(as_text=True)
    assert "Regional actions" in dashboard


def test_a_bad_regional_action_shows_errors_and_saves_nothing(client, world, north_wales):
    from hsbtrack.actions.models import Action

    login(client, _coordinator(world, north_wales.id))
    response = post_form(client, f"/regions/{north_wales.id}/regional/actions/", {
        "title": "", "statements": "9.9", "due_on": ["soon", "", ""]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "govuk-error-message" in page and "Choose at least one authority" in page
    assert db.session.scalar(select(func.count()).select_from(Action)) == 0


# -- (5) commissioning ---------------------------------------------------------------------------------------


def test_commissioning_is_evidence_on_1_7_and_reviews_are_chased_once(app, client, world, north_wales, outbox):
    from hsbtrack.audits.services import open_audit
    from hsbtrack.plugins.services import collect
    from hsbtrack_regional import services

    areas = _areas(north_wales)
    coordinator = _coordinator(world, north_wales.id)
    login(client, coordinator)
    today = date.today()
    response = post_form(client, f"/regions/{north_wales.id}/regional/commissioning/", {
        "arrangement": "HSB assessment service", "service": "Specialist assessment",
        "area_ids": [str(areas["Conwy"].id), str(areas["Gwynedd"].id)], "cost_share": "Half each",
        "start_on": _parts(today - timedelta(days=100)), "review_on": _parts(today + timedelta(days=10))})
    assert response.status_code == 302
    audit = open_audit(areas["Conwy"])
    evidence = collect("hsbtrack_statement_evidence", areas["Conwy"], audit=audit, codes=["1.7"])
    assert any("HSB assessment service" in str(e.title) for e in evidence)
    assert collect("hsbtrack_statement_evidence", areas["Wrexham"], audit=open_audit(areas["Wrexham"]),
                   codes=["1.7"]) == []
    with app.test_request_context("/"):
        assert services.chase_reviews(today) == 1
        assert services.chase_reviews(today) == 0


def test_a_bad_arrangement_shows_errors(client, world, north_wales):
    login(client, _coordinator(world, north_wales.id))
    response = post_form(client, f"/regions/{north_wales.id}/regional/commissioning/", {
        "arrangement": "", "service": "x", "start_on": ["1", "5", "2026"], "review_on": ["1", "1", "2026"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter the name of the arrangement" in page
    assert services_count() == 0


def services_count():
    from hsbtrack_regional.models import CommissioningArrangement

    return db.session.scalar(select(func.count()).select_from(CommissioningArrangement))


# -- (6) annual report ------------------------------------------------------------------------------------------


def _annual_report(region_id, user, kind="regional.annual_report", start=None, end=None):
    from hsbtrack.areas.models import Region
    from hsbtrack.timeutil import local_today
    from hsbtrack.yearly_reports.services import create_report

    report, _created = create_report(db.session.get(Region, region_id), kind=kind, user=user,
                                     period_start=start or local_today() - timedelta(days=300),
                                     period_end=end or local_today() + timedelta(days=60))
    return report


def test_annual_report_is_a_yearly_report_with_its_figures_and_reminder(app, client, world, t1):
    """The annual report replaced the old annual-report page and XLSX: the coordinator makes it on the region's
    yearly reports pages, its draft holds the regional picture and the action progress, its figures come as a
    spreadsheet from the report's page; the old addresses are gone; the reminder links to the yearly reports."""
    from hsbtrack.notifications.models import Notification
    from hsbtrack.timeutil import local_today
    from hsbtrack_regional import services

    coordinator = _coordinator(world, t1.region_id)
    login(client, coordinator)
    for old in ("annual-report", "annual-report.xlsx"):
        assert client.get(f"/regions/{t1.region_id}/regional/{old}").status_code == 404
    new = f"/regions/{t1.region_id}/yearly-reports/new"
    form = client.get(new).get_data(as_text=True)
    assert "Regional safeguarding board annual report" in form and "Regional safeguarding board annual plan" in form
    start, end = local_today() - timedelta(days=300), local_today() + timedelta(days=60)
    made = post_form(client, new, {"kind": "regional.annual_report",
                                   "period_start": [str(start.day), str(start.month), str(start.year)],
                                   "period_end": [str(end.day), str(end.month), str(end.year)]})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    for words in ("What the board did", "How effective it was", "Priorities for the year ahead",
                  "The regional picture", "Round T1: domain means of agreed scores (0 to 4)", "Action progress",
                  "Download the figures as a spreadsheet (XLSX)"):
        assert words in page, words
    figures = re.search(r'href="([^"]+)" data-testid="regional-figures-xlsx"', page).group(1)
    xlsx = client.get(figures)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "Annual report and plan" in client.get(f"/regions/{t1.region_id}/regional/").get_data(as_text=True)
    with app.test_request_context("/"):
        assert services.remind_annual_report(date(2027, 1, 10)) == 0
        assert services.remind_annual_report(date(2027, 7, 10)) == 1
        assert services.remind_annual_report(date(2027, 7, 20)) == 0
    note = db.session.scalar(select(Notification).where(Notification.kind == "regional.annual_report"))
    assert note.link == f"/regions/{t1.region_id}/yearly-reports/"


def test_the_annual_plan_drafts_priorities_actions_and_commissioning(client, world, t1):
    from hsbtrack.areas.models import Region
    from hsbtrack_regional import services

    coordinator = _coordinator(world, t1.region_id)
    region = db.session.get(Region, t1.region_id)
    areas = {a.name: a for a in services.member_areas(region)}
    services.create_regional_action(region, title="Shared pathway", due_on=date.today() + timedelta(days=30),
                                    statements=["1.1"], area_ids=[str(areas["Conwy"].id)], owner=coordinator)
    services.create_regional_action(region, title="Far future work", due_on=date.today() + timedelta(days=900),
                                    statements=["1.1"], area_ids=[str(areas["Conwy"].id)], owner=coordinator)
    services.add_arrangement(region, arrangement="HSB assessment service", service="Assessment",
                             area_ids=[str(a.id) for a in areas.values()], cost_share="Equal sixths",
                             start_on=date.today() - timedelta(days=10), review_on=date.today() + timedelta(days=40))
    report = _annual_report(t1.region_id, coordinator, kind="regional.annual_plan")
    login(client, coordinator)
    page = client.get(f"/regions/{t1.region_id}/yearly-reports/{report.id}").get_data(as_text=True)
    for words in ("Priorities", "Actions planned", "How progress will be measured", "Resources",
                  "Domains from the lowest regional median up", "Shared pathway", "HSB assessment service",
                  "Equal sixths", "(in this period)"):
        assert words in page, words
    assert "Far future work" not in page  # due after the plan's year, and not overdue
    medians = [float(m) for m in re.findall(
        r'<th scope="row" class="govuk-table__header">\d\.[^<]*</th><td class="govuk-table__cell '
        r'govuk-table__cell--numeric">([\d.]+)</td>', page.split('data-testid="regional-priorities"')[1])]
    assert len(medians) == 5 and medians == sorted(medians)


def test_annual_report_xlsx_has_uk_dates_and_says_open_rounds_are_provisional(client, world, t1):
    import io

    from openpyxl import load_workbook

    from hsbtrack.audits import services as audits
    from hsbtrack_regional import services

    coordinator = _coordinator(world, t1.region_id)
    from hsbtrack.areas.models import Region

    region = db.session.get(Region, t1.region_id)
    areas = {a.name: a for a in services.member_areas(region)}
    services.create_regional_action(region, title="Shared pathway", due_on="2030-01-31", statements=["1.1"],
                                    area_ids=[str(areas["Conwy"].id)], owner=coordinator)
    report = _annual_report(t1.region_id, coordinator)
    url = f"/regions/{t1.region_id}/regional/yearly-reports/{report.id}/figures.xlsx"
    login(client, coordinator)
    workbook = load_workbook(io.BytesIO(client.get(url).data))
    rollup = workbook["Roll-up"]
    open_members = [m for m in services.round_status(t1) if m.audit.is_open]
    returns = audits.provisional_status([m.audit for m in open_members])
    returns_in = sum(p.returns_in for p in returns.values())
    total = sum(p.returns_total for p in returns.values())
    assert open_members and total
    assert rollup["A1"].value.endswith(f"(provisional, {returns_in} of {total} returns in)")
    assert rollup["A2"].value.startswith("Provisional: the audits of ")
    assert rollup["A2"].value.endswith(f"{returns_in} of {total} returns in.")
    assert all(m.area.display_name in rollup["A2"].value for m in open_members)
    due = next(row[1] for row in workbook["Action plan"].iter_rows(min_row=2) if row[0].value == "Shared pathway")
    assert due.is_date and due.value.date() == date(2030, 1, 31) and due.number_format == "dd/mm/yyyy"

    for member in open_members:  # every authority closes: the figures are final, and say nothing more
        audits.close_audit(member.audit, override_reason="closed as the test sets it up")
    workbook = load_workbook(io.BytesIO(client.get(url).data))
    values = [c.value for row in workbook["Roll-up"].iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if "rovisional" in v]
    # a report of a period that ended before the round was opened has no round in its figures
    early = _annual_report(t1.region_id, coordinator, start=date(2020, 4, 1), end=date(2021, 3, 31))
    workbook = load_workbook(io.BytesIO(client.get(
        f"/regions/{t1.region_id}/regional/yearly-reports/{early.id}/figures.xlsx").data))
    assert workbook["Roll-up"]["A2"].value == "No regional round had been opened by the end of the period."


def test_a_region_report_save_is_in_each_member_areas_history(world, t1):
    """A region's report has no area of its own: its making and every save are recorded in the history of each of
    the region's authorities, with who saved and the section that changed."""
    from hsbtrack.history.models import HistoryEntry
    from hsbtrack.yearly_reports import services as yearly
    from hsbtrack_regional import services

    coordinator = _coordinator(world, t1.region_id)
    report = _annual_report(t1.region_id, coordinator)
    yearly.save_version(report, {"summary": "Blwyddyn gyntaf y bwrdd"}, user=coordinator, based_on=0)
    yearly.save_version(report, {"learning": "Dysgu o adolygiadau"}, user=coordinator, based_on=1)
    members = {m.area.id for m in services.round_status(t1)}
    rows = db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "yearly_report",
                                                         HistoryEntry.entity_id == report.id)).all()
    by_area = {}
    for row in rows:
        by_area.setdefault(row.area_id, []).append(row)
    assert set(by_area) == members and len(members) == 6
    for entries in by_area.values():
        assert sorted(e.new_value for e in entries if e.field == "version") == [1, 2]
        assert [e.new_value for e in entries if e.field == "section.learning"] == ["Dysgu o adolygiadau"]
        assert all(e.user_id == coordinator.id for e in entries)
        assert [e for e in entries if e.field == "created"]


def test_scheduled_jobs_are_registered_and_run(app, world, north_wales):
    from datetime import datetime

    import hsbtrack_regional as plugin

    names = {job.name for job in plugin.hsbtrack_scheduled_jobs()}
    assert names == {"regional.commissioning_reviews", "regional.annual_report"}
    with app.test_request_context("/"):
        assert plugin.chase_commissioning_reviews(app, datetime(2027, 1, 10, 9)) == 0
        assert plugin.remind_annual_report(app, datetime(2027, 1, 10, 9)) == 0


def test_the_area_page_runs_constant_queries(app, client, world, north_wales):
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import seed_scores

    areas = _areas(north_wales)
    coordinator = _coordinator(world, north_wales.id)
    round_ = services.open_round(north_wales)
    manager = world.user("manager@conwy.example", areas["Conwy"], "board_manager")
    login(client, manager)
    path = f"/areas/{areas['Conwy'].id}/regional/"
    client.get(path)
    _forget_figures(app)
    with count_queries(app) as small:
        assert client.get(path).status_code == 200
    for m in services.round_status(round_)[:3]:
        seed_scores(m.audit, (2, 1))
    for i in range(3):
        services.create_regional_action(north_wales, title=f"Action {i}", due_on="2030-01-01", statements=["1.1"],
                                        area_ids=[str(areas["Conwy"].id)], owner=coordinator)
    _forget_figures(app)
    with count_queries(app) as large:
        assert client.get(path).status_code == 200
    assert large() == small()


def test_the_plan_and_register_pages_run_constant_queries(app, client, world, north_wales):
    from hsbtrack_regional import services

    areas = _areas(north_wales)
    coordinator = _coordinator(world, north_wales.id)
    login(client, coordinator)
    ids = [str(a.id) for a in areas.values()]

    def add(n):
        for i in range(n):
            services.create_regional_action(north_wales, title=f"Action {i}", due_on="2030-01-01",
                                            statements=["1.1"], area_ids=ids[: 2 + i % 4], owner=coordinator)
            services.add_arrangement(north_wales, arrangement=f"Arrangement {i}", service="Service",
                                     area_ids=ids[: 1 + i % 6], start_on="2026-01-01", review_on="2027-01-01")

    add(1)
    report_url = f"/regions/{north_wales.id}/yearly-reports/{_annual_report(north_wales.id, coordinator).id}"
    counts = {}
    for size in ("small", "large"):
        for path in ("actions/", "commissioning/", "annual-report"):
            url = f"/regions/{north_wales.id}/regional/{path}" if path != "annual-report" else report_url
            client.get(url)
            with count_queries(app) as n:
                assert client.get(url).status_code == 200
            counts[size, path] = n()
        add(9)
    for path in ("actions/", "commissioning/", "annual-report"):
        assert counts["large", path] == counts["small", path], path


def test_trend_has_a_regional_mean_per_round(north_wales):
    from hsbtrack.audits.services import close_audit
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import seed_scores

    first = services.open_round(north_wales)
    for m in services.round_status(first):
        seed_scores(m.audit, (1,))
        close_audit(m.audit, override_reason="closed as the test sets it up")
    second = services.open_round(north_wales)
    for m in services.round_status(second)[:2]:
        seed_scores(m.audit, (3,))
    trend = services.trend(north_wales.id)
    assert [r.label for r, _means in trend] == ["T1", "T2"]
    assert trend[0][1][0] < trend[1][1][0]
