// A live region: its text is announced by screen readers whenever it changes.  The element
// stays in the page; only its content changes (a freshly inserted live region is not announced).
// Links marked data-iso20k-section scroll to that heading of the same notebook.

function findHeading(el, anchor) {
  const scope = el.closest(".jp-Notebook") || el.closest("body") || document;
  const sel = `[id="${CSS.escape(anchor)}"], [data-jupyter-id="${CSS.escape(anchor)}"]`;
  return scope.querySelector(sel) || document.querySelector(sel);
}

function render({ model, el }) {
  el.classList.add("iso20k-live");
  const region = document.createElement("div");
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  el.appendChild(region);
  const show = () => { region.innerHTML = model.get("value") || ""; };
  region.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-iso20k-section]");
    if (!link) return;
    const heading = findHeading(el, link.getAttribute("data-iso20k-section"));
    if (!heading) return; // fall back to the browser's own #anchor navigation
    event.preventDefault();
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  });
  model.on("change:value", show);
  show();
}

export default { render };
