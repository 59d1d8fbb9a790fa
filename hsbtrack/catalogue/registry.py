"""The set of frameworks the app knows about, looked up by slug."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import FrameworkError
from .loader import JSON_SUFFIXES, YAML_SUFFIXES, load_framework
from .model import Framework

# Resolved relative to this module so it works from a checkout, an installed
# wheel, or any working directory.
FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"


def builtin_framework_paths() -> list[Path]:
    """Every framework file shipped with the app, sorted by file name."""
    suffixes = YAML_SUFFIXES + JSON_SUFFIXES
    return sorted(p for p in FRAMEWORKS_DIR.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


class Catalogue:
    """An immutable slug -> Framework registry; duplicate slugs are an error."""

    def __init__(self, frameworks: Iterable[Framework] = ()) -> None:
        by_slug: dict[str, Framework] = {}
        for fw in frameworks:
            if fw.slug in by_slug:
                first = by_slug[fw.slug]
                raise FrameworkError(
                    _source(fw),
                    "slug",
                    f"duplicate framework slug {fw.slug!r} (already loaded from {_source(first)})",
                )
            by_slug[fw.slug] = fw
        self._by_slug = dict(sorted(by_slug.items()))

    @classmethod
    def from_paths(cls, paths: Iterable[str | os.PathLike[str]]) -> Catalogue:
        return cls(load_framework(p) for p in paths)

    @classmethod
    def builtin(cls) -> Catalogue:
        """A fresh catalogue of the shipped frameworks (see also builtin_catalogue())."""
        return cls.from_paths(builtin_framework_paths())

    def get(self, slug: str) -> Framework:
        try:
            return self._by_slug[slug]
        except KeyError:
            known = ", ".join(self._by_slug) or "none"
            raise KeyError(f"unknown framework {slug!r} (known: {known})") from None

    def all(self) -> list[Framework]:
        """All frameworks sorted by slug."""
        return list(self._by_slug.values())

    def slugs(self) -> list[str]:
        return list(self._by_slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __iter__(self) -> Iterator[Framework]:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def __repr__(self) -> str:
        return f"Catalogue({self.slugs()!r})"


@functools.cache
def builtin_catalogue() -> Catalogue:
    """The shipped frameworks, parsed once per process (Framework is immutable)."""
    return Catalogue.builtin()


def _source(fw: Framework) -> str:
    return str(fw.source_path) if fw.source_path else f"<framework {fw.slug}>"
