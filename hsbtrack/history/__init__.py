"""The append-only history of changes to scores, agreed scores and actions (who, when, old, new)."""
