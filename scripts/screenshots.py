"""Take full-page screenshots of running hsbtrack pages (for looking at them, and for the guides).

    python scripts/screenshots.py http://127.0.0.1:5000 admin@example.org PASSWORD OUTDIR /path1 /path2 ...
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(base, email, password, outdir, *paths):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(lambda url: "/login" not in url)  # signed in before the first page
        for path in paths:
            page.goto(base + path)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png", page.title())
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
