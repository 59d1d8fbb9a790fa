// Saves a scoring page as it is filled in (progressive enhancement: without this script the
// page's Save buttons post the whole domain).
//
// Every element with data-autosave="response" (one statement) or data-autosave="domain" (the domain's
// comments and date) is a unit: a change inside it sends the unit's fields as JSON to its
// data-autosave-url — the JSON API's PUT for that record (/api/v1, signed in by the page's session
// and its CSRF token) — with the unit's version (optimistic locking), then shows "Saved" or
// "Not saved – why" in its status line (an aria-live region) and updates the progress counts.
// Saves of one unit never overlap: a change made while a save is under way is sent after it,
// with the version that save returned. The domain's date is typed in the GOV.UK day, month and year
// boxes (three inputs named date_completed) and sent as one ISO date, as the API takes it; a date
// not finished yet is not sent, and one that is not a real date is not sent either (the page says so).

const TEXT_DELAY_MS = 800;
const CHOICE_DELAY_MS = 250;

function start(form) {
  const csrfToken =
    document.querySelector('meta[name="csrf-token"]')?.content ||
    form.querySelector('input[name="csrf_token"]')?.value ||
    "";
  const messages = new Messages(form.dataset);
  // data-autosave-pending on the form: how many units have a save waiting or under way (0 = all saved).
  const report = () => {
    form.dataset.autosavePending = String(units.filter((u) => u.busy).length);
  };
  const units = [...form.querySelectorAll("[data-autosave]")].map(
    (element) => new Unit(element, csrfToken, messages, report),
  );
  let submitting = false;
  report();

  form.addEventListener("change", (event) => {
    const unit = units.find((u) => u.element.contains(event.target));
    if (!unit) return;
    unit.schedule(event.target.type === "radio" ? CHOICE_DELAY_MS : 0);
  });
  form.addEventListener("input", (event) => {
    if (event.target.type === "radio") return;
    const unit = units.find((u) => u.element.contains(event.target));
    if (unit) unit.schedule(TEXT_DELAY_MS);
  });

  // Let saves under way finish before the form posts, so the versions it sends are current.
  form.addEventListener("submit", async (event) => {
    if (submitting) return;
    const busy = units.filter((u) => u.busy);
    if (!busy.length) {
      submitting = true;
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    await Promise.all(busy.map((u) => u.flush()));
    submitting = true;
    // In a new task: while the form is still firing this submit event (when the saves finished at
    // once, e.g. a date not finished that is not sent) the browser ignores requestSubmit.
    setTimeout(() => {
      if (submitter) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    }, 0);
  });

  window.addEventListener("beforeunload", (event) => {
    if (submitting) return;
    if (units.some((u) => u.busy || u.unsaved)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}

class Unit {
  constructor(element, csrfToken, messages, report) {
    this.element = element;
    this.messages = messages;
    this.report = report;
    this.kind = element.dataset.autosave;
    this.url = element.dataset.autosaveUrl;
    this.csrfToken = csrfToken;
    this.status = element.querySelector("[data-save-status]");
    this.version = element.querySelector("input[data-version]");
    this.timer = null;
    this.inflight = null;
    this.dirty = false; // changed since the last save was sent
    this.unsaved = false; // the last save failed
  }

  get busy() {
    return this.timer !== null || this.inflight !== null || this.dirty;
  }

  schedule(delay) {
    this.dirty = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delay);
    this.report();
  }

  async flush() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.inflight) {
      await this.inflight;
    }
    if (!this.dirty) {
      this.report(); // (a flush that found nothing left to send still says so: the count stays true)
      return;
    }
    this.dirty = false;
    this.inflight = this.send();
    try {
      await this.inflight;
    } finally {
      this.inflight = null;
    }
    if (this.dirty && this.timer === null) {
      await this.flush();
    }
    this.report();
  }

  // The date of the day, month and year boxes: "" when blank, "YYYY-MM-DD", undefined while not
  // finished (some boxes empty, a short year), null when it is not a real date (31 2 2026).
  dateValue() {
    const boxes = [...this.element.querySelectorAll('[name="date_completed"]')].map((e) => e.value.trim());
    if (boxes.length !== 3) return boxes[0] ?? "";
    const [day, month, year] = boxes;
    if (!day && !month && !year) return "";
    if (!day || !month || year.length < 4) return undefined;
    if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return null;
    const when = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (when.getUTCDate() !== Number(day) || when.getUTCMonth() !== Number(month) - 1) return null;
    return `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`;
  }

  payload() {
    const field = (name) => this.element.querySelector(`[name="${name}"]`);
    if (this.kind === "domain") {
      return {
        comments: field("comments")?.value ?? "",
        date_completed: this.dateValue(),
        version: Number(this.version?.value || 0),
      };
    }
    const code = this.element.dataset.code;
    const checked = this.element.querySelector(`input[type="radio"][name="score-${code}"]:checked`);
    return {
      score: checked ? Number(checked.value) : null,
      evidence: field(`evidence-${code}`)?.value ?? "",
      assurance: field(`assurance-${code}`)?.value ?? "",
      version: Number(this.version?.value || 0),
    };
  }

  show(text, failed) {
    if (!this.status) return;
    this.status.textContent = text;
    this.status.classList.toggle("hsb-save-status--error", Boolean(failed));
    this.status.classList.toggle("hsb-save-status--saved", !failed && text !== "");
  }

  async send() {
    const m = this.messages;
    const body = this.payload();
    if (this.kind === "domain" && (body.date_completed === undefined || body.date_completed === null)) {
      this.unsaved = true; // the Save buttons post it, and the page shows any error next to the date
      this.show(body.date_completed === null ? m.notSaved(m.text("badDate")) : "", body.date_completed === null);
      return;
    }
    this.show(m.text("saving"), false);
    let response;
    try {
      response = await fetch(this.url, {
        method: "PUT",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": this.csrfToken,
        },
        body: JSON.stringify(body),
      });
    } catch {
      this.unsaved = true;
      this.show(m.notSaved(m.text("offline")), true);
      return;
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok && data && !data.error) {
      this.unsaved = false;
      if (this.version && data.version !== undefined && data.version !== null) {
        this.version.value = String(data.version);
      }
      this.show(m.saved(data.updated_at), false);
      if (data.progress) updateProgress(data.progress);
      return;
    }
    this.unsaved = true;
    const message = data?.error?.message;
    if (response.status === 409) {
      this.show(m.notSaved(message || m.text("conflict")), true);
    } else if (response.status === 422) {
      const fields = data?.error?.fields ? Object.values(data.error.fields) : [];
      this.show(m.notSaved(fields[0] || message || m.text("invalid")), true);
    } else if (response.status === 401 || !data) {
      this.show(m.notSaved(m.text("signedOut")), true);
    } else {
      this.show(m.notSaved(message || m.text("server").replace("{status}", String(response.status))), true);
    }
  }
}

// Interface text comes from the page (data-msg-* on the form), so it is translated with the rest.
class Messages {
  constructor(dataset) {
    this.dataset = dataset;
  }

  text(name) {
    const key = `msg${name[0].toUpperCase()}${name.slice(1)}`;
    return this.dataset[key] || name;
  }

  notSaved(reason) {
    return this.text("notSaved").replace("{reason}", reason);
  }

  saved(savedAt) {
    const when = savedAt ? new Date(savedAt) : null;
    if (!when || Number.isNaN(when.getTime())) return this.text("saved");
    const time = when.toLocaleTimeString(undefined, {
      hour: "2-digit",
      minute: "2-digit",
    });
    return this.text("savedAt").replace("{time}", time);
  }
}

function updateProgress(progress) {
  document.querySelectorAll("[data-progress-scored]").forEach((el) => {
    el.textContent = String(progress.scored);
  });
  document.querySelectorAll("[data-progress-bar]").forEach((el) => {
    el.value = progress.scored;
    el.max = progress.total;
  });
  for (const [number, counts] of Object.entries(progress.domains || {})) {
    document.querySelectorAll(`[data-domain-scored="${number}"]`).forEach((el) => {
      el.textContent = String(counts.scored);
    });
  }
}

// Last, once the classes above are defined.
const scoringForm = document.querySelector("form[data-autosave-form]");
if (scoringForm) {
  start(scoringForm);
}
