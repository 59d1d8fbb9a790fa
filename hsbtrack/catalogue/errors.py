"""The single error type raised for a malformed framework file."""

from __future__ import annotations


class FrameworkError(ValueError):
    """A framework file (or dict) is unreadable or breaks a catalogue rule.

    The message always starts with the source (file path or ``"<string>"``)
    and, when the problem is inside the data, the exact place, e.g.
    ``nspcc.yaml: domains[2].statements[4]: 'code' is missing``.  People fix
    these files by hand, so the message has to point at the line to edit.
    """

    def __init__(self, source: str, location: str, problem: str) -> None:
        self.source = source
        self.location = location
        self.problem = problem
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {problem}")
