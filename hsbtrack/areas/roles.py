"""Role definitions. The core declares its roles through its own ``hsbtrack_roles`` hook;
plugins add theirs (e.g. ``case_worker``) the same way."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

AREA = "area"
REGION = "region"


class Perm:
    """Permission names used by views, the API and plugins."""

    VIEW_AREA = "area.view"
    MANAGE_AREA = "area.manage"  # agencies, members, invitations, opening audits
    SCORE = "audit.score"  # enter an agency's scores (agency leads: their own agency only)
    SCORE_ANY_AGENCY = "audit.score_any_agency"
    MODERATE = "audit.moderate"
    EDIT_ACTIONS = "actions.edit"
    MANAGE_PLUGINS = "plugins.manage"
    MANAGE_REGION = "region.manage"
    MANAGE_TRAINING = "training.manage"


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    scope: str = AREA  # AREA or REGION
    needs_agency: bool = False
    permissions: frozenset[str] = field(default_factory=frozenset)
    order: int = 100


def core_roles() -> list[Role]:
    view = {Perm.VIEW_AREA}
    return [
        Role(
            "regional_coordinator",
            _l("Regional coordinator"),
            scope=REGION,
            permissions=frozenset(view | {Perm.MANAGE_PLUGINS, Perm.MANAGE_REGION, Perm.EDIT_ACTIONS}),
            order=10,
        ),
        Role(
            "board_manager",
            _l("Board manager"),
            permissions=frozenset(
                view
                | {
                    Perm.MANAGE_AREA,
                    Perm.SCORE,
                    Perm.SCORE_ANY_AGENCY,
                    Perm.MODERATE,
                    Perm.EDIT_ACTIONS,
                    Perm.MANAGE_PLUGINS,
                }
            ),
            order=20,
        ),
        Role("agency_lead", _l("Agency lead"), needs_agency=True, permissions=frozenset(view | {Perm.SCORE}), order=30),
        Role("training_lead", _l("Training lead"), permissions=frozenset(view | {Perm.MANAGE_TRAINING}), order=40),
        Role("viewer", _l("Viewer"), permissions=frozenset(view), order=50),
    ]
