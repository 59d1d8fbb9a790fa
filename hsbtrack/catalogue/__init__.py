"""Framework catalogue: the audit frameworks as validated, immutable data.

Pure data plus a loader – deliberately no Flask here, so plugins, scripts and
tests can load and validate framework files on their own.

    >>> fw = builtin_catalogue().get("nspcc-hsb-2019")
    >>> fw.statement("1.6a").parent
    '1.6'
"""

from .errors import FrameworkError
from .loader import load_framework
from .model import Domain, Framework, Scale, Statement, Translation
from .parser import parse_framework
from .registry import FRAMEWORKS_DIR, Catalogue, builtin_catalogue, builtin_framework_paths

__all__ = [
    "FRAMEWORKS_DIR",
    "Catalogue",
    "Domain",
    "Framework",
    "FrameworkError",
    "Scale",
    "Statement",
    "Translation",
    "builtin_catalogue",
    "builtin_framework_paths",
    "load_framework",
    "parse_framework",
]
