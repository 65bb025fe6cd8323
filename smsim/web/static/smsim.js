/* smsim's page helpers, one copy for every page of both UIs (the simulator's inbox and the
   client's dashboard load this file before their own scripts, from smsim_base.html):
   JSON calls to the page's own server, building elements, chips, times, field errors,
   messages.

   el(tag, attrs, ...children) builds an element without ever parsing HTML:
     attrs (one convention for every page):
       class     -> the class attribute            text   -> the text content
       on<event> -> a function added as a listener (onclick: fn -> "click")
       value     -> the control's value property, set after the children (so a <select>
                    can pick one of its options)
       anything else -> the attribute of that name, as in HTML: id, href, for, tabindex,
                    data-*, aria-*, role ... (true -> present and empty)
       null, undefined and false leave the attribute out.
     children: nodes are appended; strings and numbers become text nodes (never HTML);
       arrays are flattened; null, undefined and false are skipped.
   Anything from user data therefore lands in the page as text. */
"use strict";
window.smsim = (function () {
  /** Call a JSON route of this server; throws Error(message) on a non-2xx answer. */
  async function api(method, url, body) {
    const init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
    if (!response.ok) {
      const error = new Error((data && (data.message || data.error)) || response.statusText);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  /** "12:03:04" today, "Nov 28 12:03" otherwise; epoch seconds or ISO text in. */
  function humanTime(value) {
    if (value === null || value === undefined || value === "") return "";
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    if (isNaN(date.getTime())) return String(value);
    const now = new Date();
    const sameDay = date.toDateString() === now.toDateString();
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    if (sameDay) return time;
    return date.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + time;
  }

  function isoTime(value) {
    if (value === null || value === undefined || value === "") return "";
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return isNaN(date.getTime()) ? String(value) : date.toISOString();
  }

  /** An element built by the convention at the top of this file. */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    let value;
    Object.entries(attrs || {}).forEach(function ([key, v]) {
      if (v === null || v === undefined || v === false) return;
      if (key === "text") node.textContent = String(v);
      else if (key === "value") value = v;
      else if (key.startsWith("on") && typeof v === "function") node.addEventListener(key.slice(2), v);
      else node.setAttribute(key, v === true ? "" : String(v));
    });
    append(node, Array.prototype.slice.call(arguments, 2));
    if (value !== undefined) node.value = String(value);
    return node;
  }

  function append(node, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) append(node, child);
      else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
  }

  /** A status chip: its text, styled by ``kind`` (the text itself when not given). */
  function chip(text, kind) {
    return el("span", { class: "chip " + (kind || text), text: text });
  }

  /** A <time>: local and human-readable, the full ISO time on hover; "–" when there is no
      time. Epoch seconds or ISO text in (ISO text is shown on hover as the server wrote it). */
  function time(value) {
    if (value === null || value === undefined || value === "") return el("span", { class: "muted", text: "–" });
    const iso = typeof value === "number" ? isoTime(value) : String(value);
    return el("time", { datetime: iso, title: iso, text: humanTime(value) });
  }

  /** Empty every error box of the form and unmark its fields. */
  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (box) { box.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  /** Put an API's complaints next to the fields they name. A field's box is the form's
      [data-error-for="<field name>"]; [data-error-for=""] is the form's general box.
      The complaints are read from whichever the answer has: a ``fields`` object
      ({field: message}, the client's settings), an ``errors`` list ([{field, message}],
      the control API's envelope), else the one message ("field: what is wrong" names a
      field). ``fieldOf(path)`` maps the API's name for a field to the form's (the same
      name when not given; null for none). What no box of the form takes goes to the
      general box, or to the flash when the form has none; when every complaint found its
      field, the general box shows its data-summary, if any. The first bad field gets the
      focus. */
  function showErrors(form, error, fieldOf) {
    clearErrors(form);
    const message = error && error.message ? error.message : String(error);
    const data = (error && error.data) || {};
    const fields = data.fields && typeof data.fields === "object" ? Object.entries(data.fields) : [];
    const listed = Array.isArray(data.errors) ? data.errors.map(function (p) { return [p.field, p.message]; }) : [];
    const problems = fields.length ? fields : listed.length ? listed : [splitMessage(message)];
    const toField = fieldOf || function (path) { return path; };
    const general = [];
    let first = null;
    problems.forEach(function ([path, text]) {
      const field = path ? toField(path) : null;
      const box = field !== null ? form.querySelector('[data-error-for="' + CSS.escape(field) + '"]') : null;
      if (!box) { general.push(path ? path + ": " + text : text); return; }
      box.textContent = box.textContent ? box.textContent + "; " + text : text;
      const input = form.querySelector('[name="' + CSS.escape(field) + '"]');
      if (input) {
        input.setAttribute("aria-invalid", "true");
        if (box.id) input.setAttribute("aria-describedby", box.id);
        if (!first) first = input;
      }
    });
    const box = form.querySelector('[data-error-for=""]');
    if (general.length) {
      if (box) box.textContent = general.join("; ");
      else flash(general.join("; "), true);
    } else if (box && box.dataset.summary) {
      box.textContent = box.dataset.summary;
    }
    if (first) first.focus();
  }

  /** "field: what is wrong" -> [field, what is wrong]; [null, message] when no field. */
  function splitMessage(message) {
    const match = /^([A-Za-z_][\w.\[\]]*): (.*)$/.exec(message);
    return match ? [match[1], match[2]] : [null, message];
  }

  function flash(message, isError) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.className = "flash" + (isError ? " error" : "");
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { box.hidden = true; }, isError ? 8000 : 3000);
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      flash("Copied");
    } catch (e) {
      window.prompt("Copy this:", text);
    }
  }

  return { api: api, el: el, chip: chip, time: time, humanTime: humanTime, isoTime: isoTime,
           clearErrors: clearErrors, showErrors: showErrors, flash: flash, copy: copy };
})();
