// The job page: while the file is being made, fetch the page again every few seconds and put its status
// region (an aria-live region) in place of ours, until the job is done or has failed.
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
    if (fresh.dataset.jobStatus !== current.dataset.jobStatus || fresh.innerHTML !== current.innerHTML) {
      current.innerHTML = fresh.innerHTML;
      current.dataset.jobStatus = fresh.dataset.jobStatus;
    }
    if (fresh.dataset.jobRefresh) setTimeout(refresh, 2000);
  };
  setTimeout(refresh, 2000);
}
