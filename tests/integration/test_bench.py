"""``hsbtrack bench`` at a tiny scale: the generator's counts, the table, the docs section and the
exit code (a missed budget fails the command), the cold measurement's write, the 32-authority region and
its roll-up's queries. The real runs are ``make bench``; these take seconds."""

from sqlalchemy import select

from hsbtrack.bench import generate, measure

TINY = 0.001  # one area, 60 actions, 1,000 training records


def test_sizes_follow_design_and_scale_linearly():
    full = generate.Sizes.for_scale(1)
    assert (full.areas, full.agencies, full.audits, full.actions, full.training) == (200, 10, 6, 60_000, 1_000_000)
    assert full.areas * full.agencies * full.audits * 46 == 552_000  # "about 550,000 agency responses"
    assert generate.Sizes.for_scale(0.02).areas == 4
    assert generate.Sizes.for_scale(0.02).actions == 1_200
    tiny = generate.Sizes.for_scale(TINY)
    assert (tiny.areas, tiny.actions, tiny.training, tiny.region_areas) == (1, 60, 1_000, 1)


def test_generator_writes_consistent_data_the_app_reads(ctx):
    from hsbtrack.areas.models import Area
    from hsbtrack.audits import services
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    data = generate.generate(TINY)
    counts = data.counts
    assert data.generated
    # one benchmark area, and the regional plugin's region of 32 authorities (10 agencies each, one audit)
    assert len(data.area_ids) == 1
    assert counts["areas"] == 1 + 32 and counts["agencies"] == 10 + 320 and counts["audits"] == 6 + 32
    assert counts["audit_agencies"] == 60 + 320
    # T1–T5 fully scored by the ten agencies; the open T6 about 80% scored; the 32 audits fully scored
    assert 5 * 460 + 300 + 32 * 460 <= counts["audit_responses"] <= 6 * 460 + 32 * 460
    assert counts["actions"] == 60 and 60 <= counts["action_statements"] <= 120
    assert counts["training_completions"] == 1_000 and counts["training_people"] == 100
    assert counts["regions"] == 2
    assert counts["regional_rounds"] == 6 + 1 and counts["regional_round_audits"] == 6 + 32
    # a board manager and ten leads; a lead per agency of the 32 authorities; the board manager coordinates both
    assert counts["users"] == 11 + 320 and counts["memberships"] == 12 + 320 + 1

    area = db.session.get(Area, data.area_ids[0])
    assert area.region_id == data.region_id
    latest = db.session.get(Audit, data.audit_id)
    assert (latest.cycle, latest.status, latest.area_id) == (6, "open", area.id)
    result = services.consolidated(latest)
    assert all(d.mean is not None for d in result.domains)
    closed = db.session.scalars(select(Audit).where(Audit.area_id == area.id, Audit.cycle == 1)).one()
    assert services.progress(closed)[services.participant_ids(closed)[0]]["scored"] == 46

    # a second call finds the data instead of writing it again; another scale is refused
    again = generate.generate(TINY)
    assert not again.generated and again.counts == counts
    try:
        generate.generate(0.02)
    except RuntimeError as error:
        assert "another scale" in str(error)
    else:
        raise AssertionError("generating another scale into the same database must be refused")


def test_bench_command_prints_the_table_and_fails_on_a_missed_budget(ctx, tmp_path):
    docs = tmp_path / "benchmarks.md"
    runner = ctx.test_cli_runner()
    args = ["bench", "--scale", str(TINY), "--requests", "2", "--set", "training.import_rows=200"]

    missed = runner.invoke(args=[*args, "--page-budget", "0.01"])
    assert missed.exit_code == 1, missed.output
    for page in ("Area dashboard", "Audit matrix (agreed scores)", "Audit overview", "Action plan",
                 "Regional roll-up (6 authorities)", "Regional roll-up (32 authorities)"):
        assert f"| {page}, warm |" in missed.output and f"| {page}, cold |" in missed.output, page
    assert "first view after a write" in missed.output
    assert "MISSED" in missed.output and "Budget missed: Area dashboard, warm, Area dashboard, cold" in missed.output
    assert "Training import, 200 rows" in missed.output

    met = runner.invoke(args=[*args, "--page-budget", "1000", "--p95-budget", "1000", "--set", "training.import_budget=0",
                              "--docs", str(docs)])
    assert met.exit_code == 0, met.output
    assert "already there: reused" in met.output and "Every budget met." in met.output
    assert "MISSED" not in met.output
    assert "304" in met.output  # the radar answered a conditional request from its ETag
    assert not docs.exists()  # only full-scale runs are recorded


def test_report_ok_table_and_docs_sections(tmp_path):
    rows = [measure.Row("trivial", "Trivial page", 4.0, 6.0, 1.0, 1.0, budget="baseline"),
            measure.Row("plan", "Action plan", 30.0, 50.0, 7.5, 8.3, bare=30.0, sql=1.2, budget="≤ 5× trivial",
                        ok=False)]
    report = measure.Report(rows=rows, database="SQLite 3.40.1 (file)", scale=1, requests=50,
                            counts={"areas": 200}, machine="test machine", when="2026-01-01 00:00 UTC")
    assert not report.ok and [r.key for r in report.missed] == ["plan"]
    text = measure.table(report)
    assert "| Action plan | 30.0 | 50.0 | 7.50× | 8.30× | 30.00× | 1.2 | ≤ 5× trivial | MISSED |" in text

    path = tmp_path / "benchmarks.md"
    measure.write_docs(path, report)
    rows[1].ok = True
    measure.write_docs(path, report)  # replaces the SQLite section rather than adding one
    postgres = measure.Report(rows=rows[:1], database="PostgreSQL 15.18", scale=1, requests=50, machine="m",
                              when="w")
    measure.write_docs(path, postgres)
    written = path.read_text()
    assert written.count("<!-- bench:sqlite -->") == 1 and written.count("<!-- bench:postgresql -->") == 1
    assert written.index("bench:sqlite") < written.index("bench:postgresql")
    assert "every budget met" in written and "MISSED" not in written


def test_a_cold_measurement_follows_a_write_through_the_service(ctx):
    """Before each cold request the bench saves a score as an agency lead (save_response) or posts an
    update on an action (add_update): what the page's caches are keyed by moves on every time, and a
    write that changed nothing is refused (the request after it would not be cold)."""
    import pytest

    from hsbtrack.actions.models import Action, ActionUpdate
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    data = generate.generate(TINY)
    urls = measure.page_urls(data)
    writes = measure.cold_writes(urls, data, measure.plugin_pages(data))
    assert {"dashboard", "matrix", "overview", "plan", "rollup", "rollup32"} <= set(writes)
    history_before = db.session.scalar(select(db.func.count(HistoryEntry.id)))
    run = measure.cold_writer(ctx, writes["matrix"])
    versions = [db.session.get(Audit, data.audit_id).data_version]
    for _ in range(3):
        before, after = run()
        db.session.expire_all()
        versions.append(db.session.get(Audit, data.audit_id).data_version)
        assert (before, after) == (versions[-2], versions[-1]) and after > before
    # through the service: each write is in the audit's history, by the agency lead
    assert db.session.scalar(select(db.func.count(HistoryEntry.id))) >= history_before + 3

    updates = db.session.scalar(select(db.func.count(ActionUpdate.id)))
    before, after = measure.cold_writer(ctx, writes["plan"])()
    assert before != after and db.session.scalar(select(db.func.count(ActionUpdate.id))) == updates + 1

    # the 32-authority roll-up's write moves one of its round's audits on
    page = next(p for p in measure.plugin_pages(data) if p.key == "rollup32")
    before, after = measure.cold_writer(ctx, page.cold)()
    assert after == before + 1

    with pytest.raises(RuntimeError, match="changed nothing"):
        measure.cold_writer(ctx, lambda: (1, 1))()
    assert db.session.scalar(select(db.func.count(Action.id))) == 60


def test_the_roll_up_runs_the_same_queries_for_6_and_32_authorities(ctx):
    """The regional roll-up page of the 32-authority round, then of the same round with 6 of its
    authorities: the same number of queries, cold (every cache emptied) and warm; the figures come from
    the database, one row per statement (hsbtrack.audits.figures). The 6-authority benchmark region
    (six rounds) adds only the earlier rounds' figures for its trend: one more grouped pair."""
    from hsbtrack_regional.models import RegionalRoundAudit

    from hsbtrack.extensions import db
    from hsbtrack.testing import count_queries

    data = generate.generate(0.03)  # six benchmark areas: the region of six is full
    pages = {p.key: p for p in measure.plugin_pages(data)}
    assert "(6 authorities)" in pages["rollup"].label and "(32 authorities)" in pages["rollup32"].label
    client = ctx.test_client()
    measure.sign_in(client, data.user_email, generate.PASSWORD)

    def counted(url, cold=True):
        if cold:
            for name in ("hsbtrack_regional_figures", "hsbtrack_audit_figures"):
                if name in ctx.extensions:
                    ctx.extensions[name].clear()
        with count_queries(ctx) as n:
            page = client.get(url)
            assert page.status_code == 200
        return n(), page.get_data(as_text=True)

    cells = 'class="govuk-table__cell hsb-heat hsb-heat--'
    framework = ctx.extensions["hsbtrack_catalogue"].get(generate.FRAMEWORK)
    per_authority = len(framework.scored_statements) + len(framework.domains)  # a heat cell each
    big_cold, big_page = counted(pages["rollup32"].url)
    big_warm = counted(pages["rollup32"].url, cold=False)[0]
    assert big_page.count(cells) == 32 * per_authority and "<th scope=\"row\" class=\"govuk-table__header\">Benchmark authority 32</th>" in big_page
    assert big_warm < big_cold

    url = pages["rollup32"].url
    round_id = int(url.rstrip("/").rsplit("/", 1)[1])
    links = list(db.session.scalars(select(RegionalRoundAudit).where(RegionalRoundAudit.round_id == round_id)
                                    .order_by(RegionalRoundAudit.area_id)))
    for link in links[6:]:
        db.session.delete(link)
    db.session.commit()
    small_cold, small_page = counted(url)
    assert small_page.count(cells) == 6 * per_authority
    assert small_cold == big_cold
    assert counted(url, cold=False)[0] == big_warm

    six_cold, six_page = counted(pages["rollup"].url)
    assert six_page.count(cells) == 6 * per_authority
    assert six_cold == big_cold + 2  # its trend's five earlier rounds: their figures in one grouped pair


def test_bench_accounts_sign_in_with_their_second_factor(ctx):
    """Nothing is relaxed for the bench: its board managers are enrolled in TOTP when the data is made
    (and again when it is reused, under the instance's key), the password alone opens no page, and the
    bench's sign-in gives the code the account's app would show."""
    from hsbtrack.auth import two_factor
    from hsbtrack.auth.services import user_by_email
    from hsbtrack.extensions import db

    data = generate.generate(TINY)
    user = user_by_email(data.user_email)
    assert two_factor.is_enrolled(user)
    assert two_factor.decrypt(user.totp_secret) == generate.totp_secret(data.user_email)
    dashboard = f"/areas/{data.area_ids[0]}/"

    password_only = ctx.test_client()
    answer = password_only.post("/login", data={"email": data.user_email, "password": generate.PASSWORD,
                                                "csrf_token": measure._csrf(password_only, "/login")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/code")
    assert password_only.get(dashboard).status_code == 302  # to the code step: not signed in

    client = ctx.test_client()
    measure.sign_in(client, data.user_email, generate.PASSWORD)
    assert client.get(dashboard).status_code == 200
    db.session.expire_all()
    assert user_by_email(data.user_email).totp_last_step is not None  # the code was taken

    generate.generate(TINY)  # reused: enrolled afresh
    db.session.expire_all()
    again = user_by_email(data.user_email)
    assert again.totp_last_step is None and two_factor.is_enrolled(again)
