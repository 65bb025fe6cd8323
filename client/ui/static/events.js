/* Events page: recorded events, filtered, oldest first, human-readable times. */
"use strict";
(function () {
  const el = smsim.el;
  const form = document.getElementById("event-filters");
  const tbody = document.querySelector("#events tbody");
  const more = document.getElementById("e-more");
  const PAGE = 200;
  let offset = 0;

  function details(e) {
    const p = e.props || {};
    const parts = [];
    if (p.error_code !== undefined && p.error_code !== null) parts.push(el("code", { text: p.error_code }), " ");
    if (e.error && (e.error.clevertap_description || e.error.twilio_title)) {
      parts.push.apply(parts, dash.codeWords(e.error));
    } else if (p.error_message) {
      parts.push(el("span", { text: p.error_message + " " }));
    }
    if (p.body) parts.push(el("q", { text: p.body }), " ");
    if (p.url) parts.push(el("span", { class: "mono", text: p.url }), " ");
    if (p.sid) parts.push(dash.sid(p.sid));
    return parts;
  }

  async function load(append) {
    smsim.clearErrors(form);
    const q = new URLSearchParams();
    ["name", "campaign_id", "provider_id"].forEach(function (key) {
      if (form[key].value.trim()) q.set(key, form[key].value.trim());
    });
    q.set("limit", PAGE);
    q.set("offset", offset);
    try {
      const events = (await smsim.api("GET", "/api/events?" + q)).events;
      if (!append) tbody.replaceChildren();
      events.forEach(function (e) {
        const p = e.props || {};
        tbody.appendChild(el("tr", {}, [
          el("td", {}, [smsim.time(e.ts)]),
          el("td", { text: e.name.replace("Notification ", "") }),
          el("td", {}, [dash.number(p.from || p.to || "")]),
          el("td", { class: "details" }, details(e)),
          el("td", { class: "hide-narrow" }, [e.provider_id === null ? "–" : el("a", { href: "/providers/" + e.provider_id + "/stats", text: "#" + e.provider_id })]),
          el("td", {}, [dash.campaign(e.campaign_id)]),
        ]));
      });
      if (!append && !events.length) tbody.appendChild(el("tr", {}, [el("td", { colspan: 6, class: "muted", text: "No events match." })]));
      dash.labelCells(document.getElementById("events"));
      more.hidden = events.length < PAGE;
    } catch (e) {
      smsim.showErrors(form, e);
    }
  }

  // A link may open the page already filtered (a campaign's Replied tile does).
  const asked = new URLSearchParams(location.search);
  ["name", "campaign_id", "provider_id"].forEach(function (key) {
    if (asked.get(key)) form[key].value = asked.get(key);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); offset = 0; load(false); });
  more.addEventListener("click", function () { offset += PAGE; load(true); });
  load(false);
})();
