"""Permissions and roles: what each role reads and does.

A *permission* names one kind of data and what may be done with it (``audit.read``: the audit's
agreed scores; ``audit.responses.read``: every agency's responses and evidence text). A *role* is a
named set of permissions. The core declares its own through its ``hsbtrack_roles`` hook; plugins
add theirs (``case_worker`` and ``carm.cases``, ``school_lead`` and ``schools.own``) the same way.

Every view and API operation names the permission it needs (:func:`hsbtrack.permissions.requires`);
one check decides (:mod:`hsbtrack.permissions`). The role table in docs/security.md and
``GET /api/v1/roles`` are read from here.

404 or 403, one rule: a *read* permission reveals a kind of record; a *write* permission names the
read permission of the records it changes (``Permission.reveals``). Without that read permission
every URL on the record answers 404; with it but without the write, a write answers 403.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

AREA = "area"
REGION = "region"
INSTALL = "install"


class Perm:
    """Permission names used by views, the API and plugins."""

    # the area itself
    VIEW_AREA = "area.view"  # the area's home page and its list of partner agencies
    MANAGE_AREA = "area.manage"  # agencies, area settings, opening and closing audits
    READ_MEMBERS = "members.read"  # who holds which role, with e-mail addresses
    MANAGE_MEMBERS = "members.manage"  # inviting people, giving and removing roles
    MANAGE_PLUGINS = "plugins.manage"
    # audits
    READ_AUDIT = "audit.read"  # audits, agreed scores, domain means, radars, findings, schedule
    READ_RESPONSES = "audit.responses.read"  # every agency's scores, evidence and assurance text
    READ_OWN_RESPONSES = "audit.responses.read_own"  # the responses of the agency the user leads
    SCORE = "audit.score"  # enter the responses of the agency the user leads
    SCORE_ANY_AGENCY = "audit.score_any_agency"
    MODERATE = "audit.moderate"
    SIGN_OFF = "audit.sign_off"  # sign off the submitted return of the agency the user is a senior officer of
    # the action plan
    READ_ACTIONS = "actions.read"
    EDIT_ACTIONS = "actions.edit"
    # regions
    VIEW_REGION = "region.view"  # the region's pages and roll-ups
    MANAGE_REGION = "region.manage"
    # training plugin (declared by the core so that core roles can hold them)
    READ_TRAINING = "training.read"
    MANAGE_TRAINING = "training.manage"
    # install-wide
    ADMIN = "install.admin"  # administrators only (admin pages, download log, creating areas)
    SIGNED_IN = "account.own"  # any signed-in user, on their own account and their own records only


@dataclass(frozen=True)
class Permission:
    id: str
    label: str
    scope: str = AREA  # AREA, REGION or INSTALL
    reveals: str | None = None  # for a write: the read permission of the records it changes
    per_agency: bool = False  # held only for the agency named in the membership (agency leads)
    any_agency: str | None = None  # for a per-agency permission: the permission that covers every agency
    # Held by whoever holds any of these: how a plugin gives its permission to core roles without
    # editing them (``schools.assess`` comes with ``area.manage``: board managers assess any school).
    implied_by: frozenset[str] = frozenset()
    plugin: str | None = None

    @property
    def read_permission(self) -> str:
        return self.reveals or self.id


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    scope: str = AREA  # AREA or REGION
    needs_agency: bool = False
    permissions: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    plugin: str | None = None


def core_permissions() -> list[Permission]:
    return [
        Permission(Perm.VIEW_AREA, _l("See the area's home page and its partner agencies")),
        Permission(Perm.MANAGE_AREA, _l("Manage the area: agencies, settings, opening and closing audits"),
                   reveals=Perm.VIEW_AREA),
        Permission(Perm.READ_MEMBERS, _l("See the members of the area, their roles and e-mail addresses")),
        Permission(Perm.MANAGE_MEMBERS, _l("Invite people and give or remove roles"), reveals=Perm.READ_MEMBERS),
        Permission(Perm.MANAGE_PLUGINS, _l("Switch plugins on and off and change their settings"),
                   reveals=Perm.VIEW_AREA),
        Permission(Perm.READ_AUDIT, _l("See audits, agreed scores, domain scores, graphs and findings")),
        Permission(Perm.READ_RESPONSES, _l("See every agency's scores, evidence and assurance")),
        Permission(Perm.READ_OWN_RESPONSES, _l("See the scores, evidence and assurance of your own agency"),
                   per_agency=True, any_agency=Perm.READ_RESPONSES),
        Permission(Perm.SCORE, _l("Score the statements for your own agency"), reveals=Perm.READ_AUDIT,
                   per_agency=True, any_agency=Perm.SCORE_ANY_AGENCY),
        Permission(Perm.SCORE_ANY_AGENCY, _l("Score the statements for any agency"), reveals=Perm.READ_AUDIT),
        Permission(Perm.MODERATE, _l("Set agreed scores (moderation)"), reveals=Perm.READ_AUDIT),
        Permission(Perm.SIGN_OFF, _l("Sign off the submitted return of your own agency"), reveals=Perm.READ_AUDIT,
                   per_agency=True),
        Permission(Perm.READ_ACTIONS, _l("See the action plan")),
        Permission(Perm.EDIT_ACTIONS, _l("Add and change actions"), reveals=Perm.READ_ACTIONS),
        Permission(Perm.VIEW_REGION, _l("See the region's pages and roll-ups"), scope=REGION),
        Permission(Perm.MANAGE_REGION, _l("Manage the region"), scope=REGION, reveals=Perm.VIEW_REGION),
        Permission(Perm.READ_TRAINING, _l("See training records and coverage")),
        Permission(Perm.MANAGE_TRAINING, _l("Record and import training"), reveals=Perm.READ_TRAINING),
        Permission(Perm.ADMIN, _l("Administer the whole install"), scope=INSTALL),
        Permission(Perm.SIGNED_IN, _l("Use your own account"), scope=INSTALL),
    ]


def core_roles() -> list[Role]:
    area_basics = {Perm.VIEW_AREA, Perm.READ_AUDIT, Perm.READ_ACTIONS}
    return [
        Role(
            "regional_coordinator",
            _l("Regional coordinator"),
            scope=REGION,
            # member areas' agreed scores, plans and progress; never agencies' evidence text
            permissions=frozenset(area_basics | {Perm.VIEW_REGION, Perm.MANAGE_PLUGINS, Perm.MANAGE_REGION,
                                                 Perm.EDIT_ACTIONS, Perm.READ_TRAINING}),
            order=10,
        ),
        Role(
            "board_manager",
            _l("Board manager"),
            permissions=frozenset(area_basics | {
                Perm.MANAGE_AREA, Perm.READ_MEMBERS, Perm.MANAGE_MEMBERS, Perm.MANAGE_PLUGINS,
                Perm.READ_RESPONSES, Perm.SCORE_ANY_AGENCY, Perm.MODERATE, Perm.EDIT_ACTIONS, Perm.READ_TRAINING,
            }),
            order=20,
        ),
        Role("agency_lead", _l("Agency lead"), needs_agency=True,
             permissions=frozenset(area_basics | {Perm.READ_OWN_RESPONSES, Perm.SCORE}), order=30),
        # Section 11 practice: a named senior officer of the agency signs its return off, where the area asks
        Role("senior_officer", _l("Senior officer"), needs_agency=True,
             permissions=frozenset(area_basics | {Perm.READ_OWN_RESPONSES, Perm.SIGN_OFF}), order=35),
        Role("training_lead", _l("Training lead"),
             permissions=frozenset({Perm.VIEW_AREA, Perm.READ_AUDIT, Perm.READ_TRAINING, Perm.MANAGE_TRAINING}),
             order=40),
        Role("viewer", _l("Viewer"), permissions=frozenset(area_basics | {Perm.READ_TRAINING}), order=50),
    ]
