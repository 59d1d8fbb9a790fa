// The job page: while the file is being made, fetch the page again every few seconds and bring ours up to
// date without reloading it, until the job is done or has failed. The status sentence (#job-status-text,
// role="status") is a live region: its text is changed in place, so screen readers announce "Being made:
// 40% done", then "Ready"; what follows it (the progress bar, the download link, "Run it again") is
// replaced as a whole.
const region = document.querySelector("[data-job-refresh]");
if (region) {
  const url = region.dataset.jobRefresh;
  const refresh = async () => {
    let html;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return setTimeout(refresh, 10000);
      html = await response.text();
    } catch {
      return setTimeout(refresh, 10000);
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#job-status");
    const current = document.querySelector("#job-status");
    if (!fresh || !current) return;
    const pairs = [["#job-status-text", "textContent"], ["#job-status-detail", "innerHTML"]];
    for (const [selector, property] of pairs) {
      const from = fresh.querySelector(selector);
      const to = current.querySelector(selector);
      if (from && to && from[property] !== to[property]) to[property] = from[property];
    }
    current.dataset.jobStatus = fresh.dataset.jobStatus;
    if (fresh.dataset.jobRefresh) setTimeout(refresh, 2000);
    else delete current.dataset.jobRefresh;
  };
  setTimeout(refresh, 2000);
}
