"""Benchmarks at national scale (``hsbtrack bench``, ``make bench``): a generator of synthetic data
(:mod:`hsbtrack.bench.generate`) and the measurements of docs/architecture.md's budgets
(:mod:`hsbtrack.bench.measure`). Nothing here is imported by request code."""
