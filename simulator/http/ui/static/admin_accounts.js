/* Accounts page: every account with its credentials (token masked until Reveal), status
   (Suspend / Reactivate), owned numbers (add; SmsUrl and SmsMethod), verified numbers,
   Messaging Services with their senders, and API keys (a new secret is shown once).
   Everything is read and written through /_smsim/...; user data only ever lands in
   textContent. */
"use strict";
(function () {
  const el = smsim.el;
  const root = document.getElementById("accounts");
  const MASK = "\u2022".repeat(20);
  const POLL_MS = 3000;
  const revealed = new Set(); // account SIDs whose token is showing
  const freshKeys = {}; // account SID -> the key just created, secret included (shown once)

  function base(sid) { return "/_smsim/accounts/" + encodeURIComponent(sid); }

  async function details(account) {
    const [services, keys] = await Promise.all([
      smsim.api("GET", base(account.sid) + "/services"),
      smsim.api("GET", base(account.sid) + "/keys"),
    ]);
    return { account: account, services: services.services, keys: keys.keys };
  }

  function focusById(id) {
    const node = id && document.getElementById(id);
    if (node) node.focus();
  }

  const drawn = new Map(); // account SID -> the data its article shows (JSON)

  function draw(d) {
    drawn.set(d.account.sid, JSON.stringify(d));
    return renderAccount(d);
  }

  function unchanged(data) {
    return data.length === drawn.size && data.every(function (d) {
      return drawn.get(d.account.sid) === JSON.stringify(d);
    });
  }

  /* quiet: a background refresh: redraw only when the data changed, and say nothing on
     an error (the next refresh tries again). */
  async function loadAll(focusId, quiet) {
    try {
      const accounts = (await smsim.api("GET", "/_smsim/accounts")).accounts;
      const data = await Promise.all(accounts.map(details));
      if (quiet && unchanged(data)) return;
      drawn.clear();
      const views = data.map(draw);
      root.replaceChildren.apply(root, views.length ? views : [el("p", { class: "empty", text: "No accounts." })]);
      focusById(focusId);
    } catch (error) {
      if (!quiet) smsim.flash("Could not load the accounts: " + error.message, true);
    }
  }

  /* True while the user works in the account list: focus inside it, or a field changed
     from what was rendered. A refresh then would throw their input away. */
  function editing() {
    if (root.contains(document.activeElement)) return true;
    return Array.prototype.some.call(root.querySelectorAll("input, select"), function (field) {
      return field.dataset.initial !== undefined && field.value !== field.dataset.initial;
    });
  }

  async function reloadOne(sid, focusId) {
    const view = draw(await details(await smsim.api("GET", base(sid))));
    const old = root.querySelector('[data-account-sid="' + CSS.escape(sid) + '"]');
    if (old) old.replaceWith(view); else root.append(view);
    focusById(focusId);
  }

  function button(label, className, onClick, props) {
    const node = el("button", Object.assign({ type: "button", class: className || "" }, props || {}), [label]);
    node.addEventListener("click", onClick);
    return node;
  }

  /** A small form: labelled fields, a submit button, an error box per field and one for the form.
      ``send(values)`` does the call; the account is re-rendered after it, focus kept. */
  function inlineForm(id, sid, fields, submitLabel, send) {
    const form = el("form", { id: id, class: "inline-form", novalidate: true });
    fields.forEach(function (field) {
      const inputId = id + "-" + field.name;
      let input;
      if (field.options) {
        input = el("select", { id: inputId, name: field.name },
          field.options.map(function (option) {
            return el("option", { value: option, selected: option === field.value }, [option]);
          }));
      } else {
        input = el("input", { id: inputId, name: field.name, type: "text", autocomplete: "off",
                              value: field.value || "", placeholder: field.placeholder || "" });
      }
      input.dataset.initial = input.value;
      form.append(el("div", { class: field.options ? "" : "grow" }, [
        el("label", { for: inputId, text: field.label }), input,
        el("div", { class: "field-error", "data-error-for": field.name }),
      ]));
    });
    form.append(el("button", { type: "submit" }, [submitLabel]),
                el("div", { class: "field-error", "data-error-for": "", role: "alert" }));
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      smsim.clearErrors(form);
      const values = {};
      fields.forEach(function (field) { values[field.name] = form.elements[field.name].value.trim(); });
      try {
        const done = await send(values);
        if (done) smsim.flash(done);
        await reloadOne(sid, id + "-" + fields[0].name);
      } catch (error) {
        smsim.showErrors(form, error, function (path) { return path; });
      }
    });
    return form;
  }

  function credentials(account) {
    const tokenId = account.sid + "-token";
    const shown = revealed.has(account.sid);
    const token = el("code", { id: tokenId, class: "token", text: shown ? account.auth_token : MASK });
    const reveal = button(shown ? "Hide" : "Reveal", "secondary small", function () {
      const now = !revealed.has(account.sid);
      if (now) revealed.add(account.sid); else revealed.delete(account.sid);
      token.textContent = now ? account.auth_token : MASK;
      reveal.textContent = now ? "Hide" : "Reveal";
      reveal.setAttribute("aria-pressed", String(now));
    }, { "aria-pressed": String(shown), "aria-controls": tokenId, "aria-label": "Reveal auth token" });
    const copy = button("Copy", "secondary small", function () { smsim.copy(account.auth_token); },
                        { "aria-label": "Copy auth token" });
    return el("dl", { class: "fields" }, [
      el("dt", { text: "Account SID" }),
      el("dd", {}, [el("span", { class: "copyable" }, [el("code", { text: account.sid }),
        smsimAdmin.copyButton(account.sid, "Copy account SID")])]),
      el("dt", { text: "Auth token" }),
      el("dd", {}, [el("span", { class: "copyable" }, [token, reveal, copy])]),
    ]);
  }

  function trialCallout(account) {
    const owned = account.numbers.map(function (n) { return n.phone_number; });
    const verified = account.verified_numbers;
    if (owned.length && verified.length) {
      return el("p", { class: "callout ready" }, ["Ready: this trial account can send from ",
        el("code", { text: owned[0] }), " to ", el("code", { text: verified[0] }), "."]);
    }
    const missing = [];
    if (!owned.length) missing.push("add a number it owns (under Numbers)");
    if (!verified.length) missing.push("verify the handset you will text (under Verified numbers)");
    return el("p", { class: "callout todo" }, ["To send from this trial account: " + missing.join(", then ") + "."]);
  }

  function serviceOf(numberSid, services) {
    return services.find(function (s) {
      return s.senders.some(function (sender) { return sender.sid === numberSid; });
    });
  }

  function numbersSection(account, services) {
    const sid = account.sid;
    const items = account.numbers.map(function (number) {
      const service = serviceOf(number.sid, services);
      return el("li", { "data-number": number.phone_number }, [
        el("div", { class: "copyable" }, [el("code", { text: number.phone_number }),
          smsimAdmin.copyButton(number.phone_number),
          service ? el("span", { class: "chip", title: service.sid, text: "in " + service.friendly_name }) : null]),
        inlineForm(sid + "-num-" + number.sid, sid, [
          { name: "sms_url", label: "Inbound webhook (SmsUrl)", value: number.sms_url,
            placeholder: "http://127.0.0.1:5000/sms" },
          { name: "sms_method", label: "Method", value: number.sms_method || "POST", options: ["POST", "GET"] },
        ], "Save", async function (values) {
          await smsim.api("POST", base(sid) + "/numbers/" + encodeURIComponent(number.sid), values);
          return "Saved " + number.phone_number;
        }),
      ]);
    });
    return el("section", { "aria-label": "Numbers of " + account.friendly_name }, [
      el("h3", { text: "Numbers" }),
      items.length ? el("ul", { class: "item-list numbers" }, items)
                   : el("p", { class: "empty", text: "No numbers yet." }),
      inlineForm(sid + "-add-number", sid, [
        { name: "phone_number", label: "Add a number", placeholder: "+14155550100" },
      ], "Add number", async function (values) {
        const number = await smsim.api("POST", base(sid) + "/numbers", values);
        return "Added " + number.phone_number;
      }),
    ]);
  }

  function verifiedSection(account) {
    const sid = account.sid;
    const items = account.verified_numbers.map(function (number) {
      return el("li", { class: "copyable" }, [el("code", { text: number }), smsimAdmin.copyButton(number)]);
    });
    return el("section", { "aria-label": "Verified numbers of " + account.friendly_name }, [
      el("h3", { text: "Verified numbers" }),
      items.length ? el("ul", { class: "item-list verified" }, items)
                   : el("p", { class: "empty", text: "None verified." }),
      inlineForm(sid + "-add-verified", sid, [
        { name: "phone_number", label: "Verify a number (at once)", placeholder: "+12125550123" },
      ], "Verify", async function (values) {
        const verified = await smsim.api("POST", base(sid) + "/verified_numbers", values);
        return "Verified " + verified.phone_number;
      }),
    ]);
  }

  function servicesSection(account, services) {
    const items = services.map(function (service) {
      const senders = service.senders.length
        ? service.senders.map(function (sender) { return el("code", { text: sender.phone_number }); })
        : [el("span", { class: "muted", text: "no senders (sends fail with 21704)" })];
      const list = [];
      senders.forEach(function (node, i) { if (i) list.push(", "); list.push(node); });
      return el("li", {}, [
        el("div", {}, [el("strong", { text: service.friendly_name }), " ", el("code", { class: "muted", text: service.sid })]),
        el("div", {}, [el("span", { class: "muted", text: "Senders: " })].concat(list)),
      ]);
    });
    return el("section", { "aria-label": "Messaging Services of " + account.friendly_name }, [
      el("h3", { text: "Messaging Services" }),
      items.length ? el("ul", { class: "item-list services" }, items)
                   : el("p", { class: "empty", text: "None. Create one with the SDK (client.messaging.v1.services.create)." }),
    ]);
  }

  function keysSection(account, keys) {
    const sid = account.sid;
    const fresh = freshKeys[sid];
    const items = keys.map(function (key) {
      return el("li", {}, [
        el("div", {}, [el("strong", { text: key.friendly_name || "(no name)" })]),
        el("div", { class: "copyable" }, [el("code", { text: key.sid }), smsimAdmin.copyButton(key.sid),
          el("span", { class: "muted" }, "created ", smsim.time(key.date_created))]),
      ]);
    });
    return el("section", { "aria-label": "API keys of " + account.friendly_name }, [
      el("h3", { text: "API keys" }),
      fresh ? el("div", { class: "secret-once", role: "status" }, [
        el("div", {}, ["New key ", el("code", { text: fresh.sid }), ": its secret is shown only now."]),
        el("div", { class: "copyable" }, [el("code", { class: "key-secret", text: fresh.secret }),
          button("Copy", "secondary small", function () { smsim.copy(fresh.secret); }, { "aria-label": "Copy the new secret" }),
          button("Done", "secondary small", function () { delete freshKeys[sid]; reloadOne(sid, sid + "-add-key-friendly_name"); })]),
      ]) : null,
      items.length ? el("ul", { class: "item-list keys" }, items)
                   : el("p", { class: "empty", text: "No API keys." }),
      inlineForm(sid + "-add-key", sid, [
        { name: "friendly_name", label: "New API key name", placeholder: "e.g. ci" },
      ], "Create key", async function (values) {
        const key = await smsim.api("POST", base(sid) + "/keys", values);
        freshKeys[sid] = key;
        return "Created " + key.sid;
      }),
    ]);
  }

  function statusButton(account) {
    if (account.status === "active") {
      return button("Suspend", "danger status-action", async function () {
        if (!window.confirm("Suspend " + account.friendly_name + "? Messages not yet sent fail with 30002 and new sends are refused with 20005.")) return;
        await act(account.sid, "/suspend", "Suspended");
      }, { id: account.sid + "-status-action" });
    }
    return button("Reactivate", "status-action", function () { act(account.sid, "/reactivate", "Reactivated"); },
                  { id: account.sid + "-status-action" });
  }

  async function act(sid, path, done) {
    try {
      await smsim.api("POST", base(sid) + path, {}); // a JSON body, as every write sends
      smsim.flash(done);
      await reloadOne(sid, sid + "-status-action");
    } catch (error) {
      smsim.flash(error.message, true);
    }
  }

  function renderAccount(d) {
    const account = d.account;
    const active = account.status === "active";
    return el("article", { id: account.sid, class: "panel account", "data-account-sid": account.sid,
                           "aria-labelledby": account.sid + "-name" }, [
      el("div", { class: "account-head" }, [
        el("h2", { id: account.sid + "-name", tabindex: -1, text: account.friendly_name }),
        smsim.chip(account.type, "type"),
        smsim.chip(account.status, "status " + (active ? "ok" : "bad")),
        statusButton(account),
      ]),
      credentials(account),
      account.type === "trial" ? trialCallout(account) : null,
      el("div", { class: "account-grid" }, [
        numbersSection(account, d.services),
        verifiedSection(account),
        servicesSection(account, d.services),
        keysSection(account, d.keys),
      ]),
    ]);
  }

  const accountForm = document.getElementById("account-form");
  accountForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    smsim.clearErrors(accountForm);
    const body = { type: accountForm.elements.type.value };
    const name = accountForm.elements.friendly_name.value.trim();
    if (name) body.friendly_name = name;
    try {
      const account = await smsim.api("POST", "/_smsim/accounts", body);
      accountForm.reset();
      smsim.flash("Created " + account.sid);
      await loadAll(account.sid + "-name");
    } catch (error) {
      smsim.showErrors(accountForm, error, function () { return null; });
    }
  });

  document.getElementById("reset-everything").addEventListener("click", async function () {
    const sure = window.confirm(
      "Reset everything?\n\nThis forgets every account, number, message, rule, scheduled step " +
      "and webhook attempt, then re-creates the accounts smsim was started with. It cannot be undone.");
    if (!sure) return;
    try {
      const answer = await smsim.api("POST", "/_smsim/reset");
      smsim.flash("Reset: " + answer.accounts.length + " configured account(s) re-created");
      await loadAll();
    } catch (error) {
      smsim.flash("Could not reset: " + error.message, true);
    }
  });

  // A link to one account (/accounts#AC...) lands on it once the list is drawn.
  loadAll().then(function () {
    const linked = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (linked) linked.scrollIntoView({ block: "start" });
  });
  // Accounts also change through the API (tests, scripts, other tabs): a short poll shows
  // it, as the Outcomes page does for its rules, but never under the user's hands.
  setInterval(function () {
    if (document.visibilityState === "visible" && !editing()) loadAll(null, true);
  }, POLL_MS);
})();
