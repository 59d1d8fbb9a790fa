"""Jobs: long work (papers, packs) done off the request by the scheduler process, with progress and a
file to download when ready. See :mod:`hsbtrack.jobs.services` and docs/architecture.md ("Jobs")."""
