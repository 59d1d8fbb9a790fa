// Warns before the session ends and lets the user have more time (WCAG 2.2.1 Timing adjustable),
// as in the GOV.UK timeout warning pattern. Progressive enhancement: without this script the
// warning is never shown and the server still ends the session.
//
// The page's <dialog data-session-timeout> (templates/auth/_session_timeout.html) carries how many
// seconds the session had left when the page was sent (data-expires-in), how long before the end to
// warn (data-warning) and the URLs below; its texts are rendered, translated, by the template.
//
// * Shortly before the warning is due, GET data-status-url asks how long the session really has
//   left, without extending it: another tab or a background save may have extended it already.
// * The warning is a modal alertdialog; focus moves to it, and Tab reaches "Stay signed in" and
//   "Sign out" (a normal sign-out form). Escape counts as "Stay signed in".
// * "Stay signed in" POSTs to data-extend-url (CSRF token in the X-CSRFToken header); the answer's
//   expires_in starts the clock again and the warning closes, giving focus back.
// * When the time is up (the server confirms with a 401), the page goes to data-ended-url, which
//   shows the sign-in page with a message.

const REPEAT_MS = 500; // when the server still has a second or so left, ask again this soon

class SessionTimeout {
  constructor(dialog) {
    this.dialog = dialog;
    this.warning = Number(dialog.dataset.warning) * 1000;
    this.statusUrl = dialog.dataset.statusUrl;
    this.extendUrl = dialog.dataset.extendUrl;
    this.endedUrl = dialog.dataset.endedUrl;
    this.csrfToken = dialog.querySelector('input[name="csrf_token"]')?.value || "";
    this.timeSlot = dialog.querySelector("[data-session-timeout-time]");
    this.error = dialog.querySelector("[data-session-timeout-error]");
    this.stayButton = dialog.querySelector("[data-session-timeout-stay]");
    this.timer = null;
    this.deadline = 0;
    this.busy = false;
    this.returnFocus = null;
    const lang = document.documentElement.lang || "en";
    this.timeFormat = new Intl.DateTimeFormat(`${lang}-GB`, { hour: "numeric", minute: "2-digit", hour12: true });
  }

  start() {
    this.stayButton.addEventListener("click", () => this.stay());
    this.dialog.addEventListener("cancel", (event) => {
      event.preventDefault(); // Escape: stay signed in rather than leave a dead page behind
      this.stay();
    });
    // Timers are slowed down in background tabs: look again when the tab comes back.
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.check();
    });
    this.schedule(Number(this.dialog.dataset.expiresIn) * 1000);
  }

  // The session ends in ``remaining`` ms: warn now, or ask the server again when the warning is due.
  schedule(remaining) {
    clearTimeout(this.timer);
    this.deadline = Date.now() + remaining;
    if (remaining > this.warning) {
      this.hide();
      this.timer = setTimeout(() => this.check(), remaining - this.warning);
    } else {
      this.show();
      this.timer = setTimeout(() => this.check(), Math.max(remaining, REPEAT_MS));
    }
  }

  async check() {
    let response;
    try {
      response = await fetch(this.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    } catch {
      response = null; // offline: go by the clock of this page
    }
    if (response && response.status === 401) return this.end();
    if (response && response.ok) {
      const { expires_in: expiresIn } = await response.json();
      return this.schedule(expiresIn * 1000);
    }
    const left = this.deadline - Date.now();
    if (left <= 0) return this.end();
    return this.schedule(left);
  }

  async stay() {
    if (this.busy) return;
    this.busy = true;
    this.error.hidden = true;
    try {
      const response = await fetch(this.extendUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": this.csrfToken },
        credentials: "same-origin",
      });
      if (response.status === 401) return this.end();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { expires_in: expiresIn } = await response.json();
      this.schedule(expiresIn * 1000);
    } catch {
      this.error.hidden = false; // role="alert": read out; the warning stays open
    } finally {
      this.busy = false;
    }
  }

  show() {
    // GOV.UK style: "4:46pm"
    this.timeSlot.textContent = this.timeFormat.format(new Date(this.deadline)).replace(/\s(?=\S+$)/, "");
    if (this.dialog.open) return;
    this.returnFocus = document.activeElement;
    this.error.hidden = true;
    this.dialog.showModal();
    this.dialog.focus(); // the dialog itself, so that its title and text are read first
  }

  hide() {
    if (!this.dialog.open) return;
    this.dialog.close();
    if (this.returnFocus && this.returnFocus.isConnected && this.returnFocus !== document.body) {
      this.returnFocus.focus();
    }
    this.returnFocus = null;
  }

  end() {
    clearTimeout(this.timer);
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${this.endedUrl}?next=${encodeURIComponent(next)}`);
  }
}

const dialog = document.querySelector("[data-session-timeout]");
if (dialog && typeof dialog.showModal === "function") {
  new SessionTimeout(dialog).start();
}
