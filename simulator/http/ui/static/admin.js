/* Helpers shared by the inbox's admin pages: DOM building without innerHTML, field errors
   from the control API's messages ("field: what is wrong"), copy buttons. */
"use strict";
window.smsimAdmin = (function () {
  /** el("td", {className: "x", dataset: {id: 1}}, ["text", childNode]) — text is never parsed as HTML. */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(function ([key, value]) {
      if (value === undefined || value === null) return;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key in node && !key.startsWith("aria")) node[key] = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (box) { box.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  /** Put the API's message next to the field it names; ``fieldOf(path)`` maps the path
      before the colon to a field name. Unknown fields go to the form's general box. */
  function showError(form, error, fieldOf) {
    const message = error && error.message ? error.message : String(error);
    const match = /^([A-Za-z_][\w.\[\]]*): (.*)$/.exec(message);
    const field = match && fieldOf ? fieldOf(match[1]) : null;
    let box = field !== null ? form.querySelector('[data-error-for="' + CSS.escape(field) + '"]') : null;
    if (box) {
      box.textContent = match[2];
      const input = form.querySelector('[name="' + CSS.escape(field) + '"]');
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    } else {
      box = form.querySelector('[data-error-for=""]');
      if (box) box.textContent = message;
      else smsim.flash(message, true);
    }
  }

  /** A value typed into a number field: a number when it reads as one, else the text (so
      the API, not the page, says what is wrong with it); undefined when empty. */
  function numberOrText(raw) {
    const text = String(raw || "").trim();
    if (text === "") return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : text;
  }

  function copyButton(text, label) {
    return el("button", { type: "button", className: "secondary small", dataset: { copy: text },
                          "aria-label": label || "Copy " + text }, ["Copy"]);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (button) smsim.copy(button.dataset.copy);
  });

  return { el: el, clearErrors: clearErrors, showError: showError, numberOrText: numberOrText,
           copyButton: copyButton };
})();
