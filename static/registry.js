// Small behaviours of our own: closing the Link to Registry dialog and copying a new API key.
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
