"""Helpers shared by every HTML view: template globals, terminology, menus, error pages."""

from urllib.parse import quote, urlsplit

from flask import abort, g, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from govuk_frontend_wtf.main import wtforms_errors
from jinja2 import pass_context
from jinja2.filters import do_indent
from markupsafe import Markup

from hsbtrack.api.errors import api_http_error, service_error
from hsbtrack.areas.services import areas_for_user
from hsbtrack.errors import ServiceError
from hsbtrack.forms import DayMonthYearField
from hsbtrack.i18n import LANGUAGE_NAMES, current_language
from hsbtrack.permissions import can, may_open
from hsbtrack.plugins.services import collect, collect_for_region, terminology

# Words a national variant may change (hook ``hsbtrack_terminology``).
DEFAULT_TERMS = {
    "partnership": _l("safeguarding partnership"),
    "Partnership": _l("Safeguarding partnership"),
    "partnerships": _l("safeguarding partnerships"),
    "lead_professional": _l("lead professional"),
    "childs_plan": _l("child's plan"),
}


def current_area():
    return getattr(g, "area", None)


def terms_for(area) -> dict:
    cache = g.setdefault("_terms", {})
    key = getattr(area, "id", None)
    if key not in cache:
        cache[key] = {**DEFAULT_TERMS, **(terminology(area) if area is not None else {})}
    return cache[key]


def term(key: str, area=None) -> str:
    return str(terms_for(area if area is not None else current_area()).get(key, key))


def area_nav_items(area):
    """The area's menu: every item the core and the enabled plugins offer, less those whose page
    the user may not open (the page's own ``requires`` decides: one rule, not a second list)."""
    if area is None or not current_user.is_authenticated:
        return []
    return [item for item in collect("hsbtrack_nav_items", area, user=current_user)
            if may_open(current_user, item.url)]


def region_links(region):
    """Links from a region's page to the pages plugins enabled for the region offer (the regional
    board, its rounds...), less those the user may not open."""
    if region is None or not current_user.is_authenticated:
        return []
    return [item for item in collect_for_region("hsbtrack_region_links", region, user=current_user)
            if may_open(current_user, item.url)]


def user_areas():
    if not current_user.is_authenticated:
        return []
    if "_user_areas" not in g:
        g._user_areas = areas_for_user(current_user)
    return g._user_areas


def is_safe_next(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


_URL_SLOT = "hsbtrack-url-slot-7f3a9c"
_URL_INT_SLOT = 918_273_645_546_372_819  # for an <int:...> argument
_PATH_SAFE = "!$&'()*+,/:;=@"  # werkzeug's path-segment quoting (BaseConverter.to_url)


def url_each(endpoint: str, key: str, **values):
    """``url_for`` for many values of one path argument: builds the URL once, then only fills in ``key``.

    For tables that link every row or cell to the same route (``url_for`` per cell is a large part of
    rendering a big table). ``url_each(e, "code", area_id=1)(c) == url_for(e, code=c, area_id=1)`` for
    a string or integer path argument.
    """
    try:
        slot = _URL_SLOT
        built = url_for(endpoint, **{key: slot}, **values)
    except ValueError:  # a number converter
        slot = str(_URL_INT_SLOT)
        built = url_for(endpoint, **{key: _URL_INT_SLOT}, **values)
    parts = built.split(slot)
    if len(parts) != 2:  # the argument is not a plain path segment: build each URL in full
        return lambda value: url_for(endpoint, **{key: value}, **values)
    before, after = parts
    return lambda value: before + quote(str(value), safe=_PATH_SAFE) + after


@pass_context
def english_text_attr(context):
    """`` lang="en"`` for framework text shown untranslated on a page in another language.

    Statement texts stay in English unless the framework file supplies a translation; marking
    them lets screen readers pronounce them as English (WCAG 3.1.2) and tells a reader why.
    """
    from markupsafe import Markup


    language = current_language()
    # The page's framework, if the template has one (a macro may not): its statements may be translated.
    translated = getattr(context.get("framework"), "has_statement_texts_in", None)
    if language == "en" or (translated is not None and translated(language)):
        return Markup("")
    return Markup(' lang="en"')


def may(permission: str, area=None) -> bool:
    """Template helper: does the signed-in user hold ``permission`` in the page's area? (Links to
    pages the reader could not open are left out; the pages themselves check again.)"""

    area = area if area is not None else current_area()
    return current_user.is_authenticated and area is not None and can(current_user, permission, area.id)


def form_error_summary(form, params):
    """The error summary's parameters for a form: every error, each linking to its field. A GOV.UK date
    input links to its day box (the group itself takes no focus, so the link would go nowhere)."""
    summary = wtforms_errors(form, params)
    date_groups = {f"#{field.id}": f"#{field.id}-day" for field in form if isinstance(field, DayMonthYearField)}
    for item in summary["errorList"]:
        item["href"] = date_groups.get(item.get("href"), item.get("href"))
    return summary


def indent(s, width=4, first: bool = False, blank: bool = False):
    """Jinja's ``indent`` filter, the same text out, without its cost on markup: every GOV.UK macro
    indents the HTML it is given (an accordion the whole of its sections'), and Jinja's own filter
    makes and escapes a ``Markup`` per line, a large part of a long page (``make bench``). Here the
    lines of safe markup are indented as plain text and marked safe once."""
    if isinstance(s, Markup):
        return Markup(do_indent(str(s), str(width) if isinstance(width, Markup) else width, first, blank))  # noqa: S704  # nosec B704  # s was safe markup; only spaces (or the template's own indent string) are added
    return do_indent(s, width, first, blank)


def register_template_helpers(app) -> None:
    from flask_babel import get_locale
    from govuk_frontend_wtf.main import WTFormsHelpers


    WTFormsHelpers(app)
    app.jinja_env.filters["indent"] = indent
    app.add_template_global(get_locale)
    app.add_template_global(english_text_attr)
    app.add_template_global(url_each)
    app.add_template_global(form_error_summary)
    app.add_template_global(may)

    @app.context_processor
    def inject_helpers():
        return {
            "term": term,
            "current_area": current_area(),
            "area_nav_items": area_nav_items,
            "region_links": region_links,
            "user_areas": user_areas,
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "language_names": LANGUAGE_NAMES,
        }


def scored_statement_or_404(framework, code: str):
    """The framework's scored statement ``code``; 404 for an unknown code or a heading (1.6)."""
    try:
        statement = framework.statement(code)
    except KeyError:
        abort(404)
    if not statement.scored:
        abort(404)
    return statement


def wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_pages(app) -> None:
    messages = {
        400: (_l("Bad request"), _l("The request could not be understood.")),
        403: (_l("You do not have permission to do this"), _l("Ask your board manager if you need access.")),
        404: (_l("Page not found"), _l("If you typed the web address, check it is correct.")),
        405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
        409: (_l("Someone else changed this"), _l("Reload the page to see the latest version.")),
        413: (_l("The file is too large"), _l("Upload a smaller file.")),
        500: (_l("Sorry, there is a problem with the service"), _l("Try again later.")),
    }

    from werkzeug.exceptions import HTTPException


    def handler(error):
        if wants_json():
            return api_http_error(error)
        code = getattr(error, "code", 500) or 500
        title, detail = messages.get(code, (getattr(error, "name", messages[500][0]), getattr(error, "description", "")))
        return render_template("errors/error.html", title=title, detail=detail, code=code), code

    for code in messages:
        app.register_error_handler(code, handler)
    app.register_error_handler(HTTPException, handler)

    @app.errorhandler(ServiceError)
    def unhandled_service_error(error):
        if wants_json():
            return service_error(error)
        return render_template("errors/error.html", title=_l("There is a problem"), detail=error.message,
                               code=error.status), error.status

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if wants_json():
            return jsonify(error={"code": "csrf", "message": error.description, "fields": {}}), 400
        return render_template(
            "errors/error.html",
            title=_l("Your session has expired"),
            detail=_l("The form was missing its security token or it had expired. Go back, reload the page and try again."),
            code=400,
        ), 400



def set_current_area(area):
    """Remember the area a page is about: the layout shows its menu and the switcher selects it."""
    g.area = area
    return area
