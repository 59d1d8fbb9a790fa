"""How ``organisation_id`` and ``shared_return_id`` in a URL find their records for the permission check
(hsbtrack.permissions). An organisation sits above areas: its pages name ``account.own`` (signed in)
or ``install.admin``, and the records' wall lets in only administrators and the organisation's own
members — anyone else is answered 404, as for a record that does not exist."""

from hsbtrack.organisations import services
from hsbtrack.permissions import Target, record_loader


@record_loader("organisation_id")
def load_organisation(organisation_id):
    organisation = services.get_organisation(organisation_id)
    if organisation is None:
        return None
    return Target(organisation, visible=lambda user: services.is_member(user, organisation.id))


@record_loader("shared_return_id")
def load_shared_return(shared_return_id):
    shared_return = services.get_shared_return(shared_return_id)
    if shared_return is None:
        return None
    return Target(shared_return, visible=lambda user: services.is_member(user, shared_return.organisation_id))
