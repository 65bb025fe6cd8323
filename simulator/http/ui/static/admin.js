/* Helpers shared by the inbox's admin pages: numbers typed into forms, copy buttons.
   Elements and field errors come from smsim.js (smsim.el, smsim.showErrors). */
"use strict";
window.smsimAdmin = (function () {
  /** A value typed into a number field: a number when it reads as one, else the text (so
      the API, not the page, says what is wrong with it); undefined when empty. */
  function numberOrText(raw) {
    const text = String(raw || "").trim();
    if (text === "") return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : text;
  }

  function copyButton(text, label) {
    return smsim.el("button", { type: "button", class: "secondary small", "data-copy": text,
                                "aria-label": label || "Copy " + text }, "Copy");
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (button) smsim.copy(button.dataset.copy);
  });

  return { numberOrText: numberOrText, copyButton: copyButton };
})();
