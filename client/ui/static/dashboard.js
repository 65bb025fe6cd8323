/* The client dashboard's shared helpers: provider lists, links into the inbox, CTR, code words.
   Elements, chips, times and field errors come from smsim.js (smsim.el, smsim.chip, ...). */
"use strict";
window.dash = (function () {
  const el = smsim.el;

  /** The simulator's inbox beside this client (smsim up), or "" when unknown. */
  const inbox = (document.querySelector("meta[name='smsim-inbox']") || { content: "" }).content;

  /** A message SID: a link to its page in the inbox when the inbox is known. */
  function sid(value, id) {
    if (!value) return el("span", { class: "muted", text: "–" });
    if (!inbox) return el("code", { id: id, text: value });
    return el("a", { id: id, class: "mono", href: inbox + "/messages/" + encodeURIComponent(value),
                     title: "Open this message in the simulator's inbox", text: value });
  }

  /** A handset's number: a link to its thread in the inbox when the inbox is known. */
  function number(value) {
    if (!value) return el("span", { class: "muted", text: "–" });
    if (!inbox) return el("span", { class: "mono", text: value });
    return el("a", { class: "mono", href: inbox + "/conversations/" + encodeURIComponent(value),
                     title: "This handset's thread in the simulator's inbox", text: value });
  }

  /** A campaign: a link to its Stats page ("–" for a test SMS, which has none). */
  function campaign(id, label) {
    if (id === null || id === undefined || id === 0) return el("span", { class: "muted", text: "–" });
    return el("a", { href: "/campaigns/" + id, text: label || "#" + id });
  }

  /** CTR the same way on every page: "–" until something is delivered, else a percent. */
  function ctr(value) {
    return value === null || value === undefined ? "–" : (100 * value).toFixed(1).replace(/\.0$/, "") + "%";
  }

  /** A code's words as the inbox shows them: CleverTap's description and Twilio's title. */
  function codeWords(d) {
    const parts = [];
    if (d.clevertap_description && d.clevertap_description === d.twilio_title) {
      return [el("div", {}, [el("span", { class: "label-tag", text: "CleverTap · Twilio" }), " " + d.twilio_title])];
    }
    if (d.clevertap_description) parts.push(el("div", {}, [el("span", { class: "label-tag", text: "CleverTap" }), " " + d.clevertap_description]));
    if (d.twilio_title) parts.push(el("div", {}, [el("span", { class: "label-tag", text: "Twilio" }), " " + d.twilio_title]));
    if (!parts.length) parts.push(el("div", { text: (d.description || "") + " (Twilio's message: not in the catalogue)" }));
    return parts;
  }

  /** Each cell carries its column's heading, shown beside it when a narrow screen turns
      the table's rows into cards (table.cards in dashboard.css). */
  function labelCells(table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.from(tr.children).forEach(function (td, i) {
        if (!td.hasAttribute("colspan") && heads[i]) td.setAttribute("data-label", heads[i]);
      });
    });
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

  return { providers: providers, fillProviderSelect: fillProviderSelect, inbox: inbox, sid: sid,
           number: number, campaign: campaign, ctr: ctr, codeWords: codeWords,
           labelCells: labelCells };
})();
