"""Demo data: North Wales with the plugin on, a T1 round where three authorities have finished,
a regional action assigned to two authorities, a shared commissioning arrangement, and the board's annual
report for the last year to 31 March, its narrative written in Welsh (the report is read in Welsh by the
board's Welsh-speaking members: its headings and figures follow the reader's language)."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from hsbtrack.areas.demo import demo_password_hash
from hsbtrack.areas.models import Region
from hsbtrack.areas.services import add_region_member
from hsbtrack.audits import services as audits
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.organisations import services as organisations
from hsbtrack.plugins.services import set_region_plugin
from hsbtrack.timeutil import today, utcnow
from hsbtrack.yearly_reports.services import create_report
from hsbtrack_regional import services
from hsbtrack_regional.yearly import ANNUAL_REPORT

DEMO_COORDINATOR = "board@example.org"
FINISHED = ("Conwy", "Gwynedd", "Wrexham")
# A score pattern per finished authority (cycled over the 46 statements), so the picture varies.
PATTERNS = {"Conwy": (2, 3, 1, 2, 3), "Gwynedd": (3, 2, 2, 4, 1), "Wrexham": (1, 2, 3, 1, 2)}


def seed_scores(audit, pattern, user=None) -> None:
    """Every participating agency scores every statement (pattern, minus one for the second agency)."""

    framework = audits.framework_of(audit)
    for index, agency_id in enumerate(audits.participant_ids(audit)):
        for i, statement in enumerate(framework.scored_statements):
            score = max(0, pattern[i % len(pattern)] - (1 if index == 1 and i % 4 == 0 else 0))
            evidence = f"Evidence of {audit.area.name} for {statement.code}" if i == 0 else None
            audits.save_response(audit, agency_id, statement.code, score=score, evidence=evidence, user=user)
        audits.submit_agency(audit, agency_id, user=user)


# The regional partners serving all six authorities answer the round once (issue 20): their leads.
PARTNER_LEADS = {"North Wales Police": "nwp.lead@example.org",
                 "Betsi Cadwaladr University Health Board": "bcuhb.lead@example.org"}


def link_partners(region, round_, answer=True) -> dict:
    """North Wales Police and the health board as partner organisations linked to the six authorities
    (their existing agencies, which keep their history), each with a lead (demo password) and a shared
    return of the round's open audits; the police answers it once (``answer``). Returns {name: return}."""
    members = services.member_areas(region)
    made = {}
    for name, email in PARTNER_LEADS.items():
        organisation = organisations.create_organisation(name, services.NORTH_WALES_WELSH_NAMES.get(name),
                                                         region.id)
        for area in members:
            agency = next(a for a in area.agencies if a.name == name)
            organisations.link_area(organisation, area.id, agency.id)
        _m, lead, _c = organisations.add_member(organisation, email)
        lead.password_hash = demo_password_hash()
        lead.activated_at = lead.activated_at or utcnow()
        db.session.commit()
        offered = next((s for s in organisations.offered_audit_sets(organisation)
                        if s.key == f"regional:round:{round_.id}"), None)
        if offered is None:
            continue
        made[name] = organisations.open_shared_return(organisation, offered.audit_ids, str(offered.title),
                                                      offered.key)
    police = made.get("North Wales Police")
    if answer and police is not None:
        framework = audits.catalogue().get(police.framework)
        for i, statement in enumerate(framework.scored_statements):
            organisations.save_shared_response(police, statement.code, score=(2, 3, 2, 3, 1)[i % 5],
                                               evidence="Force-wide HSB policy and training" if i == 0 else "")
    return made


def build(user=None, finished=FINISHED):
    """The scenario the demo and the browser test share. Returns (region, round)."""

    region = services.preset_north_wales(user=user).region
    set_region_plugin(region, "regional", True, user=user)
    round_ = services.open_round(region, title="North Wales regional audit T1", user=user)
    for member in services.round_status(round_):
        if member.area.name in finished:
            # the member areas' own people would score and close; the demo has none there (the system)
            seed_scores(member.audit, PATTERNS.get(member.area.name, (2, 3, 1)))
            audits.close_audit(member.audit)
    return region, round_


def demo(area) -> None:
    if db.session.scalar(select(Region).where(Region.name == services.NORTH_WALES)) is not None:
        return
    user = db.session.scalar(select(User).where(User.email == DEMO_COORDINATOR))
    region, round_ = build()  # set up by the system: the coordinator is appointed to the region it makes
    link_partners(region, round_)
    if user is not None:
        add_region_member(region, user.email, "regional_coordinator")
        members = {a.name: a for a in services.member_areas(region)}
        services.create_regional_action(
            region, title="Regional HSB pathway for children's services and police", due_on=today() + timedelta(days=90),
            statements=["3.1", "3.2"], area_ids=[members["Conwy"].id, members["Wrexham"].id], owner=user, user=user,
            description="One referral and assessment pathway across North Wales.")
        services.add_arrangement(
            region, arrangement="North Wales HSB assessment service", service="Specialist assessment and intervention",
            area_ids=[a.id for a in members.values()], cost_share="Equal sixths",
            start_on=today() - timedelta(days=365), review_on=today() + timedelta(days=20), user=user)
        annual_report(region, round_, user)


# The annual report's narrative, in Welsh: what a regional board would write about its first regional audit of
# the response to harmful sexual behaviour.
WELSH_NARRATIVE = {
    "summary": "Dyma adroddiad blynyddol Bwrdd Diogelu Plant Gogledd Cymru. Eleni cynhaliodd y bwrdd ei "
               "archwiliad rhanbarthol cyntaf o'r ymateb i ymddygiad rhywiol niweidiol gan blant, ar draws chwe "
               "awdurdod lleol y rhanbarth, gyda'r heddlu a'r bwrdd iechyd.",
    "what_we_did": "Agorodd y bwrdd gylch archwilio T1 ym mhob awdurdod ar yr un pryd. Atebodd Heddlu Gogledd "
                   "Cymru unwaith ar ran y chwe awdurdod.\n\nComisiynwyd gwasanaeth asesu ac ymyrraeth arbenigol "
                   "ar y cyd, a rennir yn gyfartal rhwng yr awdurdodau.",
    "effectiveness": "Mae Conwy, Gwynedd a Wrecsam wedi cau eu harchwiliadau; mae ffigurau'r tri awdurdod arall "
                     "yn dal yn rhai dros dro. Mae'r archwiliad yn dangos mai datblygu'r gweithlu yw'r maes gwannaf "
                     "yn y rhanbarth, a bod y gwahaniaeth rhwng yr awdurdodau ar ei fwyaf yno.",
    "learning": "Dysgodd y bwrdd fod angen un drefn gyffredin i sgrinio pryderon, a bod ymarferwyr eisiau rhagor "
                "o hyfforddiant a goruchwyliaeth fyfyriol. Dywedodd pobl ifanc wrthym eu bod am gael eu clywed yn "
                "gynnar.",
    "priorities": "Yn y flwyddyn i ddod byddwn yn cwblhau'r archwiliad ym mhob awdurdod, yn cyflwyno un llwybr "
                  "atgyfeirio rhanbarthol, ac yn hyfforddi'r gweithlu fesul haen.",
}


def last_year_to_march(on: date) -> tuple[date, date]:
    year = on.year if on >= date(on.year, 3, 31) else on.year - 1
    return date(year - 1, 4, 1), date(year, 3, 31)


def annual_report(region, round_, user=None):
    """The board's annual report for the last year to 31 March, its narrative in Welsh. The demo's round ran in
    that year (its opening is dated so), so the report's draft holds its roll-up."""
    start, end = last_year_to_march(today())
    round_.opened_at = datetime.combine(end - timedelta(days=120), time(9))
    db.session.commit()
    report, _created = create_report(region, kind=ANNUAL_REPORT, period_start=start, period_end=end, user=user,
                                     sections=WELSH_NARRATIVE, note="Fersiwn gyntaf, yn Gymraeg")
    return report
