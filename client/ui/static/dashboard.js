/* The client dashboard's shared helpers: DOM building, field errors, provider lists. */
"use strict";
window.dash = (function () {
  /** An element with attributes and children; strings become text nodes (never HTML). */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  /** A <time> showing a human-readable time, with the full ISO time on hover. */
  function time(epoch) {
    if (epoch === null || epoch === undefined) return el("span", { class: "muted", text: "–" });
    return el("time", { datetime: smsim.isoTime(epoch), title: smsim.isoTime(epoch),
                        text: smsim.humanTime(epoch) });
  }

  function chip(status) {
    return el("span", { class: "chip " + status, text: status });
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (box) { box.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
  }

  /** Show the API's field-by-field errors next to each field; the rest in #form-error. */
  function showErrors(form, error) {
    clearErrors(form);
    const fields = (error.data && error.data.fields) || {};
    const general = form.querySelector("#form-error");
    let first = null;
    let unplaced = [];
    Object.entries(fields).forEach(function ([field, message]) {
      const box = form.querySelector("#err-" + CSS.escape(field));
      const input = form.querySelector("[name='" + CSS.escape(field) + "']");
      if (box) {
        box.textContent = message;
        if (input) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", box.id);
          first = first || input;
        }
      } else {
        unplaced.push(field + ": " + message);
      }
    });
    if (general) {
      general.textContent = unplaced.length ? unplaced.join("; ")
        : (Object.keys(fields).length ? "Please fix the fields marked above." : error.message);
    }
    if (first) first.focus();
  }

  async function providers() {
    return (await smsim.api("GET", "/api/providers")).providers;
  }

  /** Fill a <select> with the providers, the default one selected. */
  async function fillProviderSelect(select, chosen) {
    const list = await providers();
    select.replaceChildren();
    list.forEach(function (p) {
      const option = el("option", { value: p.id, text: p.nickname + (p.is_default ? " (default)" : "") });
      if (chosen ? String(chosen) === String(p.id) : p.is_default) option.selected = true;
      select.appendChild(option);
    });
    if (!list.length) select.appendChild(el("option", { value: "", text: "no provider yet: add one first" }));
    return list;
  }

  return { el: el, time: time, chip: chip, clearErrors: clearErrors, showErrors: showErrors,
           providers: providers, fillProviderSelect: fillProviderSelect };
})();
