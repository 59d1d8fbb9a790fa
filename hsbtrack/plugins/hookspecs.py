"""The hooks plugins implement. Every hook is documented here; ``tests/plugins/test_hookspecs.py``
fails for one that is not.

A plugin is a module or package registered under the entry-point group ``hsbtrack.plugins`` and
allowed by ``HSBTRACK_PLUGINS``. It implements any of these hooks with ``@hsbtrack.plugins.hookimpl``.

Two kinds of hooks:

* **install-wide** hooks are called for every loaded plugin (blueprints, migrations, CLI, roles,
  frameworks, scheduled jobs);
* **area-scoped** hooks (their first argument is ``area``) are called only for plugins enabled in
  that area — the core calls them with :func:`hsbtrack.plugins.services.collect` (results) and
  :func:`hsbtrack.plugins.services.emit` (events); **region-scoped** ones (first argument ``region``)
  only for plugins enabled for that region (:func:`hsbtrack.plugins.services.collect_for_region`).

Hooks that return values return lists; the core flattens them and sorts by each item's ``order``
and then by plugin name, so the result never depends on registration order.
"""

import pluggy

hookspec = pluggy.HookspecMarker("hsbtrack")


@hookspec
def hsbtrack_load_blueprints(app, api):
    """Register Flask blueprints and API blueprints.

    :param app: the Flask application.
    :param api: the ``flask_smorest.Api`` serving ``/api/v1``.

    Plugin pages must live under ``/areas/<area_id>/<plugin>/`` (use
    :func:`hsbtrack.plugins.blueprints.area_plugin_blueprint`, which answers 404 where the plugin is
    off) or ``/regions/<region_id>/<plugin>/``. Example::

        @hookimpl
        def hsbtrack_load_blueprints(app, api):
            app.register_blueprint(views.bp)
    """


@hookspec
def hsbtrack_migration_dirs():
    """Return a list of folders holding this plugin's Alembic revisions.

    A plugin's revisions form their own branch: the first one has ``branch_labels = ("myplugin",)``
    and ``depends_on`` a core revision. ``hsbtrack db upgrade`` applies every branch. Example::

        @hookimpl
        def hsbtrack_migration_dirs():
            return [str(Path(__file__).parent / "migrations")]
    """


@hookspec
def hsbtrack_cli(cli):
    """Add click commands or groups to the ``hsbtrack`` command line.

    :param cli: the root click group. Example::

        @hookimpl
        def hsbtrack_cli(cli):
            cli.add_command(training_group)
    """


@hookspec
def hsbtrack_roles():
    """Return the :class:`hsbtrack.areas.roles.Permission` and :class:`~hsbtrack.areas.roles.Role`
    objects this plugin adds (e.g. the permission ``carm.cases`` and the role ``case_worker``).

    Role and permission ids are install-wide and must be unique; a role may name only declared
    permissions (core ones from :class:`hsbtrack.areas.roles.Perm`, or the plugin's own). Each
    view then names the permission it needs with :func:`hsbtrack.permissions.requires`. Example::

        @hookimpl
        def hsbtrack_roles():
            return [Permission("mentoring.read", _l("See mentoring records"), plugin="mentoring"),
                    Role("mentor", _l("Mentor"), permissions=frozenset({Perm.VIEW_AREA, "mentoring.read"}))]
    """


@hookspec
def hsbtrack_frameworks():
    """Return a list of paths to framework files (YAML or JSON) this plugin adds to the catalogue.

    Files are validated by :func:`hsbtrack.catalogue.load_framework` at start-up. Example::

        @hookimpl
        def hsbtrack_frameworks():
            return [Path(__file__).parent / "frameworks" / "scotland-cpc-2018.yaml"]
    """


@hookspec
def hsbtrack_scheduled_jobs():
    """Return a list of :class:`hsbtrack.plugins.types.ScheduledJob` run by the scheduler.

    A job's function receives ``(app, now)`` and must be idempotent: it is a scan over the
    database, not one job per record. Example::

        @hookimpl
        def hsbtrack_scheduled_jobs():
            return [ScheduledJob("training.refreshers", scan_refreshers, hours=24)]
    """


@hookspec
def hsbtrack_settings_form(area):
    """Area-scoped. Return a WTForms form *class* for this plugin's settings in ``area``, or None.

    :param area: the :class:`~hsbtrack.areas.models.Area` whose settings are edited.

    The core shows it on the area's plugin page, validates it, and stores the data (without the
    CSRF token and submit button) in the plugin's settings JSON; read it back with
    :func:`hsbtrack.plugins.services.plugin_settings`. Example::

        @hookimpl
        def hsbtrack_settings_form(area):
            return ReviewIntervalsForm
    """


@hookspec
def hsbtrack_nav_items(area, user):
    """Area-scoped. Return a list of :class:`hsbtrack.plugins.types.NavItem` for the area's menu.

    :param area: the :class:`~hsbtrack.areas.models.Area` being viewed.
    :param user: the current user. The core leaves out every item whose page would refuse them (the
        permission its route ``requires`` and the records its URL names, by
        :func:`hsbtrack.permissions.may_open`), so a hook need not repeat that check. Example::

        @hookimpl
        def hsbtrack_nav_items(area, user):
            return [NavItem(_l("Training"), url_for("training.home", area_id=area.id), order=50)]
    """


@hookspec
def hsbtrack_region_links(region, user):
    """Region-scoped. Return a list of :class:`hsbtrack.plugins.types.NavItem`: links from the region's
    page to this plugin's pages for the region. Called only for plugins enabled for the whole region.

    :param region: the :class:`~hsbtrack.areas.models.Region` whose page is shown.
    :param user: the current user. As for the menu, the core shows only the links whose page would let
        them in (:func:`hsbtrack.permissions.may_open`). Example::

        @hookimpl
        def hsbtrack_region_links(region, user):
            return [NavItem(_l("Regional board"), url_for("regional_region.home", region_id=region.id), order=10)]
    """


@hookspec
def hsbtrack_dashboard_widgets(area, user):
    """Area-scoped. Return a list of :class:`hsbtrack.plugins.types.Widget` for the area dashboard.

    :param area: the :class:`~hsbtrack.areas.models.Area` whose dashboard is shown.
    :param user: the current user (leave out widgets they may not see).

    A widget names a template and the context to render it with; the template gets ``widget``
    (so ``widget.context``). Example::

        @hookimpl
        def hsbtrack_dashboard_widgets(area, user):
            return [Widget(_l("Training coverage"), "training/widget.html", {"rows": rows}, order=30)]
    """


@hookspec
def hsbtrack_report_sections(area, audit, user):
    """Area-scoped. Return a list of :class:`hsbtrack.plugins.types.ReportSection` for an audit's
    board report (``/areas/<id>/audits/<id>/report``), shown after the domain scores and listed in
    the report's contents. The core's action plan adds "What we did" this way.

    :param area: the area of the audit.
    :param audit: the :class:`~hsbtrack.audits.models.Audit` the report is about (it may be open: its
        figures are then provisional, see ``templates/audits/_provisional.html``).
    :param user: the reader (leave out sections they may not see). Read in a fixed number of queries:
        the report's query count must not grow with the data.

    The template gets ``section`` (so ``section.context``). Example::

        @hookimpl
        def hsbtrack_report_sections(area, audit, user):
            return [ReportSection(_l("Training"), "training-coverage", "training/report.html",
                                  {"rows": rows}, order=40)]
    """


@hookspec
def hsbtrack_statement_evidence(area, audit, codes):
    """Area-scoped. Return a list of :class:`hsbtrack.plugins.types.Evidence` for statements.

    :param area: the area of the audit.
    :param audit: the audit being scored or moderated (may be None for the statement page).
    :param codes: the statement codes being shown (e.g. every code of domain 5).

    Example: training coverage as evidence for 5.4::

        @hookimpl
        def hsbtrack_statement_evidence(area, audit, codes):
            if "5.4" in codes:
                return [Evidence("5.4", _l("Training coverage"), "78% of teachers at tier 1")]
    """


@hookspec
def hsbtrack_terminology(area):
    """Area-scoped. Return a dict mapping term keys to the words this area uses.

    :param area: the :class:`~hsbtrack.areas.models.Area` being shown.

    Keys the core uses (see ``hsbtrack.views_support.DEFAULT_TERMS``): ``partnership``
    ("safeguarding partnership"), ``Partnership`` (capitalised), ``partnerships``,
    ``lead_professional``, ``childs_plan``. Templates use ``term("partnership")``. Example, a
    national variant::

        @hookimpl
        def hsbtrack_terminology(area):
            return {"partnership": _l("child protection committee"),
                    "Partnership": _l("Child protection committee")}
    """


@hookspec
def hsbtrack_record_saved(area, record, change):
    """Area-scoped event: something the partnership records happened, after its transaction
    committed. The events, one name each, are :class:`hsbtrack.events.Event` (an answer scored, an
    agreed score set, an agency's submission, an audit closed, an action created, saved or given a
    progress update).

    :param area: the record's area.
    :param record: the model instance the event is about (see each event).
    :param change: a :class:`hsbtrack.plugins.types.Change`: ``kind`` (the event), the fields that
        changed ``before`` and ``after``, and ``user_id``. Return value is ignored. Example::

        @hookimpl
        def hsbtrack_record_saved(area, record, change):
            if change.kind == Event.ACTION_SAVED and change.after.get("status") == "done":
                notify_region(area, record)
    """


@hookspec
def hsbtrack_demo_data(area):
    """Add demo records to the demo area (``hsbtrack demo`` / first ``make run``).

    :param area: the demo :class:`~hsbtrack.areas.models.Area`, with its agencies and users made.
    Called install-wide: the core's audits and actions first, then the plugins'. Example::

        @hookimpl
        def hsbtrack_demo_data(area):
            create_demo_courses(area)
    """


@hookspec
def hsbtrack_benchmarks(scale, settings):
    """Measurements a plugin adds to ``hsbtrack bench`` (``make bench``), run after the core's pages.

    :param scale: the benchmark's scale (1 is national scale: docs/architecture.md, "Budgets").
    :param settings: ``{name: text}`` from the command's ``--set name=value`` options, for the plugin's
        own knobs (name them ``<plugin>.<knob>``).
    Return a list of callables; each takes no argument and returns a :class:`hsbtrack.bench.measure.Row`
    (its ``ok`` says whether the plugin's budget was met). Example::

        @hookimpl
        def hsbtrack_benchmarks(scale, settings):
            rows = int(settings.get("training.import_rows", 100_000 * scale))
            return [lambda: measure_import(rows)]
    """


@hookspec
def hsbtrack_bench_data(bench):
    """Add the plugin's records to the benchmark data (``hsbtrack bench``), after the core's.

    :param bench: a :class:`hsbtrack.bench.generate.BenchWorld`: the generated areas, agencies, users
        and audits, ``take(table, n)`` for ids, ``writer.write(table, columns, rows)`` for bulk inserts
        and ``enable(plugin, area_id=…, region_id=…)``. Write at ``bench.sizes``' scale; one transaction
        holds everything. Example::

        @hookimpl
        def hsbtrack_bench_data(bench):
            rows = [(bench.take("training_courses"), area_id, "HSB tier 1", 1) for area_id in bench.area_ids]
            bench.writer.write("training_courses", ("id", "area_id", "title", "tier"), rows)
    """


@hookspec
def hsbtrack_bench_pages(data):
    """The plugin's pages that ``hsbtrack bench`` times against the trivial page, like the core's.

    :param data: the :class:`hsbtrack.bench.generate.BenchData` (the region, the areas, the first area's
        open audit; its board manager, who is signed in, also coordinates the region).
    Return a list of :class:`hsbtrack.bench.measure.BenchPage` (key, label, URL, and the bare SQL of the
    data the page shows), each timed warm and cold. ``cold`` (optional): a function with no argument,
    run in a request context of the benchmark's app before each cold request, that changes the data the
    page shows through a service (as a user's change would) and returns ``(before, after)`` of what the
    page's caches are keyed by, which must differ; :func:`hsbtrack.bench.measure.score_write` (a score
    saved by an agency lead of an audit) is one. Without it the page is timed warm only and its cold
    row is a missed budget ("not measured cold"). Example::

        @hookimpl
        def hsbtrack_bench_pages(data):
            return [BenchPage("rollup", "Regional roll-up", f"/regions/{data.region_id}/regional/", [sql],
                              cold=score_write(data.audit_id))]
    """


@hookspec
def hsbtrack_scan_document(open_stream, filename, content_type, size):
    """Check an uploaded document for viruses, after it is stored and its type checked, before it is
    kept (a new document, a new version, a re-audit's replacement). Install-wide: every loaded
    plugin's scanner is asked. The core's own answers when ``HSBTRACK_CLAMD_URL`` is set (ClamAV's
    clamd, ``hsbtrack.documents.scanning``).

    :param open_stream: a callable with no argument returning a new binary stream of the stored bytes
        (read it in chunks, then close it; call it again for another pass).
    :param filename: the file's cleaned name, as the uploader sent it.
    :param content_type: the type decided from the content (``application/pdf``, ``text/plain``…).
    :param size: the number of bytes.

    Return None when the file is clean (or not this scanner's business), else a
    :class:`hsbtrack.plugins.types.ScanVerdict`: ``found`` (what was found: the upload is refused
    with that name at the file field and its bytes are deleted) or ``error`` (it could not be
    scanned: refused too, as is a scanner that raises). Scanning fails closed. Example::

        @hookimpl
        def hsbtrack_scan_document(open_stream, filename, content_type, size):
            with open_stream() as stream:
                if b"forbidden" in stream.read(1024):
                    return ScanVerdict(found="Example.Forbidden", scanner="example")
            return None
    """


@hookspec
def hsbtrack_yearly_report_kinds():
    """Install-wide. Return a list of :class:`hsbtrack.plugins.types.YearlyReportKind`: the kinds of yearly
    report this plugin offers (the core offers ``england.yearly``, the partnership's yearly report under
    Working Together to Safeguard Children 2023, through its own hook in ``hsbtrack/yearly_reports/hooks.py``).

    The contract, for a plugin adding one (a Welsh board's annual report, a committee's self-evaluation):

    * Give the kind a unique ``name`` (``<plugin>.<what>``) and its ``scope``: ``"area"`` or ``"region"``.
      A kind is offered only where its plugin is enabled (an area kind: in that area; a region kind: for
      the whole region) and where its ``applies(place)`` says so. The core does everything else: the
      pages (list, new report with its period, the report page with the draft and a text box per
      section, versions), the API (``POST /api/v1/areas/<id>/yearly-reports`` or
      ``/regions/<id>/yearly-reports`` with ``kind``), saving (each save a new version, never an overwrite;
      a stale save refused; in the area's history — a region's report in each member area's), and the PDF
      and Word files (a job, ``yearly_report.file``).
    * ``sections``: the narrative the board writes, as :class:`~hsbtrack.plugins.types.NarrativeSection`
      (``key``, ``heading``, ``hint``). Keys are stored with the text: never rename one.
    * ``assemble(report, user)`` returns the data draft for ``report.period_start`` … ``report.period_end``
      (the report's ``area`` or ``region``) as ``user`` may read it, rendered by ``draft_template``. Read it
      through the core's services (consolidated figures, provisional status) — never work a figure out
      a second way — and label any open cycle's figures provisional, or leave them out. For area kinds
      :func:`hsbtrack.yearly_reports.drafts.plugin_blocks` adds the ``hsbtrack_yearly_report_data`` blocks.
    * ``read_permission`` and ``write_permission`` (region kinds: region permissions) decide who reads and
      who writes; the routes check them for every report of the kind, and a service call checks them too.

    Kinds are sorted by ``order`` then plugin name. Example (the regional plugin's annual report)::

        @hookimpl
        def hsbtrack_yearly_report_kinds():
            return [YearlyReportKind(
                "regional.annual_report", "region", lambda: _("Regional safeguarding board annual report"),
                sections=(NarrativeSection("summary", _l("Summary"), _l("The year in a few paragraphs")),),
                assemble=assemble_annual_report, draft_template="regional/yearly_draft.html",
                read_permission=Perm.VIEW_REGION, write_permission=Perm.MANAGE_REGION)]
    """


@hookspec
def hsbtrack_yearly_report_data(area, period_start, period_end, user):
    """Area-scoped. Return a list of :class:`hsbtrack.plugins.types.DataBlock`: this plugin's figures for an
    area's yearly report over a period (training reach, schools' self-assessments...), shown in the report's
    data draft after the core's audits and actions. Called only for plugins enabled in the area.

    :param area: the :class:`~hsbtrack.areas.models.Area` the report is about.
    :param period_start: the first day of the report's period (a ``date``).
    :param period_end: the last day of the report's period (a ``date``, inclusive).
    :param user: the reader the draft (and the file made from it) is for: leave out what they may not read.
        Read in a fixed number of queries. Return an empty list for nothing. Example::

        @hookimpl
        def hsbtrack_yearly_report_data(area, period_start, period_end, user):
            rows = [(tier["name"], str(count)) for tier, count in reach(area, period_start, period_end)]
            return [DataBlock(_l("Training reach"), "training-reach", columns=(_l("Tier"), _l("People")),
                              rows=tuple(rows), numeric=(1,), order=40)]
    """


@hookspec
def hsbtrack_shared_return_audit_sets(organisation):
    """Install-wide. Return a list of :class:`hsbtrack.plugins.types.AuditSet`: sets of audits that a
    partner organisation (North Wales Police, serving six authorities) may answer once in a shared return
    (``hsbtrack.organisations``): a regional round's audits, for instance. The core keeps only the audits of
    the organisation's linked areas that are open and where its agency takes part, and offers each set on
    the organisation's page and at ``GET /api/v1/organisations/<id>/returns``. Return an empty list for
    nothing; read in a fixed number of queries.

    :param organisation: the :class:`~hsbtrack.organisations.models.Organisation` asking. Example::

        @hookimpl
        def hsbtrack_shared_return_audit_sets(organisation):
            return [AuditSet(f"regional:round:{r.id}", r.title, r.framework, tuple(audit_ids_of(r)))
                    for r in open_rounds()]
    """


@hookspec
def hsbtrack_personal_data(user):
    """Install-wide. Return a list of :class:`hsbtrack.plugins.types.PersonalData`: what this plugin holds
    about one person, for the subject access export an administrator makes of them (UK GDPR, article 15;
    ``hsbtrack/privacy``, docs/privacy.md). Every plugin is asked, enabled or not in any area: the data is
    there either way.

    :param user: the :class:`~hsbtrack.auth.models.User` the export is about. Match their records by user id,
        or by the email address where the plugin stores people who are not users (training records), never by
        name alone: a record of someone else must never reach the export. Leave out other people's data that
        sits beside theirs (a case's content, another trainee's answers); say so in ``note``. Read in a fixed
        number of queries; return an empty list for nothing. Example::

        @hookimpl
        def hsbtrack_personal_data(user):
            rows = [(c.course.title, c.completed_on.isoformat(), c.status) for c in completions_of(user.email)]
            return [PersonalData("training.completions", _l("Training records"),
                                 columns=(("course", _l("Course")), ("completed_on", _l("Date")),
                                          ("status", _l("Outcome"))), rows=tuple(rows))]
    """


@hookspec
def hsbtrack_erase_person(user, replacement):
    """Install-wide. A departed person is being erased (UK GDPR, article 17; ``hsbtrack/privacy``): remove or
    replace what this plugin holds that names them, inside the erasure's transaction (flush, never commit:
    the core commits everything at once, or nothing). Called before the core replaces their account by the
    "former member" placeholder, so ``user.email`` and ``user.name`` are still theirs. Records that point to
    them by user id need nothing: the id stays, and now reads "former member".

    :param user: the :class:`~hsbtrack.auth.models.User` being erased.
    :param replacement: the text to write where a name or address stood in stored text ("former member";
        :func:`hsbtrack.privacy.services.replace_text` does it for a list of text columns).
    Return a list of ``(what, count)`` pairs for the erasure record (no names). Example::

        @hookimpl
        def hsbtrack_erase_person(user, replacement):
            people = people_with_email(user.email)
            for person in people:
                person.name, person.email = replacement, None
            return [("training people", len(people))]
    """


@hookspec
def hsbtrack_retention_rules():
    """Install-wide. Return a list of :class:`hsbtrack.plugins.types.RetentionRule`: how long this plugin's
    records are kept (UK GDPR storage limitation; ``hsbtrack/privacy``, docs/privacy.md). The core's
    ``core.retention`` scan lists the records each rule finds due in the retention review (it deletes
    nothing); an administrator confirms the deletion of a rule's due records on ``/admin/privacy/retention``,
    all or nothing, and the history keeps that it happened (the rule, how many, who, when), never what they
    were. A rule's period is its ``default`` unless the install sets ``HSBTRACK_RETENTION_<NAME>``.

    Give ``due(cutoff)`` (the records whose clock started before ``cutoff``, a naive UTC ``datetime``, as
    :class:`~hsbtrack.plugins.types.RetentionItem`: a key, the area, a label naming no one, the date the clock
    started) and ``delete(keys)`` (delete those records and everything made from them, their history entries
    included with :func:`hsbtrack.history.services.forget`; flush, never commit; return the storage keys of
    files to remove once the deletion is committed). Example::

        @hookimpl
        def hsbtrack_retention_rules():
            return [RetentionRule("scotland.carm_cases", _l("CARM cases"), default="6y",
                                  description=_l("Closed cases, counted from the day they closed"),
                                  due=closed_cases_before, delete=delete_cases)]
    """


@hookspec
def hsbtrack_area_archive_types():
    """Install-wide. Return a list of :class:`hsbtrack.area_archive.schema.RecordType`: the kinds of this plugin's
    records that belong to an area, so that an area's archive (``hsbtrack area export``, the admin page "Export
    and import areas") carries them to another install and its import writes them back (docs/area-archive.md).
    The core registers its own (the area, people, audits, actions, documents, history...) through this hook in
    ``hsbtrack/area_archive/hooks.py``.

    The contract, for a plugin:

    * Name each type ``<plugin>.<what>`` and list its fields (:func:`~hsbtrack.area_archive.schema.key` first,
      then :func:`~hsbtrack.area_archive.schema.ref` for every id of another record of the archive —
      ``"area"``, ``"users"``, ``"agencies"``, ``"audits"``, ``"actions"``, another of your types — and
      :func:`~hsbtrack.area_archive.schema.col` for values). The fields are the archive's documented schema:
      change one (rename, remove, change its meaning) and raise the type's ``version``.
    * ``export_rows(area, context)`` yields the area's rows (Python values); ``import_rows(area, rows, context)``
      inserts them into the new area in the importer's one transaction, remapping every reference with
      ``context.new_id`` and recording new ids with ``context.set_id`` — never committing. For a table read and
      written as it is, :func:`hsbtrack.area_archive.rows.model_type` builds both.
    * List your types after the types they refer to (the core's come first); name the history ``entity``
      values of your records in ``history_entities`` so that imported history points at the new records.
    * Leave out what is not the area's: install-wide or region records (the regional plugin's rounds), and
      anything made to be sent once (its idempotency keys name old ids unless you remap them).

    Every loaded plugin is asked, whether or not it is on in the area (records stay when a plugin is switched
    off). An install without the plugin refuses an archive holding its records, naming it, unless the person
    importing chooses to leave them out. Example::

        @hookimpl
        def hsbtrack_area_archive_types():
            fields = (key(), ref("area_id", "area"), col("title", "text", "the course's title"),
                      col("tier", "int", "1 to 4"))
            return [model_type("training.courses", TrainingCourse, fields,
                               lambda area: TrainingCourse.area_id == area.id, title="Training courses",
                               history_entities=("training_course",))]
    """
