/* smsim's shared page helpers: JSON calls to the page's own server, times, escaping. */
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

  /** Text safe to put into innerHTML. */
  function escape(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
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

  /** Fill every <time data-epoch> / <time datetime> below root with a human-readable time. */
  function humanizeTimes(root) {
    (root || document).querySelectorAll("time[data-epoch], time[datetime]").forEach(function (el) {
      const raw = el.dataset.epoch ? Number(el.dataset.epoch) : el.getAttribute("datetime");
      el.textContent = humanTime(raw);
      el.title = isoTime(raw);
    });
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

  document.addEventListener("DOMContentLoaded", function () { humanizeTimes(document); });
  return { api: api, escape: escape, humanTime: humanTime, isoTime: isoTime,
           humanizeTimes: humanizeTimes, flash: flash, copy: copy };
})();
