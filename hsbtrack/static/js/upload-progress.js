// Shows the progress of a document's upload on the scoring page (progressive enhancement: without this
// script the statement's upload form simply posts, and the browser shows nothing until it is done).
//
// Each statement's upload form (form[id^="documents-form-"]; its fields sit with the statement and
// belong to it through their form="…" attribute) is sent with XMLHttpRequest when a file is chosen: the
// same URL and body (FormData, CSRF token included), with "X-Requested-With: XMLHttpRequest" so that
// the server answers {"location": url} instead of a redirect — the page to load next: the statement
// with its new document, or with the errors of a refused file at their fields and in the error
// summary. (A redirect followed by the request itself would load that page out of sight, using up the
// errors kept for it.) Meanwhile the Upload button is disabled and a <progress> bar and a text
// "Uploading 12.3 MB of 48.0 MB (26%)" (an aria-live region) show how far it is. On a network error
// the text says so and the button is enabled again. A file over the document size limit is not sent.
// The other buttons of the form (a carried-over document's "Still current", "Replace"…) post as usual.
//
// Interface text comes from the page (data-msg-* on the form), so it is translated with the rest.

const ANNOUNCE_EVERY_MS = 1000; // the text (read out by screen readers) changes at most this often

function start(form) {
  const upload = document.getElementById(form.id.replace(/^documents-form-/, "documents-") + "-upload");
  const box = document.getElementById(form.id.replace(/^documents-form-/, "documents-") + "-progress");
  if (!upload || !box) return;
  const bar = box.querySelector("[data-upload-bar]");
  const status = box.querySelector("[data-upload-status]");
  const messages = new Messages(form.dataset);
  let sending = false;

  form.addEventListener("submit", (event) => {
    if (sending) {
      event.preventDefault();
      return;
    }
    // only the Upload button's submission (the others carry a formaction of their own)
    if (event.submitter && event.submitter !== upload) return;
    const input = [...form.elements].find((el) => el.type === "file" && el.name === "file");
    const file = input?.files?.[0];
    if (!file || typeof FormData === "undefined") return; // no file: the server says so, as without scripts
    event.preventDefault();
    const limit = Number(form.dataset.maxBytes || 0);
    if (limit && file.size > limit) {
      bar.hidden = true;
      status.textContent = messages.text("tooBig");
      return;
    }
    send(file.size);
  });

  function send(total) {
    sending = true;
    upload.disabled = true;
    upload.setAttribute("aria-disabled", "true");
    bar.hidden = false;
    bar.max = 100;
    bar.value = 0;
    let announced = 0;
    const show = (sent, force) => {
      const percent = total ? Math.min(100, Math.floor((sent / total) * 100)) : 100;
      bar.value = percent;
      const now = Date.now();
      if (!force && now - announced < ANNOUNCE_EVERY_MS) return;
      announced = now;
      status.textContent = messages.progress(sent, total, percent);
    };
    show(0, true);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      show(event.loaded, event.loaded >= (event.lengthComputable ? event.total : total));
    });
    xhr.addEventListener("load", () => {
      const location = xhr.status === 200 ? readLocation(xhr.responseText) : null;
      if (!location) {
        fail(messages.text("server").replace("{status}", String(xhr.status)));
        return;
      }
      bar.value = 100;
      status.textContent = messages.text("done");
      go(location);
    });
    xhr.addEventListener("error", () => fail(messages.text("failed")));
    xhr.addEventListener("abort", () => fail(messages.text("failed")));
    xhr.send(new FormData(form));
  }

  function fail(message) {
    sending = false;
    upload.disabled = false;
    upload.removeAttribute("aria-disabled");
    bar.hidden = true;
    status.textContent = message;
  }
}

function readLocation(text) {
  try {
    const location = JSON.parse(text).location;
    return typeof location === "string" ? new URL(location, window.location.href) : null;
  } catch {
    return null;
  }
}

// Load the page the server named. The same page with another #fragment would only scroll: reload it,
// and let the browser go to the fragment rather than back to where the reader was.
function go(target) {
  const here = new URL(window.location.href);
  if (target.origin === here.origin && target.pathname === here.pathname && target.search === here.search) {
    window.history.scrollRestoration = "manual";
    window.history.replaceState(window.history.state, "", target.href);
    window.location.reload();
  } else {
    window.location.assign(target.href);
  }
}

class Messages {
  constructor(dataset) {
    this.dataset = dataset;
    this.language = document.documentElement.lang || undefined;
  }

  text(name) {
    const key = `msg${name[0].toUpperCase()}${name.slice(1)}`;
    return this.dataset[key] || name;
  }

  size(bytes) {
    const megabytes = (bytes / (1024 * 1024)).toLocaleString(this.language, {
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
    });
    return this.text("megabytes").replace("{n}", megabytes);
  }

  progress(sent, total, percent) {
    return this.text("progress")
      .replace("{sent}", this.size(sent))
      .replace("{total}", this.size(total))
      .replace("{percent}", `${percent}%`);
  }
}

// Last, once the class above is defined.
for (const form of document.querySelectorAll('form[id^="documents-form-"]')) {
  start(form);
}
