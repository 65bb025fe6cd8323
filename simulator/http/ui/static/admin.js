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

  /** Put the API's messages next to the fields they name: every entry of the envelope's
      ``errors`` list (``[{field, message}]``) when it has one, else the one message
      ("field: what is wrong"). ``fieldOf(path)`` maps an API path to a field name; what
      names no field of the form goes to the form's general box. The first bad field gets
      the focus. */
  function showError(form, error, fieldOf) {
    const message = error && error.message ? error.message : String(error);
    const listed = error && error.data && Array.isArray(error.data.errors) ? error.data.errors : null;
    const problems = listed ? listed.map(function (p) { return [p.field, p.message]; }) : [splitMessage(message)];
    const general = [];
    let first = null;
    problems.forEach(function ([path, text]) {
      const field = path && fieldOf ? fieldOf(path) : null;
      const box = field !== null ? form.querySelector('[data-error-for="' + CSS.escape(field) + '"]') : null;
      if (!box) { general.push(path ? path + ": " + text : text); return; }
      box.textContent = box.textContent ? box.textContent + "; " + text : text;
      const input = form.querySelector('[name="' + CSS.escape(field) + '"]');
      if (input) { input.setAttribute("aria-invalid", "true"); if (!first) first = input; }
    });
    if (general.length) {
      const box = form.querySelector('[data-error-for=""]');
      if (box) box.textContent = general.join("; ");
      else smsim.flash(general.join("; "), true);
    }
    if (first) first.focus();
  }

  /** "field: what is wrong" -> [field, what is wrong]; [null, message] when no field. */
  function splitMessage(message) {
    const match = /^([A-Za-z_][\w.\[\]]*): (.*)$/.exec(message);
    return match ? [match[1], match[2]] : [null, message];
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
