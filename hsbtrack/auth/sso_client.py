"""The OpenID Connect client of a sign-in provider (Authlib), shared by the sign-in pages
(``sso_views``) and signing out (``views``): discovery documents and keys cached for an hour, the
discovery document's issuer checked against the configured one."""

import logging
import time

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from authlib.integrations.flask_client.integration import FlaskIntegration
from flask import url_for
from requests import RequestException

from hsbtrack.auth import sso

log = logging.getLogger(__name__)

# The session key of "signed in through a provider": its slug and the ID token (the hint for signing
# out at the provider).
SESSION_KEY = "sso"
NEXT_KEY = "sso_next"
_METADATA: dict[tuple, dict] = {}  # discovery documents and keys, an hour per provider
METADATA_SECONDS = 3600


class FlowError(Exception):
    pass


def client_for(p: sso.Provider) -> FlaskOAuth2App:
    client = FlaskOAuth2App(FlaskIntegration(f"oidc_{p.slug}"), name=f"oidc_{p.slug}", client_id=p.client_id,
                            client_secret=p.client_secret, server_metadata_url=p.metadata_url,
                            client_kwargs={"scope": sso.SCOPES, "code_challenge_method": "S256",
                                           "default_timeout": 15})
    cached = _METADATA.get((p.slug, p.issuer, p.client_id))
    if cached and time.time() - cached.get("_loaded_at", 0) < METADATA_SECONDS:
        client.server_metadata.update(cached)
    metadata = client.load_server_metadata()
    if metadata.get("issuer", "").rstrip("/") != p.issuer.rstrip("/"):
        raise FlowError(f"the discovery document's issuer {metadata.get('issuer')!r} is not {p.issuer!r}")
    _METADATA[(p.slug, p.issuer, p.client_id)] = client.server_metadata
    return client



def end_session_url(signed_in: dict | None) -> str | None:
    """The provider's end-session URL for a session signed in through it (with ``id_token_hint``
    and ``post_logout_redirect_uri``), or None when it has none."""
    if not isinstance(signed_in, dict):
        return None
    p = sso.provider(signed_in.get("slug") or "")
    if p is None:
        return None
    try:
        client = client_for(p)
        if not client.server_metadata.get("end_session_endpoint"):
            return None
        return client.create_logout_url(post_logout_redirect_uri=url_for("auth.login", _external=True),
                                        id_token_hint=signed_in.get("id_token"))["url"]
    except (FlowError, RequestException, OAuthError, ValueError, RuntimeError) as error:
        log.warning("no end-session URL for %s: %s", p.slug, error)
        return None
