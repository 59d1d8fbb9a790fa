"""How an ``action_id`` in a URL finds its action for the permission check (hsbtrack.permissions):
the action's area decides the plan permission, and its wall (``restricted_to``) who may see it at
all — without it the action does not exist for the reader (404), on pages and API alike."""

from sqlalchemy.orm import selectinload

from hsbtrack.actions import services
from hsbtrack.actions.models import Action
from hsbtrack.extensions import db
from hsbtrack.permissions import Target, record_loader


@record_loader("action_id")
def load_action(action_id):
    action = db.session.get(Action, action_id, options=[selectinload(Action.statements), selectinload(Action.owner)])
    if action is None:
        return None
    return Target(action, area_id=action.area_id, visible=lambda user: services.may_see(user, action))
