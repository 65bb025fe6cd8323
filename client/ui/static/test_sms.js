/* Send Test SMS: the SID and status, or the error code, its description and the hint. */
"use strict";
(function () {
  const el = dash.el;
  const form = document.getElementById("test-sms-form");
  const result = document.getElementById("test-result");
  const chosen = new URLSearchParams(location.search).get("provider");
  dash.fillProviderSelect(form.provider, chosen).catch(function (e) { smsim.flash(e.message, true); });
  segments.attach(form.message, document.getElementById("t-segments"));

  function show(r) {
    result.replaceChildren();
    result.hidden = false;
    result.className = "panel result " + (r.ok ? "ok" : "bad");
    if (r.ok) {
      result.append(el("h2", { text: "Sent" }), el("dl", { class: "fields" }, [
        el("dt", { text: "To" }), el("dd", { text: r.to }),
        el("dt", { text: "Message SID" }), el("dd", {}, [el("code", { id: "result-sid", text: r.sid })]),
        el("dt", { text: "Status" }), el("dd", {}, [dash.chip(r.status)]),
      ]));
      return;
    }
    const rows = [
      el("dt", { text: "To" }), el("dd", { text: r.to }),
      el("dt", { text: "Error code" }), el("dd", {}, [el("code", { id: "result-code", text: r.error_code === null ? "none" : r.error_code })]),
      el("dt", { text: "Description" }), el("dd", { id: "result-description", text: r.error_description || "" }),
    ];
    if (r.twilio_message) rows.push(el("dt", { text: "Twilio said" }), el("dd", { text: r.twilio_message }));
    if (r.more_info) rows.push(el("dt", { text: "More info" }), el("dd", {}, [el("a", { href: r.more_info, rel: "noreferrer", text: r.more_info })]));
    result.append(el("h2", { text: "Not sent" }), el("dl", { class: "fields" }, rows));
    if (r.hint) result.append(el("p", { class: "hint", id: "result-hint", text: r.hint }));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    dash.clearErrors(form);
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
      dash.showErrors(form, e);
    }
  });
})();
