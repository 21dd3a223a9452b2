// The answer area of a quiz question: real form controls, operable with the keyboard alone.
//  kind "radio"    : <fieldset role="radiogroup"> of radio inputs sharing one name (arrow keys move)
//  kind "checkbox" : <fieldset> of checkboxes (Tab, Space)
//  kind "ordering" : an ordered list with "Move up"/"Move down" buttons; the move is announced
//  kind "matching" : one labelled <select> per item
// The value is always in option ids, never positions.

let counter = 0;

function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) node.appendChild(child);
  return node;
}

function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
}

function render({ model, el }) {
  const uid = `iso20k-${Date.now().toString(36)}-${++counter}`;
  // JupyterLab's notebook shortcuts (arrow keys move between cells) must not take the keys
  // a learner uses inside the form.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  el.classList.add("iso20k-answer");
  // The notebook also listens for arrow keys (to move between cells); keep them here, where
  // they move between a question's answers.  The browser's own handling is untouched.
  el.addEventListener("keydown", (event) => {
    if (event.key.startsWith("Arrow") || event.key === " " || event.key === "Enter") event.stopPropagation();
  });
  let focusAfterDraw = null;

  function save(value) {
    model.set("value", value);
    model.save_changes();
  }

  function draw() {
    const kind = model.get("kind");
    const options = model.get("options") || [];
    const texts = model.get("texts") || {};
    const value = model.get("value");
    const disabled = model.get("disabled");
    const legendId = `${uid}-legend`;
    const hintId = `${uid}-hint`;
    const fieldset = h("fieldset", {
      class: "iso20k-fieldset",
      role: kind === "radio" ? "radiogroup" : null,
      "aria-labelledby": legendId,
      "aria-describedby": hintId,
    });
    fieldset.appendChild(h("legend", { class: "iso20k-legend", id: legendId, text: model.get("legend") }));
    fieldset.appendChild(h("p", { class: "iso20k-hint", id: hintId, text: model.get("hint") }));

    if (kind === "radio" || kind === "checkbox") {
      const chosen = kind === "radio" ? [value] : (value || []);
      options.forEach((opt, i) => {
        const id = `${uid}-o${i}`;
        const input = h("input", {
          type: kind, id, name: uid, value: opt.id, "data-option-id": opt.id,
          checked: chosen.includes(opt.id), disabled,
        });
        input.addEventListener("change", () => {
          if (kind === "radio") {
            save(opt.id);
          } else {
            const ids = Array.from(fieldset.querySelectorAll("input:checked")).map((x) => x.value);
            save(ids);
          }
        });
        fieldset.appendChild(h("div", { class: "iso20k-option" }, [input, h("label", { for: id, text: opt.label })]));
      });
    } else if (kind === "ordering") {
      const byId = Object.fromEntries(options.map((o) => [o.id, o.label]));
      const order = value && value.length ? value : options.map((o) => o.id);
      const list = h("ol", { class: "iso20k-order" });
      order.forEach((optionId, i) => {
        const label = byId[optionId] || optionId;
        const textId = `${uid}-s${i}`;
        const row = h("li", { class: "iso20k-step", "data-option-id": optionId }, [
          h("span", { class: "iso20k-step-text", id: textId, text: label }),
        ]);
        for (const [dir, arrow, name] of [[-1, "▲", "move_up"], [1, "▼", "move_down"]]) {
          const atEnd = (dir < 0 && i === 0) || (dir > 0 && i === order.length - 1);
          const button = h("button", {
            type: "button", class: "iso20k-move", "data-dir": dir, "data-option-id": optionId,
            "aria-label": `${texts[name] || name}: ${label}`, title: texts[name] || name,
            disabled: atEnd || disabled, text: arrow,
          });
          button.addEventListener("click", () => {
            const target = i + dir;
            if (target < 0 || target >= order.length) return;
            const next = order.slice();
            [next[i], next[target]] = [next[target], next[i]];
            focusAfterDraw = { optionId, dir };
            announce(fill(texts.moved, { item: label, position: target + 1, total: order.length }));
            save(next);
          });
          row.appendChild(button);
        }
        list.appendChild(row);
      });
      fieldset.appendChild(list);
    } else if (kind === "matching") {
      const categories = model.get("categories") || [];
      const chosen = value || {};
      options.forEach((opt, i) => {
        const id = `${uid}-m${i}`;
        const select = h("select", { id, "data-option-id": opt.id, disabled });
        select.appendChild(h("option", { value: "", text: texts.choose || "—" }));
        for (const cat of categories) {
          select.appendChild(h("option", { value: cat.id, selected: chosen[opt.id] === cat.id, text: cat.label }));
        }
        select.addEventListener("change", () => {
          const next = {};
          fieldset.querySelectorAll("select").forEach((s) => { if (s.value) next[s.dataset.optionId] = s.value; });
          save(next);
        });
        fieldset.appendChild(h("div", { class: "iso20k-match" }, [h("label", { for: id, text: opt.label }), select]));
      });
    }
    const live = h("div", { class: "iso20k-sr-only", "aria-live": "polite", "aria-atomic": "true" });
    fieldset.appendChild(live);
    const old = el.querySelector(".iso20k-sr-only");
    el.replaceChildren(fieldset);
    if (old && old.textContent) live.textContent = old.textContent;
    if (focusAfterDraw) {
      const { optionId, dir } = focusAfterDraw;
      focusAfterDraw = null;
      const sel = (d) => el.querySelector(`button.iso20k-move[data-option-id="${CSS.escape(optionId)}"][data-dir="${d}"]`);
      const button = sel(dir) && !sel(dir).disabled ? sel(dir) : sel(-dir);
      if (button) button.focus();
    }
  }

  function announce(message) {
    const live = el.querySelector(".iso20k-sr-only");
    if (live) live.textContent = message;
  }

  function update() {
    // Keep keyboard focus where it is when only the checked state changes.
    const kind = model.get("kind");
    const value = model.get("value");
    if (kind === "radio" || kind === "checkbox") {
      const chosen = kind === "radio" ? [value] : (value || []);
      const inputs = el.querySelectorAll("input");
      if (inputs.length === (model.get("options") || []).length) {
        inputs.forEach((x) => { x.checked = chosen.includes(x.value); });
        return;
      }
    }
    if (kind === "matching") {
      const chosen = value || {};
      const selects = el.querySelectorAll("select");
      if (selects.length === (model.get("options") || []).length) {
        selects.forEach((s) => { s.value = chosen[s.dataset.optionId] || ""; });
        return;
      }
    }
    draw();
  }

  model.on("change:value", update);
  for (const name of ["kind", "options", "categories", "legend", "hint", "texts", "disabled"]) {
    model.on(`change:${name}`, draw);
  }
  draw();
}

export default { render };
