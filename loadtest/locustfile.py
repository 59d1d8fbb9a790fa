"""50 board managers (by default) browsing hsbtrack and calling its API: ``make load``.

Each simulated user signs in through the login form (with its CSRF token) and the two-factor code
step (loadtest/signin.py) as a *different* board manager, so sign-in throttling (which counts failed
attempts) is never involved, then browses its
area's dashboard, audit overview, agreed-scores matrix, statement pages, action plan, the radar
(revalidated with its ETag) and calls ``/api/v1`` with its own bearer token. Any status other than
the expected one is a failure, and ``make load`` requires none.
"""

import json
import os
import random

from locust import HttpUser, between, task
from signin import sign_in  # loadtest/signin.py (locust puts the locustfile's folder on the path)

with open(os.environ.get("HSBTRACK_LOAD_ACCOUNTS", "loadtest-accounts.json")) as _file:
    _PREPARED = json.load(_file)
ACCOUNTS = _PREPARED["accounts"]
CODES = _PREPARED["codes"]  # the framework's scored statements
_next = iter(range(10**9))


class BoardManager(HttpUser):
    wait_time = between(2, 6)  # a busy user: a page every four seconds on average

    def on_start(self):
        account = ACCOUNTS[next(_next) % len(ACCOUNTS)]
        self.area, self.audit = account["area_id"], account["audit_id"]
        self.api = {"Authorization": f"Bearer {account['token']}", "Accept": "application/json"}
        self.etag = None
        problem = sign_in(self.client, account, named=True)
        if problem:
            self.environment.events.request.fire(request_type="POST", name="/login [POST]", response_time=0,
                                                 response_length=0, response=None, context={},
                                                 exception=RuntimeError(problem))

    def page(self, url, name):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/login" in response.url:
                response.failure("signed out")

    @task(4)
    def dashboard(self):
        self.page(f"/areas/{self.area}/", "/areas/[id]/ (dashboard)")

    @task(2)
    def overview(self):
        self.page(f"/areas/{self.area}/audits/{self.audit}/overview", "/areas/[id]/audits/[id]/overview")

    @task(2)
    def matrix(self):
        self.page(f"/areas/{self.area}/audits/{self.audit}/moderation", "/areas/[id]/audits/[id]/moderation")

    @task(2)
    def statement(self):
        code = random.choice(CODES)
        self.page(f"/areas/{self.area}/audits/{self.audit}/statements/{code}",
                  "/areas/[id]/audits/[id]/statements/[code]")

    @task(1)
    def statement_across_cycles(self):
        self.page(f"/areas/{self.area}/statements/{random.choice(CODES)}", "/areas/[id]/statements/[code]")

    @task(2)
    def plan(self):
        self.page(f"/areas/{self.area}/actions/", "/areas/[id]/actions/ (plan)")

    @task(1)
    def radar(self):
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(f"/areas/{self.area}/audits/{self.audit}/charts/domains.svg", headers=headers,
                             name="/areas/[id]/audits/[id]/charts/domains.svg", catch_response=True) as response:
            if response.status_code not in (200, 304):
                response.failure(f"HTTP {response.status_code}")
            self.etag = response.headers.get("ETag", self.etag)

    def call(self, url, name):
        with self.client.get(url, headers=self.api, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            else:
                try:
                    response.json()
                except ValueError:
                    response.failure("not JSON")

    @task(2)
    def api_areas(self):
        self.call("/api/v1/areas", "/api/v1/areas")

    @task(2)
    def api_scores(self):
        self.call(f"/api/v1/audits/{self.audit}/scores", "/api/v1/audits/[id]/scores")

    @task(2)
    def api_actions(self):
        self.call(f"/api/v1/areas/{self.area}/actions", "/api/v1/areas/[id]/actions")
