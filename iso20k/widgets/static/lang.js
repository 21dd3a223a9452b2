// An invisible mark inside a widget's outer box: it sets the box's HTML lang attribute (ipywidgets
// cannot), so the browser picks the right glyphs for the text of every control in the box.

const SCOPE = ".iso20k-lang-scope";

function render({ model, el }) {
  el.style.display = "none";
  el.classList.add("iso20k-lang-mark");
  let tries = 0;
  const apply = () => {
    const box = el.closest(SCOPE);
    if (box) {
      box.setAttribute("lang", model.get("lang"));
    } else if (tries++ < 600) {
      requestAnimationFrame(apply); // not in its box yet: the box adds its children after rendering them
    }
  };
  model.on("change:lang", () => { tries = 0; apply(); });
  apply();
}

export default { render };
