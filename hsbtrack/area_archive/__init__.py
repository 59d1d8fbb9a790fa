"""Whole-area export and import (issue 21): one ZIP archive of an area and everything of its plugins, read
back into another install all or nothing.

- :mod:`hsbtrack.area_archive.schema` — the archive's documented, versioned schema: the record types (the
  core's and the plugins', through ``hsbtrack_area_archive_types``) and their fields;
- :mod:`hsbtrack.area_archive.rows` — the helpers a record type is built with (reading a model's rows,
  inserting them with their ids remapped);
- :mod:`hsbtrack.area_archive.core_types` — the core's own record types;
- :mod:`hsbtrack.area_archive.export` — writing an archive (a job from the admin page, or the CLI);
- :mod:`hsbtrack.area_archive.importing` — reading one into this install, in one transaction;
- :mod:`hsbtrack.area_archive.views` and :mod:`hsbtrack.area_archive.cli` — the admin page and
  ``hsbtrack area export|import|schema``.

The format is described in docs/area-archive.md.
"""
