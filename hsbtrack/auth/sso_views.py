"""Single sign-on pages: the OpenID Connect authorization code flow with Authlib (the rules:
``hsbtrack/auth/sso.py``; docs/security.md, "Single sign-on").

What Authlib checks, and what is added here:

* Authlib: ``state`` (kept in the session, one use), PKCE (S256; the verifier kept with the state),
  the ``nonce`` (made for each sign-in, compared with the ID token's), the ID token's signature
  against the provider's JWKS (keys fetched again when a ``kid`` is unknown), ``exp`` and ``iat``
  (120 s leeway), ``iss`` against the discovery document's ``issuer``, ``azp``.
* Here: the discovery document's ``issuer`` must be the configured issuer (OpenID Connect Discovery
  §4.3); the ``iss`` of the authorization response (RFC 9207), when sent, too; ``aud`` must contain our
  client id (Authlib checks it only through ``azp``); the ID token must be there, with its nonce.
"""

import logging
import time

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError
from requests import RequestException

from hsbtrack.auth import sso, two_factor
from hsbtrack.auth.sso_client import NEXT_KEY, SESSION_KEY, FlowError, client_for
from hsbtrack.auth.views import PENDING, roles_of, start_session
from hsbtrack.permissions import PUBLIC, requires
from hsbtrack.views_support import is_safe_next

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

def _provider_or_404(slug) -> sso.Provider:
    p = sso.provider(slug)
    if p is None:
        abort(404)
    return p


def _failed(p: sso.Provider, reason: str):
    log.warning("sign-in through %s refused: %s", p.slug, reason)
    return render_template("auth/sso_failed.html", provider=p), 400


@bp.route("/auth/oidc/<slug>/login")
@requires(PUBLIC)
def login(slug):
    """To the provider's sign-in page (a new state, nonce and PKCE verifier each time)."""
    p = _provider_or_404(slug)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    try:
        client = client_for(p)
        target = request.args.get("next")
        session[NEXT_KEY] = target if is_safe_next(target) else None
        return client.authorize_redirect(url_for("sso.callback", slug=p.slug, _external=True))
    except (FlowError, RequestException, OAuthError, ValueError) as error:
        return _failed(p, str(error))


@bp.route("/auth/oidc/<slug>/callback")
@requires(PUBLIC)  # the provider's answer: the state in the session says which sign-in it finishes
def callback(slug):
    p = _provider_or_404(slug)
    try:
        client = client_for(p)
        sent_iss = request.args.get("iss")
        if sent_iss is not None and sent_iss.rstrip("/") != p.issuer.rstrip("/"):
            raise FlowError(f"the authorization response's iss {sent_iss!r} is not {p.issuer!r}")
        if not request.args.get("state"):
            raise FlowError("no state")
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "values": [p.issuer]},
            "aud": {"essential": True, "value": p.client_id},
            "sub": {"essential": True},
            "nonce": {"essential": True},
        })
        claims = token.get("userinfo")
        if not claims or not token.get("id_token"):
            raise FlowError("no ID token")
        claims = dict(claims)
        if "email" not in claims and client.server_metadata.get("userinfo_endpoint"):
            # Providers that keep the e-mail out of the ID token (OpenID Connect Core §5.4) give it at
            # the UserInfo endpoint, for the same subject (§5.3.2).
            info = client.userinfo()
            if str(info.get("sub")) != str(claims["sub"]):
                raise FlowError("the UserInfo subject is not the ID token's")
            claims.update({k: info[k] for k in ("email", "email_verified", "xms_edov") if k in info})
    except (FlowError, RequestException, OAuthError, JoseError, ValueError, KeyError) as error:
        return _failed(p, f"{type(error).__name__}: {error}")
    try:
        user = sso.sign_in(p, claims)
    except sso.Refused as refusal:
        log.info("sign-in through %s refused (%s): %s", p.slug, refusal.reason, refusal.email)
        return render_template("auth/sso_refused.html", provider=p, reason=refusal.reason, email=refusal.email), 403
    target = session.pop(NEXT_KEY, None)
    target = target if is_safe_next(target) else None
    signed_in = {"slug": p.slug, "id_token": token["id_token"]}
    if sso.second_factor_asserted(p, claims):
        stage = None
    elif two_factor.is_enrolled(user):
        stage = "code"
    elif two_factor.is_required(user, roles_of(user)):
        stage = "setup"
    else:
        stage = None
    if stage is None:
        start_session(user)
        session[SESSION_KEY] = signed_in
        return redirect(target or url_for("dashboard.home"))
    # Our own second step, as after a password (hsbtrack/auth/views.py): nothing opens before it.
    session.clear()
    session[PENDING] = {"user": user.id, "version": user.session_version, "stage": stage,
                        "at": int(time.time()), "next": target, "sso": signed_in}
    return redirect(url_for("auth.two_factor_code" if stage == "code" else "auth.two_factor_setup"))
