// The console works without script; this only adds "select every case on this page" to the approval queue
// (a case maker-checker keeps the user from approving stays unselected).
document.addEventListener("DOMContentLoaded", () => {
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    const boxes = () => document.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`);
    all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked && !box.disabled; }));
  }
});
