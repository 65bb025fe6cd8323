/* Send Test SMS: the SID and status, or the error code, its description and the hint. */
"use strict";
(function () {
  const el = smsim.el;
  const form = document.getElementById("test-sms-form");
  const result = document.getElementById("test-result");
  const chosen = new URLSearchParams(location.search).get("provider");
  dash.fillProviderSelect(form.provider, chosen).catch(function (e) { smsim.flash(e.message, true); });
  segments.attach(form.message, document.getElementById("t-segments"));

  const FOLLOW_FOR_MS = 120000;
  let following = 0;  // the send being followed; a newer send stops the older one

  /** Poll the message until Twilio reports a final status, updating the result live. */
  async function follow(messageId, token) {
    const started = Date.now();
    let delay = 250;
    while (token === following) {
      await new Promise(function (done) { setTimeout(done, delay); });
      delay = Math.min(delay * 2, 2000);
      if (token !== following) return;
      let m;
      try {
        m = await smsim.api("GET", "/api/messages/" + messageId);
      } catch (e) {
        setStatus(null, "could not follow the status: " + e.message);
        return;
      }
      setStatus(m);
      if (m.final) return;
      if (Date.now() - started > FOLLOW_FOR_MS) {
        setStatus(m, "no final status after " + FOLLOW_FOR_MS / 1000 + " s: Twilio has not reported one yet" +
          (dash.inbox ? "; the inbox shows the message as it stands" : ""));
        return;
      }
    }
  }

  function setStatus(m, note) {
    const box = document.getElementById("result-status");
    if (!box) return;
    const parts = [];
    if (m) {
      parts.push(smsim.chip(m.status));
      if (m.error_code !== null) parts.push(" ", el("code", { text: m.error_code }), " ", el("span", { class: "muted", text: m.error_description || "" }));
      box.dataset.final = m.final ? "true" : "false";
      if (!m.final && !note) parts.push(el("span", { class: "muted", text: " · following…" }));
    }
    if (note) parts.push(el("span", { class: "muted", text: " " + note }));
    box.replaceChildren.apply(box, parts);
  }

  function show(r) {
    result.replaceChildren();
    result.hidden = false;
    result.className = "panel result " + (r.ok ? "ok" : "bad");
    if (r.ok) {
      result.append(el("h2", { text: "Sent" }), el("dl", { class: "fields" }, [
        el("dt", { text: "To" }), el("dd", {}, [dash.number(r.to)]),
        el("dt", { text: "Message SID" }), el("dd", {}, [dash.sid(r.sid, "result-sid")]),
        el("dt", { text: "Status" }), el("dd", { id: "result-status" }),
      ]));
      setStatus({ status: r.status, final: false, error_code: null });
      following += 1;
      follow(r.message_id, following);
      return;
    }
    following += 1;
    const rows = [
      el("dt", { text: "To" }), el("dd", {}, [dash.number(r.to)]),
      el("dt", { text: "Error code" }), el("dd", {}, [el("code", { id: "result-code", text: r.error_code === null ? "none" : r.error_code })]),
      el("dt", { text: "Description" }), el("dd", { id: "result-description", text: r.error_description || "" }),
    ];
    if (r.twilio_message) rows.push(el("dt", { text: "Twilio said" }), el("dd", { text: r.twilio_message }));
    if (r.more_info) rows.push(el("dt", { text: "More info" }), el("dd", {}, [el("a", { href: r.more_info, rel: "noreferrer", text: r.more_info })]));
    result.append(el("h2", { text: "Not sent" }), el("dl", { class: "fields" }, rows));
    if (r.hint) {
      const hint = el("p", { class: "hint", id: "result-hint", text: r.hint });
      if (dash.inbox && r.error_code === 21608) {
        hint.append(" ", el("a", { id: "verify-link", href: dash.inbox + "/accounts",
          text: "Verify it in the simulator's Accounts page" }), ".");
      }
      result.append(hint);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    smsim.clearErrors(form);
    const body = {
      country_code: form.country_code.value.trim(),
      mobile_number: form.mobile_number.value.trim(),
      message: form.message.value,
    };
    if (form.template_id.value.trim()) body.template_id = form.template_id.value.trim();
    try {
      show(await smsim.api("POST", "/api/providers/" + encodeURIComponent(form.provider.value || "0") + "/test-sms", body));
    } catch (e) {
      result.hidden = true;
      smsim.showErrors(form, e);
    }
  });
})();
