"""Language choice: the user's preference, else a cookie (logged out), else the browser's."""

from flask import current_app, has_request_context, request
from flask_login import current_user

LANGUAGE_COOKIE = "hsbtrack_lang"
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}


def select_locale() -> str:
    """"en" is formatted as British English (dates like 19 May 2027); "cy" is Welsh."""
    language = _select_language()
    return "en_GB" if language == "en" else language


def _select_language() -> str:
    languages = current_app.config["HSBTRACK_LANGUAGES"]
    if not has_request_context():
        return "en"  # jobs and the CLI choose a language per recipient with force_locale
    asked = request.args.get("lang")
    if asked in languages:
        return asked
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or "en"


def current_language() -> str:
    """The language pages, exports and emails are being written in: "en" or "cy".

    Outside a request (jobs, the CLI) it is the language forced with ``force_locale``, else "en".
    Translated framework texts, chart cache keys and new users' language all take this one value."""
    from flask_babel import get_locale

    try:
        locale = get_locale()
    except (RuntimeError, AttributeError):  # no application context at all
        return "en"
    return locale.language if locale is not None else "en"


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
