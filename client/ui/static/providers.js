/* Providers page: the list, and the Add SMS provider / edit form. */
"use strict";
(function () {
  const el = smsim.el;
  const form = document.getElementById("provider-form");
  const tbody = document.querySelector("#providers tbody");
  const title = document.getElementById("form-title");
  const cancelEdit = document.getElementById("cancel-edit");
  const defaultCallback = form.dataset.defaultCallback;
  let editing = null;

  function fromCell(p) {
    if (p.service_sid) return el("span", {}, ["Service ", el("code", { text: p.service_sid })]);
    return el("code", { text: p.from_numbers.join(", ") });
  }

  async function load() {
    const list = await dash.providers();
    tbody.replaceChildren();
    if (!list.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: 7, class: "muted",
        text: "No provider yet: add your Twilio account below." })]));
    }
    list.forEach(function (p) {
      tbody.appendChild(el("tr", { "data-provider": p.id }, [
        el("td", { text: p.nickname }),
        el("td", {}, [p.is_default ? smsim.chip("default", "ok") : ""]),
        el("td", {}, [el("code", { text: p.account_sid })]),
        el("td", {}, [fromCell(p)]),
        el("td", { class: "hide-narrow" }, [el("code", { text: p.auth_token })]),
        el("td", { class: "hide-narrow", text: p.template_id_required ? "required" : "–" }),
        el("td", { class: "actions" }, [
          el("button", { type: "button", class: "secondary", text: "Edit",
                         "aria-label": "Edit " + p.nickname, onclick: function () { edit(p); } }),
          el("a", { class: "button secondary", href: "/test-sms?provider=" + p.id, text: "Test SMS" }),
          el("a", { class: "button secondary", href: "/providers/" + p.id + "/stats", text: "Stats" }),
        ]),
      ]));
    });
    dash.labelCells(document.getElementById("providers"));
  }

  function edit(p) {
    editing = p;
    smsim.clearErrors(form);
    title.textContent = "Edit provider " + p.nickname;
    form.nickname.value = p.nickname;
    form.account_sid.value = p.account_sid;
    form.auth_token.value = "";
    form.auth_token.placeholder = "unchanged (" + p.auth_token + ")";
    form.callback_url.value = p.callback_url;
    form.from_numbers.value = p.from_numbers.join(", ");
    form.service_sid.value = p.service_sid || "";
    form.template_id_required.checked = p.template_id_required;
    form.is_default.checked = p.is_default;
    cancelEdit.hidden = false;
    form.nickname.focus();
  }

  function reset() {
    editing = null;
    form.reset();
    smsim.clearErrors(form);
    form.auth_token.placeholder = "";
    form.callback_url.value = defaultCallback;
    title.textContent = "Add SMS provider";
    cancelEdit.hidden = true;
  }

  function payload() {
    const data = {
      nickname: form.nickname.value.trim(),
      account_sid: form.account_sid.value.trim(),
      callback_url: form.callback_url.value.trim(),
      from_numbers: form.from_numbers.value.split(/[\s,;]+/).filter(Boolean),
      service_sid: form.service_sid.value.trim() || null,
      template_id_required: form.template_id_required.checked,
    };
    if (form.auth_token.value || !editing) data.auth_token = form.auth_token.value.trim();
    // The default can only be moved to another provider, never switched off directly.
    if (form.is_default.checked || !editing) data.is_default = form.is_default.checked;
    return data;
  }

  document.getElementById("restore-callback").addEventListener("click", async function () {
    if (editing) {
      try {
        const restored = await smsim.api("POST", "/api/providers/" + editing.id + "/restore-callback", {});
        form.callback_url.value = restored.callback_url;
        smsim.flash("Callback URL restored to " + restored.callback_url);
        load();
      } catch (e) { smsim.flash(e.message, true); }
    } else {
      form.callback_url.value = defaultCallback;
    }
  });
  cancelEdit.addEventListener("click", reset);

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    try {
      const saved = editing
        ? await smsim.api("PATCH", "/api/providers/" + editing.id, payload())
        : await smsim.api("POST", "/api/providers", payload());
      smsim.flash("Provider " + saved.nickname + " saved");
      reset();
      await load();
    } catch (e) {
      smsim.showErrors(form, e);
    }
  });

  document.getElementById("reset-all").addEventListener("click", async function () {
    try {
      const list = await dash.providers();
      const campaigns = (await smsim.api("GET", "/api/campaigns")).campaigns;
      const names = list.map(function (p) { return p.nickname; }).join(", ");
      const question = "Reset everything? This deletes " +
        list.length + " provider" + (list.length === 1 ? "" : "s") + (names ? " (" + names + ")" : "") + ", " +
        campaigns.length + " campaign" + (campaigns.length === 1 ? "" : "s") +
        " and every message, test SMS, click, reply and event recorded here. It cannot be undone.";
      if (!window.confirm(question)) return;
      await smsim.api("POST", "/api/reset", {});
      smsim.flash("Everything was reset: no provider, campaign or event is left");
      reset();
      await load();
    } catch (e) { smsim.flash(e.message, true); }
  });

  load().catch(function (e) { smsim.flash(e.message, true); });
})();
