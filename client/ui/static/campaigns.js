/* Campaigns page: New campaign (live segment count, recipients pasted or from a CSV) and
   the list of campaigns. */
"use strict";
(function () {
  const el = dash.el;
  const form = document.getElementById("campaign-form");
  const tbody = document.querySelector("#campaigns tbody");
  const count = document.getElementById("c-count");
  let providers = [];

  segments.attach(form.message, document.getElementById("c-segments"));

  /** Phone numbers in pasted text or a CSV: every cell that looks like one, in order. */
  function recipients(text) {
    const found = [];
    text.split(/[\r\n,;\t]+/).forEach(function (cell) {
      const value = cell.trim().replace(/^"|"$/g, "").replace(/[\s().-]/g, "");
      if (/^\+?[0-9]{6,15}$/.test(value)) found.push(value.startsWith("+") ? value : "+" + value);
    });
    return found;
  }

  function updateCount() {
    const n = recipients(form.recipients.value).length;
    count.textContent = n + " recipient" + (n === 1 ? "" : "s");
  }
  form.recipients.addEventListener("input", updateCount);
  document.getElementById("c-csv").addEventListener("change", async function (event) {
    const file = event.target.files[0];
    if (!file) return;
    const numbers = recipients(await file.text());
    form.recipients.value = numbers.join("\n");
    updateCount();
    smsim.flash(numbers.length + " recipients read from " + file.name);
  });

  async function load() {
    providers = await dash.fillProviderSelect(form.provider);
    const names = Object.fromEntries(providers.map(function (p) { return [p.id, p.nickname]; }));
    const list = (await smsim.api("GET", "/api/campaigns")).campaigns;
    tbody.replaceChildren();
    if (!list.length) tbody.appendChild(el("tr", {}, [el("td", { colspan: 6, class: "muted", text: "No campaign yet." })]));
    list.forEach(function (c) {
      tbody.appendChild(el("tr", {}, [
        el("td", {}, [el("a", { href: "/campaigns/" + c.id, text: "#" + c.id })]),
        el("td", {}, [el("a", { href: "/campaigns/" + c.id, text: c.name || "(unnamed)" })]),
        el("td", {}, [dash.chip(c.state)]),
        el("td", { text: c.targeted }),
        el("td", { class: "hide-narrow", text: names[c.provider_id] || ("#" + c.provider_id) }),
        el("td", {}, [dash.time(c.created_at)]),
      ]));
    });
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    dash.clearErrors(form);
    const body = {
      message: form.message.value,
      recipients: recipients(form.recipients.value),
      click_tracking: form.click_tracking.checked,
    };
    if (form.provider.value) body.provider = Number(form.provider.value);
    if (form.name.value.trim()) body.name = form.name.value.trim();
    if (form.template_id.value.trim()) body.template_id = form.template_id.value.trim();
    try {
      const campaign = await smsim.api("POST", "/api/campaigns", body);
      location.href = "/campaigns/" + campaign.id;
    } catch (e) {
      dash.showErrors(form, e);
    }
  });

  updateCount();
  load().catch(function (e) { smsim.flash(e.message, true); });
})();
