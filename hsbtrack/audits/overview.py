"""Overview: domain scores, radar graphs (T1, T2, T3 overlaid), comparisons and the board report."""

from flask import Blueprint

bp = Blueprint("overview", __name__)
