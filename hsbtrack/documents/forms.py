"""The scoring page's document upload: a file, a title and an effective date (GOV.UK day, month and year)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField

from hsbtrack.forms import DayMonthYearField, FlaskForm


class DocumentUploadForm(FlaskForm):
    file = FileField(_l("File"))
    title = StringField(_l("Title (optional)"))
    effective_on = DayMonthYearField(_l("Effective date (optional)"))
