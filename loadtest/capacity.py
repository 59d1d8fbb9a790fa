"""Capacity steps of ``make load`` (run by ``loadtest/run.py``): users with no think time, each signed in
as a different board manager (who also coordinates the benchmark regions), asking one after another
for the main pages of their area (dashboard, audit overview, agreed-scores matrix, action plan) and
the regional roll-ups (the 6- and the 32-authority round: the plugins' benchmark pages) or, with
``HSBTRACK_LOAD_TARGET=trivial``, for the trivial page of ``make bench`` (a signed-in area page in the
layout that reads no data). Locust's FastHttpUser: a light client, since it shares the machine's CPUs
with the server. Every page is counted under one name, so that its p95 is the mix's.

The users do not sign in here: ``loadtest/run.py`` signed each account in once, with its password and
its two-factor code (loadtest/signin.py), before the first step, and every step reuses that session
(``HSBTRACK_LOAD_SESSIONS``: the cookies of each account, from the same user agent). A two-factor
code is accepted once per 30-second step, and the steps start each other's users within seconds."""

import json
import os
from itertools import cycle

from locust import FastHttpUser, constant, task
from requests.cookies import create_cookie
from signin import USER_AGENT  # loadtest/signin.py (locust puts the locustfile's folder on the path)

with open(os.environ.get("HSBTRACK_LOAD_ACCOUNTS", "loadtest-accounts.json")) as _file:
    ACCOUNTS = json.load(_file)["accounts"]
with open(os.environ.get("HSBTRACK_LOAD_SESSIONS", "loadtest-sessions.json")) as _file:
    SESSIONS = json.load(_file)  # a list of cookies per account, in the accounts' order
TARGET = os.environ.get("HSBTRACK_LOAD_TARGET", "pages")
NAME = "trivial page" if TARGET == "trivial" else "main pages"
_next = iter(range(10**9))


class Reader(FastHttpUser):
    wait_time = constant(0)
    default_headers = {"User-Agent": USER_AGENT}  # the user agent the sessions were signed in from

    def on_start(self):
        index = next(_next) % len(SESSIONS)
        account = ACCOUNTS[index]
        area, audit = account["area_id"], account["audit_id"]
        if TARGET == "trivial":
            self.urls = cycle([f"/_bench/areas/{area}/trivial"])
        else:
            self.urls = cycle([f"/areas/{area}/", f"/areas/{area}/audits/{audit}/overview",
                               f"/areas/{area}/audits/{audit}/moderation", f"/areas/{area}/actions/",
                               *account.get("rollups", ())])
        for cookie in SESSIONS[index]:
            self.client.cookiejar.set_cookie(create_cookie(**cookie))

    @task
    def page(self):
        with self.client.get(next(self.urls), name=NAME, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
