/* Campaigns page: New campaign (live segment count, recipients pasted or from a CSV) and
   the list of campaigns. */
"use strict";
(function () {
  const el = smsim.el;
  const form = document.getElementById("campaign-form");
  const tbody = document.querySelector("#campaigns tbody");
  const count = document.getElementById("c-count");
  let providers = [];

  segments.attach(form.message, document.getElementById("c-segments"));

  const invalidBox = document.getElementById("c-invalid");
  const skip = document.getElementById("c-skip_invalid");
  const header = document.getElementById("c-header");
  const SHOWN = 50;

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  /** The count, and every line that holds no phone number, named before anything is sent. */
  function updateCount() {
    const parsed = recipients.parse(form.recipients.value);
    count.textContent = plural(parsed.numbers.length, "recipient");
    header.textContent = parsed.header ? "line 1 read as the CSV header: " + parsed.header : "";
    invalidBox.hidden = !parsed.invalid.length;
    if (parsed.invalid.length) {
      document.getElementById("c-invalid-title").textContent =
        plural(parsed.invalid.length, "line") + " hold" + (parsed.invalid.length === 1 ? "s" : "") +
        " no phone number: fix " + (parsed.invalid.length === 1 ? "it" : "them") + " above, or skip " +
        (parsed.invalid.length === 1 ? "it" : "them") + ".";
      const list = document.getElementById("c-invalid-list");
      list.replaceChildren();
      parsed.invalid.slice(0, SHOWN).forEach(function (bad) {
        list.appendChild(el("li", {}, ["line " + bad.line + ": ", el("code", { text: bad.value })]));
      });
      if (parsed.invalid.length > SHOWN) list.appendChild(el("li", { text: "… and " + (parsed.invalid.length - SHOWN) + " more" }));
      document.getElementById("c-skip-label").textContent = "Skip " +
        plural(parsed.invalid.length, "line") + " and send to the " + plural(parsed.numbers.length, "valid number");
    } else {
      skip.checked = false;
    }
    return parsed;
  }
  form.recipients.addEventListener("input", updateCount);
  document.getElementById("c-csv").addEventListener("change", async function (event) {
    const file = event.target.files[0];
    if (!file) return;
    form.recipients.value = (await file.text()).replace(/^\uFEFF/, "");  // line numbers as in the file
    const parsed = updateCount();
    smsim.flash(plural(parsed.numbers.length, "recipient") + " read from " + file.name +
      (parsed.invalid.length ? "; " + plural(parsed.invalid.length, "line") + " without a phone number" : ""),
      parsed.invalid.length > 0);
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
        el("td", {}, [smsim.chip(c.state)]),
        el("td", { text: c.targeted }),
        el("td", { class: "hide-narrow" }, [el("a", { href: "/providers/" + c.provider_id + "/stats",
                                                      text: names[c.provider_id] || ("#" + c.provider_id) })]),
        el("td", {}, [smsim.time(c.created_at)]),
      ]));
    });
    dash.labelCells(document.getElementById("campaigns"));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    smsim.clearErrors(form);
    const parsed = updateCount();
    const body = {
      message: form.message.value,
      recipients: parsed.numbers,
      click_tracking: form.click_tracking.checked,
    };
    if (form.provider.value) body.provider = Number(form.provider.value);
    if (form.name.value.trim()) body.name = form.name.value.trim();
    if (form.template_id.value.trim()) body.template_id = form.template_id.value.trim();
    const local = {};
    if (parsed.invalid.length && !skip.checked) {
      local.recipients = plural(parsed.invalid.length, "line") + " without a phone number (" +
        parsed.invalid.slice(0, 5).map(function (b) { return "line " + b.line + ": " + b.value; }).join(", ") +
        (parsed.invalid.length > 5 ? ", …" : "") + "): fix them, or tick Skip to send to the others";
    }
    if (local.recipients) {
      // Sent with the wrong lines (never E.164 as spelled here), which the API refuses:
      // its answer names every other field's mistake too, all at once.
      body.recipients = body.recipients.concat(parsed.invalid.map(function (b) { return "line " + b.line + ": " + b.value; }));
    }
    try {
      const campaign = await smsim.api("POST", "/api/campaigns", body);
      location.href = "/campaigns/" + campaign.id;
    } catch (e) {
      if (local.recipients && e.data) e.data.fields = Object.assign({}, e.data.fields, local);
      smsim.showErrors(form, e);
    }
  });

  updateCount();
  load().catch(function (e) { smsim.flash(e.message, true); });
})();
