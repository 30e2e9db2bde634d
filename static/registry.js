// Small behaviours of our own: the Link to Registry dialog, copying a new API key, the banner for failed requests.
document.addEventListener("closeModal", () => {
  document.querySelectorAll(".modal-backdrop").forEach((el) => el.remove());
});
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-modal]");
  if (closer) {
    event.preventDefault();
    closer.closest(".modal-backdrop")?.remove();
  }
  const copier = event.target.closest("[data-copy]");
  if (copier) {
    const text = document.getElementById(copier.dataset.copy).textContent.trim();
    navigator.clipboard?.writeText(text).then(() => { copier.textContent = "Copied"; });
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll(".modal-backdrop").forEach((el) => el.remove());
});

// A failed HTMX request would otherwise change nothing on the page: say so in the banner at the top.
const PROBLEMS = { 403: "You no longer have permission to do this.", 404: "Not found: it may have been removed." };

function problemText(xhr) {
  if (!xhr || !xhr.status) return "Could not reach the server. Check your connection and try again.";
  if (xhr.status >= 500) return `Server error (${xhr.status}). Try again in a moment.`;
  // Our 403 and 404 pages mark the sentence that says why; a plain-text answer is short enough to show as is.
  const type = xhr.getResponseHeader("Content-Type") || "";
  let detail = "";
  if (type.startsWith("text/html")) {
    const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    detail = doc.querySelector("[data-problem-detail]")?.textContent.trim() || "";
  } else if (type.startsWith("text/plain") && xhr.responseText.length <= 200) {
    detail = xhr.responseText.trim();
  }
  const general = PROBLEMS[xhr.status] || `The request failed (${xhr.status}).`;
  return detail && detail !== general ? `${general} ${detail}` : general;
}

function showProblem(text) {
  const banner = document.getElementById("problem");
  if (!banner) return;
  banner.querySelector("[data-problem-text]").textContent = text;
  banner.hidden = false;
}

document.addEventListener("htmx:responseError", (event) => showProblem(problemText(event.detail.xhr)));
document.addEventListener("htmx:sendError", () => showProblem(problemText(null)));
document.addEventListener("htmx:beforeRequest", () => { document.getElementById("problem")?.setAttribute("hidden", ""); });
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-close-problem]")) document.getElementById("problem").hidden = true;
});

// One dialog at a time: a second click (or a double click) on a button that opens one does nothing while it is open.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt.matches("[data-opens-modal]") && document.querySelector(".modal-backdrop")) event.preventDefault();
});
