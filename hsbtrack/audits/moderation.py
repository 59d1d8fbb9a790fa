"""Moderation: statements × agencies, agreed scores with justifications, and each statement's history."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)
