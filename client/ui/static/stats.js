/* A campaign's or a provider's Stats tab, live: polls the JSON API every second while
   messages are being sent or await a final status, every 5 s otherwise. */
"use strict";
(function () {
  const el = smsim.el;
  const page = document.getElementById("stats-page");
  const scope = page.dataset.scope;
  const id = page.dataset.id;
  const base = scope === "campaign" ? "/api/campaigns/" + id : "/api/providers/" + id;
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = { "Notification Sent": "#0969da", "Notification Delivered": "#1a7f37",
                   "Notification Failed": "#c62828", "Notification Clicked": "#8250df",
                   "Notification Replied": "#9a6700" };
  let recipientsShown = 100;
  let timer = null;

  function setText(elementId, value) {
    document.getElementById(elementId).textContent = value;
  }

  function showTiles(stats) {
    setText("s-sent", stats.sent);
    setText("s-delivered", stats.delivered);
    setText("s-failed", stats.failed);
    setText("s-pending", stats.pending);
    setText("s-clicked", stats.clicked === null ? "–" : stats.clicked);
    setText("s-ctr", dash.ctr(stats.ctr));
    setText("s-replied", stats.replied);
  }

  function showErrors(stats) {
    const tbody = document.querySelector("#errors tbody");
    tbody.replaceChildren();
    if (!stats.error_details.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: 3, class: "muted", text: "No errors" })]));
    }
    stats.error_details.forEach(function (d) {
      const code = scope === "campaign"
        ? el("button", { type: "button", class: "link", text: d.code, title: "Show these recipients",
                         onclick: function () { filterByCode(d.code); } })
        : el("span", { text: d.code });
      tbody.appendChild(el("tr", { "data-code": d.code }, [
        el("td", { class: "mono" }, [code]),
        el("td", { class: "code-words" }, dash.codeWords(d)),
        el("td", { text: d.count }),
      ]));
    });
    if (stats.failed_without_code) {
      tbody.appendChild(el("tr", { "data-code": "" }, [
        el("td", { class: "mono", text: "–" }),
        el("td", { text: "Failed without an error code (Twilio could not be reached, or the send state was unknown after a restart)" }),
        el("td", { text: stats.failed_without_code }),
      ]));
    }
    dash.labelCells(document.getElementById("errors"));
  }

  function showUnattributed(stats) {
    const box = document.getElementById("unattributed");
    if (!box) return;
    const u = stats.unattributed;
    box.hidden = false;
    box.replaceChildren(el("h2", { text: "Callbacks that matched no message" }));
    if (!u.callbacks && !u.replies) {
      box.appendChild(el("p", { class: "muted", text: "Every verified callback matched a message this integration sent." }));
      return;
    }
    const statuses = Object.entries(u.by_status).map(function ([s, n]) { return s + " " + n; }).join(", ");
    box.appendChild(el("p", { id: "unattributed-text", text:
      u.callbacks + " verified status callback" + (u.callbacks === 1 ? "" : "s") +
      " for this provider's Twilio account matched no message sent from here" +
      (statuses ? " (" + statuses + ")" : "") + ". " +
      "Twilio reported them for this account, so their final statuses are counted above: " +
      u.delivered + " in Delivered and " + u.failed + " in Failed" +
      (Object.keys(u.errors).length ? " (errors " + Object.entries(u.errors).map(function ([c, n]) { return c + " × " + n; }).join(", ") + ")" : "") +
      ". They come from messages sent outside this integration (the Twilio console, another app, a test tool) or before its data was reset." }));
    if (u.replies) {
      box.appendChild(el("p", { text: u.replies + " incoming message" + (u.replies === 1 ? "" : "s") +
        " came from handsets this provider never texted, so no campaign can be credited with them." }));
    }
  }

  /** Events per bucket as grouped bars, sized in real pixels (labels stay readable on a
      phone), each bucket labelled in local time like the tables, its ISO time on hover. */
  function drawChart(series) {
    const box = document.getElementById("chart");
    box.replaceChildren();
    if (!series.length) { box.appendChild(el("p", { class: "muted", text: "No events yet." })); return; }
    const names = Object.keys(COLORS).filter(function (n) {
      return series.some(function (p) { return p.counts[n]; });
    });
    const max = Math.max(1, Math.max.apply(null, series.flatMap(function (p) { return names.map(function (n) { return p.counts[n] || 0; }); })));
    const width = Math.max(280, Math.min(900, page.clientWidth || 760));
    const height = 220, left = 34, bottom = 34, top = 12, right = 8;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Events per " + (scope === "campaign" ? "minute" : "hour"));
    const slot = (width - left - right) / series.length;
    const barWidth = Math.max(2, Math.min(28, (slot - 6) / Math.max(1, names.length)));
    const y = function (v) { return top + (height - top - bottom) * (1 - v / max); };
    function add(tag, attrs, text) {
      const node = document.createElementNS(SVG, tag);
      Object.entries(attrs).forEach(function ([k, v]) { node.setAttribute(k, v); });
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    }
    add("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: "#dde2e8" });
    add("text", { x: left - 4, y: y(max) + 4, "font-size": 12, fill: "#5f6b7a", "text-anchor": "end" }, String(max));
    add("text", { x: left - 4, y: y(0), "font-size": 12, fill: "#5f6b7a", "text-anchor": "end" }, "0");
    const every = Math.max(1, Math.ceil(series.length / Math.max(1, Math.floor((width - left) / 90))));
    series.forEach(function (p, i) {
      const groupLeft = left + i * slot + (slot - barWidth * names.length) / 2;
      names.forEach(function (name, j) {
        const v = p.counts[name] || 0;
        const bar = add("rect", { x: groupLeft + j * barWidth, y: y(v), width: Math.max(1, barWidth - 1),
                                  height: Math.max(0, y(0) - y(v)), fill: COLORS[name], class: "bar" });
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = name + ", " + smsim.humanTime(p.period) + " (" + smsim.isoTime(p.period) + "): " + v;
        bar.appendChild(tip);
      });
      if (i % every === 0) {
        const label = add("text", { x: left + i * slot + slot / 2, y: height - 12, "font-size": 12, fill: "#5f6b7a",
                                    "text-anchor": "middle", class: "period" }, smsim.humanTime(p.period));
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = smsim.isoTime(p.period);
        label.appendChild(tip);
      }
    });
    box.appendChild(svg);
    box.appendChild(el("ul", { class: "legend" }, names.map(function (n) {
      return el("li", {}, [el("span", { class: "swatch", style: "background:" + COLORS[n] }), n]);
    })));
  }

  // -- campaign only: progress, cancel, recipients -----------------------------------

  function showCampaign(c) {
    setText("stats-title", (c.name || "Campaign") + " · #" + c.id);
    const state = document.getElementById("state");
    state.hidden = false;
    state.textContent = c.state;
    state.className = "chip " + ({ sending: "sending", finished: "ok", canceled: "canceled" }[c.state] || "");
    document.getElementById("subtitle").replaceChildren("“" + c.message + "” · created ", smsim.time(c.created_at),
      (c.click_tracking ? " · click tracking on" : "") + (c.template_id ? " · template " + c.template_id : ""));
    const p = c.progress;
    const handed = p.targeted - p.to_send - p.canceled;
    document.getElementById("progress-wrap").hidden = false;
    const bar = document.getElementById("progress");
    bar.setAttribute("aria-valuemax", p.targeted);
    bar.setAttribute("aria-valuenow", handed);
    document.getElementById("progress-bar").style.width = (p.targeted ? 100 * handed / p.targeted : 100) + "%";
    setText("progress-text", handed + " of " + p.targeted + " handed to Twilio" +
      (p.to_send ? ", " + p.to_send + " to send" : "") + (p.canceled ? ", " + p.canceled + " canceled" : "") +
      (p.throttled ? " · Twilio asked to slow down " + p.throttled + "×" : ""));
    document.getElementById("cancel-campaign").hidden = c.state !== "sending";
  }

  function recipientQuery() {
    const form = document.getElementById("recipient-filters");
    const q = new URLSearchParams();
    if (form.status.value) q.set("status", form.status.value);
    if (form.error_code.value.trim()) q.set("error_code", form.error_code.value.trim());
    return q;
  }

  async function loadRecipients() {
    const q = recipientQuery();
    document.getElementById("csv-export").href = base + "/messages.csv" + (q.toString() ? "?" + q : "");
    q.set("limit", recipientsShown);
    const table = await smsim.api("GET", base + "/messages?" + q);
    const tbody = document.querySelector("#recipients tbody");
    tbody.replaceChildren();
    table.messages.forEach(function (m) {
      tbody.appendChild(el("tr", {}, [
        el("td", {}, [dash.number(m.recipient)]),
        el("td", { class: "truncate-cell", title: m.sid || "" }, [dash.sid(m.sid)]),
        el("td", {}, [smsim.chip(m.status)]),
        el("td", { class: "code-words" }, m.error_code === null ? [m.error_description ? el("span", { text: m.error_description }) : ""]
          : [el("code", { text: m.error_code })].concat(dash.codeWords({
              clevertap_description: m.clevertap_description, twilio_title: m.twilio_title,
              description: m.error_description }))),
        el("td", {}, [smsim.time(m.updated_at)]),
      ]));
    });
    dash.labelCells(document.getElementById("recipients"));
    setText("r-total", table.total + " recipient" + (table.total === 1 ? "" : "s"));
    document.getElementById("r-more").hidden = table.total <= table.messages.length;
  }

  function filterByCode(code) {
    const form = document.getElementById("recipient-filters");
    form.error_code.value = code;
    form.status.value = "";
    selectTab("tab-recipients");
    loadRecipients();
  }

  // -- tabs ---------------------------------------------------------------------------

  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function selectTab(tabId) {
    tabs.forEach(function (tab) {
      const on = tab.id === tabId;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
      if (on) tab.focus({ preventScroll: true });
    });
    if (tabId === "tab-recipients") loadRecipients();
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { selectTab(tab.id); });
    tab.addEventListener("keydown", function (event) {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) selectTab(tabs[(i + step + tabs.length) % tabs.length].id);
    });
  });

  // -- polling ------------------------------------------------------------------------

  async function refresh() {
    let busy = false;
    try {
      if (scope === "campaign") {
        const campaign = await smsim.api("GET", base);
        showCampaign(campaign);
        busy = campaign.state === "sending";
      } else {
        try {
          const p = await smsim.api("GET", base);
          setText("stats-title", "Provider " + p.nickname);
          setText("subtitle", "Account " + p.account_sid + " · every message sent through it, test SMS included");
        } catch (e) { /* a deleted provider keeps its stats */ }
      }
      const stats = await smsim.api("GET", base + "/stats?bucket=" + (scope === "campaign" ? "minute" : "hour"));
      showTiles(stats);
      showErrors(stats);
      if (scope === "provider") showUnattributed(stats);
      drawChart(stats.events_over_time);
      busy = busy || stats.pending > 0;
      if (scope === "campaign" && !document.getElementById("panel-recipients").hidden) await loadRecipients();
      page.dataset.updated = String(Date.now());
    } catch (e) {
      smsim.flash(e.message, true);
    }
    timer = setTimeout(refresh, busy ? 1000 : 5000);
  }

  if (scope === "campaign") {
    // A tile shows its recipients: the filter counts exactly what the tile counts.
    document.querySelectorAll("#tiles .stat[data-filter]").forEach(function (tile) {
      const button = el("button", { type: "button", class: "link tile-link", text: "show",
                                    "aria-label": "Show these recipients" });
      button.addEventListener("click", function () {
        const form = document.getElementById("recipient-filters");
        form.status.value = tile.dataset.filter;
        form.error_code.value = "";
        recipientsShown = 100;
        selectTab("tab-recipients");
      });
      tile.querySelector(".label").append(" ", button);
    });
    document.getElementById("recipient-filters").addEventListener("submit", function (event) {
      event.preventDefault();
      recipientsShown = 100;
      loadRecipients().catch(function (e) { smsim.flash(e.message, true); });
    });
    document.getElementById("r-more").addEventListener("click", function () {
      recipientsShown += 100;
      loadRecipients();
    });
    document.getElementById("cancel-campaign").addEventListener("click", async function () {
      try {
        const c = await smsim.api("POST", base + "/cancel", {});
        showCampaign(c);
        smsim.flash("Campaign canceled: " + c.progress.canceled + " recipients will not be sent");
      } catch (e) { smsim.flash(e.message, true); }
    });
  }
  refresh();
})();
