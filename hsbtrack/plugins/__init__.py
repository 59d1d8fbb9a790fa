"""The plugin system: pluggy hooks, entry-point discovery, per-area enabling."""

import pluggy

hookimpl = pluggy.HookimplMarker("hsbtrack")

__all__ = ["hookimpl"]
