"""Tenancy: regions, areas (safeguarding partnerships), agencies and memberships with roles."""
