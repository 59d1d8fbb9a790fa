"""Known vulnerabilities in the installed Python packages (``make security``).

Runs ``pip-audit`` on the environment it is started from (the .venv), skipping the editable
hsbtrack itself: any known vulnerability fails, and so does any package it could not check
(``--strict``), so that an audit which checked nothing never passes.

Where PyPI's per-release vulnerability feed (``/pypi/<name>/<version>/json``, which pip-audit reads)
cannot be reached, but the per-project document (``/pypi/<name>/json``) can, the same advisories
are read from there instead. That document lists the advisories of the project's latest release:
a package installed at its latest release is checked exactly; one held below it (by a version pin)
is checked only when pip-audit's feed is reachable, and is listed as such, never counted as clean.
Exit status: 0 clean, 1 vulnerabilities found, 2 nothing could be checked.
"""

import json
import subprocess  # nosec B404  # runs pip-audit from this environment, fixed arguments
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata

from packaging.utils import canonicalize_name

PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--skip-editable", "--strict", "--progress-spinner", "off",
             "--desc", "off"]
SELF = {"hsbtrack"}


def run_pip_audit() -> tuple[int, str]:
    done = subprocess.run(PIP_AUDIT, capture_output=True, text=True, timeout=900)  # noqa: S603  # nosec B603  # fixed argv
    return done.returncode, (done.stdout + done.stderr).strip()


def installed() -> dict[str, str]:
    found = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "")
        if name and name not in SELF:
            found[name] = dist.version
    return found


def project_document(name: str) -> dict | None:
    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # nosec B310  # a fixed https URL
            return json.load(response)
    except Exception:  # any failure means "could not check"
        return None


def fallback(packages: dict[str, str]) -> int:
    with ThreadPoolExecutor(max_workers=8) as pool:
        documents = dict(zip(packages, pool.map(project_document, packages), strict=True))
    checked, held_back, unreachable, vulnerable = [], [], [], []
    for name, version in sorted(packages.items()):
        document = documents[name]
        if document is None:
            unreachable.append(name)
            continue
        latest = document["info"]["version"]
        if latest != version:
            held_back.append(f"{name} {version} (latest {latest})")
            continue
        checked.append(name)
        for advisory in document.get("vulnerabilities") or []:
            if not advisory.get("withdrawn"):
                vulnerable.append(f"{name} {version}: {advisory.get('id')} {advisory.get('aliases') or ''} "
                                  f"fixed in {advisory.get('fixed_in') or 'no release yet'}")
    print(f"checked {len(checked)} of {len(packages)} installed packages at their latest release: "
          f"{len(vulnerable)} known vulnerabilities")
    for line in vulnerable:
        print("  VULNERABLE", line)
    if held_back:
        print(f"{len(held_back)} held below their latest release by a pin (checked only by pip-audit's feed):")
        for line in held_back:
            print("  ", line)
    if unreachable:
        print(f"{len(unreachable)} not found on PyPI: {', '.join(unreachable)}")
    if vulnerable:
        return 1
    return 0 if checked else 2


def main() -> int:
    status, output = run_pip_audit()
    print(output)
    if status == 0:
        return 0
    if "Found " in output and "known vulnerabilit" in output:
        return 1  # pip-audit did its job and found something
    print("\npip-audit could not check every package (above); reading PyPI's per-project advisories instead")
    return fallback(installed())


if __name__ == "__main__":
    sys.exit(main())
