"""The area's home page: a feature of its own over audits and actions (above both in the layers,
docs/architecture.md), so that tenancy (``hsbtrack.areas``) never imports the features above it."""
