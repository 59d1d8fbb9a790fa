"""The release, for whatever must change with it (chart cache keys). Kept here, not in the package
__init__, so that reading it imports nothing else."""

__version__ = "0.1.0"
