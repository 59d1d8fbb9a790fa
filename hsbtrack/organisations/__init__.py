"""Partner organisations above areas (a police force, a health board) and their shared returns."""
