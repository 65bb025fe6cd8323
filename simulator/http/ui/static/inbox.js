/* The simulator inbox's pages: the live message list, a conversation, a message's detail.
   Everything from message data goes into the page as text (textContent), never as HTML. */
"use strict";
(function () {
  const SIGNATURE = "X-Twilio-Signature";

  const el = smsim.el, chip = smsim.chip, timeEl = smsim.time;

  /** The handset side of a message: who texted in, or who was texted. */
  function handsetOf(m) {
    return m.direction === "inbound" ? m.from : m.to;
  }

  function conversationUrl(m) {
    return "/conversations/" + encodeURIComponent(handsetOf(m)) +
      "?account_sid=" + encodeURIComponent(m.account_sid);
  }

  /** One description per code, the same everywhere: CleverTap's where its documentation
      has one (what the dashboard shows), else Twilio's title. */
  function errorText(m) {
    if (m.error_code === null || m.error_code === undefined) return "";
    const text = m.error_clevertap || m.error_description;
    return m.error_code + (text ? " " + text : "");
  }

  /** Both descriptions, labelled (a tooltip, or the message page's Error field). */
  function errorLabels(m) {
    const parts = [];
    if (m.error_clevertap) parts.push("CleverTap's description: " + m.error_clevertap);
    if (m.error_description) parts.push("Twilio's title: " + m.error_description);
    if (m.error_details) parts.push(m.error_details);
    return parts.join("\n");
  }

  function messageUrl(sid) {
    return "/messages/" + encodeURIComponent(sid);
  }

  /** Messages to or from one of our numbers: the list filtered by it. */
  function numberUrl(number) {
    return "/?number=" + encodeURIComponent(number);
  }

  /** ``draw`` wrapped so that data equal to what is on screen is not drawn again: an
      unrelated change elsewhere does not rebuild the page under the reader's cursor. */
  function unlessSame(draw) {
    let shown = null;
    return function (data) {
      const text = JSON.stringify(data);
      if (text === shown) return;
      shown = text;
      draw(data);
    };
  }

  function initial() {
    const node = document.getElementById("initial");
    return node ? JSON.parse(node.textContent) : null;
  }

  /** Runs ``refresh`` whenever the server reports a change; one refresh at a time. */
  function live(refresh) {
    const badge = document.getElementById("live");
    let running = false, again = false;
    async function run() {
      if (running) { again = true; return; }
      running = true;
      try { await refresh(); } catch (e) { smsim.flash(e.message, true); }
      running = false;
      if (again) { again = false; run(); }
    }
    const source = new EventSource("/_smsim/stream");
    source.addEventListener("open", function () {
      if (badge) { badge.textContent = "● live"; badge.className = "live on"; }
    });
    source.addEventListener("error", function () {
      if (badge) { badge.textContent = "reconnecting…"; badge.className = "live"; }
    });
    source.addEventListener("change", run);
    window.addEventListener("pagehide", function () { source.close(); });
    return run;
  }

  // -- the list (home) ---------------------------------------------------------------------

  function listRow(m) {
    const handset = handsetOf(m);
    const number = function (value, label, className) {
      const content = !value ? ""
        : value === handset
          ? el("a", { href: conversationUrl(m), title: "Conversation with " + handset, text: value })
          : el("a", { href: numberUrl(value), title: "Messages of " + value, text: value });
      return el("td", { class: className, "data-label": label }, [content]);
    };
    // The whole row opens the message (a click anywhere but on a link, or Enter on the
    // focused row); the numbers keep their own links.
    return el("tr", { "data-sid": m.sid, "data-href": messageUrl(m.sid), tabindex: "0",
                      "aria-label": "Message " + m.sid + " " + m.status, class: "row-link" }, [
      el("td", { class: "time", "data-label": "Time" }, [
        el("a", { href: messageUrl(m.sid), title: m.date_created_iso, tabindex: "-1" },
          [smsim.humanTime(m.date_created_iso)]),
      ]),
      el("td", { class: "dir", "data-label": "Direction", text: m.direction }),
      number(m.from, "From", "num from"),
      number(m.to, "To", "num to"),
      el("td", { class: "truncate body", title: m.body, "data-label": "Body", text: m.body }),
      el("td", { class: "status", "data-label": "Status" }, [chip(m.status)]),
      el("td", { class: "error", title: errorLabels(m), "data-label": "Error", text: errorText(m) }),
    ]);
  }

  /** Open the row's message on a click that is not on a link or a control, and not the end
      of a text selection; Enter on a focused row does the same. */
  function openRows(tbody) {
    tbody.addEventListener("click", function (event) {
      const row = event.target.closest("tr[data-href]");
      if (!row || event.target.closest("a, button, input, select, textarea")) return;
      if (String(window.getSelection ? window.getSelection() : "").length) return;
      if (event.ctrlKey || event.metaKey) window.open(row.dataset.href, "_blank");
      else location.href = row.dataset.href;
    });
    tbody.addEventListener("keydown", function (event) {
      const row = event.target;
      if (event.key === "Enter" && row.matches && row.matches("tr[data-href]")) location.href = row.dataset.href;
    });
  }

  /** While the tab is hidden, the title counts the messages that arrived since. Returns
      the function each redraw of the list calls with the messages shown. */
  function titleCounter() {
    const base = document.title;
    let shown = [];
    let seen = null; // SIDs on screen when the tab was hidden
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { seen = null; document.title = base; }
      else seen = new Set(shown);
    });
    return function (messages) {
      shown = messages.map(function (m) { return m.sid; });
      if (seen === null) return;
      const count = shown.filter(function (sid) { return !seen.has(sid); }).length;
      document.title = count ? "(" + count + ") " + base : base;
    };
  }

  function pageUrl(key, cursor) {
    const params = new URLSearchParams(location.search);
    params.delete("before");
    params.delete("after");
    if (key) params.set(key, cursor);
    const query = params.toString();
    return "/" + (query ? "?" + query : "");
  }

  function drawList(listing) {
    const rows = document.getElementById("rows");
    rows.replaceChildren.apply(rows, listing.messages.map(listRow));
    document.getElementById("empty").hidden = listing.messages.length > 0;
    document.querySelector(".messages-wrap").hidden = listing.messages.length === 0;
    const older = document.getElementById("older");
    const newer = document.getElementById("newer");
    older.hidden = !listing.older;
    newer.hidden = !listing.newer;
    if (listing.older) older.href = pageUrl("before", listing.older);
    if (listing.newer) newer.href = pageUrl("after", listing.newer);
  }

  async function showLost() {
    const lost = await smsim.api("GET", "/_smsim/callbacks/lost");
    document.getElementById("lost-count").textContent = String(lost.count);
    document.getElementById("lost-noun").textContent = lost.count === 1 ? "callback" : "callbacks";
    document.getElementById("lost-box").hidden = lost.count === 0;
  }

  /** A form that redelivers lost callbacks (``scope`` adds ``message_sid``) to the URL
      typed, or each to its own when empty; says what happened, then ``after()``. */
  function redeliverLostForm(form, scope, after) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      smsim.clearErrors(form);
      const url = form.elements.url.value.trim();
      const body = Object.assign({ lost: true }, scope || {});
      if (url) body.url = url;
      button.disabled = true;
      try {
        const answer = await smsim.api("POST", "/_smsim/callbacks/redeliver", body);
        const text = "Redelivered " + answer.sent + ": " + answer.delivered + " answered 2xx, " +
          answer.failed + " failed; " + answer.still_lost + " still lost" +
          (answer.not_tried ? " (" + answer.not_tried + " not tried yet: press again)" : "");
        smsim.flash(text, answer.failed > 0);
      } catch (e) {
        smsim.showErrors(form, e);
      } finally {
        button.disabled = false;
      }
      await after();
    });
  }

  function listPage(root) {
    const pageSize = root.dataset.pageSize;
    const counter = titleCounter();
    const draw = unlessSame(drawList);
    const drawList_ = function (listing) { draw(listing); counter(listing.messages); };
    drawList_(initial());
    openRows(document.getElementById("rows"));
    const params = new URLSearchParams(location.search);
    const paged = params.has("before") || params.has("after");
    const refresh = live(async function () {
      if (paged) {
        document.getElementById("new-link").href = pageUrl(null);
        document.getElementById("new-banner").hidden = false;
      } else {
        params.set("limit", pageSize);
        drawList_(await smsim.api("GET", "/_smsim/messages?" + params.toString()));
      }
      await showLost();
    });
    redeliverLostForm(document.getElementById("redeliver-lost-form"), null, showLost);
    const copy = document.getElementById("copy-first-send");
    if (copy) copy.addEventListener("click", function () { smsim.copy(copy.dataset.copyCommand); });
    showLost().catch(function (e) { smsim.flash(e.message, true); });
    return refresh;
  }

  // -- a conversation ----------------------------------------------------------------------

  function bubble(m, handset) {
    const fromHandset = m.direction === "inbound";
    const meta = [
      timeEl(m.date_created_iso), " ",
      chip(m.status),
      m.error_code ? el("span", { class: "error", title: errorLabels(m), text: " " + errorText(m) }) : null,
      " ",
      el("a", { href: "/messages/" + encodeURIComponent(m.sid), text: "details" }),
    ];
    // Our side of the message, linked to every message of that number.
    const ours = fromHandset ? m.to : m.from;
    const who = ours ? [fromHandset ? "to " : "from ", el("a", { href: numberUrl(ours), text: ours })]
      : ["from (service)"];
    return el("li", { class: "bubble " + (fromHandset ? "mine" : "theirs"), "data-sid": m.sid }, [
      el("div", { class: "who muted" }, who),
      el("div", { class: "text", text: m.body }),
      el("div", { class: "meta muted" }, meta),
    ]);
  }

  function conversationPage(root) {
    const handset = root.dataset.handset;
    const accountSid = root.dataset.accountSid;
    const thread = document.getElementById("thread");
    const toSelect = document.getElementById("reply-to");
    const draw = unlessSame(function (listing) {
      const messages = listing.messages.slice().reverse();
      thread.replaceChildren.apply(thread, messages.map(function (m) { return bubble(m, handset); }));
      document.getElementById("thread-empty").hidden = messages.length > 0;
      const last = messages[messages.length - 1];
      if (last && !toSelect.dataset.touched) {
        const ours = last.direction === "inbound" ? last.to : last.from;
        if (Array.from(toSelect.options).some(function (o) { return o.value === ours; })) toSelect.value = ours;
      }
      thread.scrollTop = thread.scrollHeight;
    });
    toSelect.addEventListener("change", function () { toSelect.dataset.touched = "1"; });
    const accountPick = document.getElementById("c-account");
    accountPick.addEventListener("change", function () { accountPick.form.submit(); });
    draw(initial());
    const query = new URLSearchParams({ number: handset, limit: root.dataset.limit });
    if (accountSid) query.set("account_sid", accountSid);
    const refresh = live(async function () {
      draw(await smsim.api("GET", "/_smsim/messages?" + query.toString()));
    });
    const form = document.getElementById("reply-form");
    const text = document.getElementById("reply-body");
    async function send(body) {
      if (!toSelect.value) { smsim.flash("This account has no number to text", true); return; }
      try {
        const result = await smsim.api("POST", "/_smsim/inbound", { from: handset, to: toSelect.value, body: body });
        const hook = result.webhook || {};
        const said = hook.status === "delivered" ? "webhook answered " + hook.status_code
          : hook.status === "not_sent" ? "no webhook: " + (hook.reason || "")
          : "webhook " + hook.status + (hook.error ? ": " + hook.error : "");
        smsim.flash("Sent as " + handset + " — " + said, hook.status === "failed");
        text.value = "";
        refresh();
      } catch (e) {
        smsim.flash(e.message, true);
      }
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (text.value.trim()) send(text.value);
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    document.querySelectorAll("[data-keyword]").forEach(function (button) {
      button.addEventListener("click", function () { send(button.dataset.keyword); });
    });
  }

  // -- one message ---------------------------------------------------------------------------

  /** A dt/dd pair; fields without a value are left out, so the list stays short. */
  function field(name, value) {
    if (value === null || value === undefined || value === "") return [];
    return [el("dt", { text: name }), el("dd", {}, [value])];
  }

  function codeLink(text, href, title) {
    return el("a", { href: href, title: title || null }, [el("code", { text: text })]);
  }

  function drawFields(detail, origin) {
    const m = detail.message;
    const handset = handsetOf(m);
    const numberLink = function (value) {
      if (!value) return null;
      return value === handset
        ? el("a", { href: conversationUrl(m), title: "Conversation with " + handset, text: value })
        : el("a", { href: numberUrl(value), title: "Messages of " + value, text: value });
    };
    const rows = [
      field("SID", el("code", { text: m.sid })),
      field("Account", codeLink(m.account_sid, "/accounts#" + encodeURIComponent(m.account_sid), "The account")),
      field("Campaign", origin ? (origin.url ? el("a", { href: origin.url, text: origin.label + " ↗" })
                                              : origin.label + " (the client)") : null),
      field("Direction", m.direction),
      field("From", numberLink(m.from)),
      field("To", numberLink(m.to)),
      field("Status", chip(m.status)),
      field("Error", m.error_code ? errorField(m) : null),
      field("Segments", String(detail.segments) + (detail.encoding ? " (" + detail.encoding + ")" : "")),
      field("Price", m.price === null ? null : m.price + " " + (m.price_unit || "")),
      // Services are listed under their account on the Accounts page.
      field("Messaging Service", m.messaging_service_sid
        ? codeLink(m.messaging_service_sid, "/accounts#" + encodeURIComponent(m.account_sid), "Its account's services") : null),
      field("Created", timeEl(m.date_created_iso)),
      field("Sent", timeEl(m.date_sent_iso)),
      field("Updated", timeEl(m.date_updated_iso)),
      field("Scheduled for", detail.send_at_iso ? timeEl(detail.send_at_iso) : null),
      field("Validity period", detail.validity_period ? detail.validity_period + " s" : null),
      field("In reply to", detail.in_reply_to ? codeLink(detail.in_reply_to, messageUrl(detail.in_reply_to)) : null),
      field("Auto-reply to", detail.auto_reply),
      field("Media", detail.media_urls.length ? detail.media_urls.join(" ") : null),
      field("Conversation", el("a", { href: conversationUrl(m), text: "with " + handset })),
    ];
    const list = document.getElementById("fields");
    list.replaceChildren.apply(list, rows.flat());
    document.getElementById("body").textContent = m.body;
    document.getElementById("raw-json").textContent = JSON.stringify(m, null, 2);
    const head = document.getElementById("head-status");
    head.replaceChildren(chip(m.status));
  }

  /** The code with both descriptions, each labelled with whose it is. */
  function errorField(m) {
    const lines = [el("strong", { text: String(m.error_code) })];
    if (m.error_clevertap) lines.push(el("div", {}, [el("span", { class: "muted", text: "CleverTap: " }), m.error_clevertap]));
    if (m.error_description) lines.push(el("div", {}, [el("span", { class: "muted", text: "Twilio: " }), m.error_description]));
    if (m.error_details) lines.push(el("div", { class: "hint", text: m.error_details }));
    return el("div", {}, lines);
  }

  function drawTimeline(detail) {
    const list = document.getElementById("timeline");
    const start = detail.timeline.length ? detail.timeline[0].at : 0;
    list.replaceChildren.apply(list, detail.timeline.map(function (point) {
      const delta = point.at - start;
      return el("li", {}, [
        chip(point.status), " ", timeEl(point.at_iso),
        delta > 0 ? el("span", { class: "muted", text: " +" + delta.toFixed(2) + " s" }) : null,
      ]);
    }));
  }

  // Twilio's retry policies ("rp" in a URL's fragment) in words.
  const RETRY_ON = {
    ct: "the receiver cannot be reached",
    rt: "the receiver does not answer in time",
    "4xx": "the receiver answers HTTP 4xx",
    "5xx": "the receiver answers HTTP 5xx",
    all: "anything goes wrong",
  };

  function policyText(policy) {
    if (!policy) return "No webhook URL: nothing is sent.";
    const on = policy.retry_on.map(function (key) { return RETRY_ON[key] || key; });
    const retries = policy.retry_count === 0 ? "A failed callback is not tried again."
      : "A failed callback is tried again " + (policy.retry_count === 1 ? "once" : policy.retry_count + " times") +
        (on.length ? " when " + on.join(" or ") : "") + ".";
    const limits = " Each try waits up to " + policy.connect_timeout_s + " s to connect and " + policy.read_timeout_s +
      " s for the answer, " + policy.total_timeout_s + " s in all.";
    const source = policy.fragment
      ? " (Set by the URL's ending #" + policy.fragment + ", Twilio's connection overrides.)"
      : " (Twilio's defaults: the URL sets no connection overrides.)";
    return retries + limits + source;
  }

  function keyValues(pairs, highlight) {
    return el("table", { class: "kv" }, [el("tbody", {}, pairs.map(function ([key, value]) {
      return el("tr", { class: key === highlight ? "highlight" : null }, [
        el("th", { scope: "row", text: key }), el("td", { class: "mono", text: value }),
      ]);
    }))]);
  }

  /** What the receiver did, in words: "webhook answered 200", "no answer: ...". */
  function answerChip(a) {
    const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
    const text = a.status_code !== null ? "webhook answered " + a.status_code
      : "no answer" + (a.error ? ": " + a.error : "");
    return el("span", { class: "chip " + (ok ? "ok" : "bad"), title: text, text: text });
  }

  function attemptCard(a, number, actions) {
    const label = a.kind === "inbound" ? "inbound webhook" : "status callback reporting " + (a.params.MessageStatus || "");
    const flags = [
      answerChip(a),
      a.never_delivered ? chip("never delivered (gave up)", "bad") : null,
      a.redelivery ? chip("redelivered by hand", "warn") : null,
    ];
    const headers = Object.entries(a.headers || {});
    const redeliverTo = el("form", { class: "inline-form redeliver-to", hidden: true, novalidate: true }, [
      el("div", { class: "grow" }, [
        el("label", { for: "redeliver-" + a.id, text: "Send this callback to" }),
        el("input", { id: "redeliver-" + a.id, name: "url", type: "url", autocomplete: "off",
                      value: actions.defaultUrl || a.url }),
        el("div", { class: "field-error", "data-error-for": "url", role: "alert" }),
      ]),
      el("button", { type: "submit", text: "Send" }),
    ]);
    redeliverTo.addEventListener("submit", function (event) {
      event.preventDefault();
      actions.redeliver(a, redeliverTo.elements.url.value.trim(), redeliverTo);
    });
    return el("section", { class: "panel attempt" + (a.never_delivered ? " lost" : ""), "data-attempt": a.id }, [
      el("div", { class: "attempt-head" }, [
        el("strong", { class: "attempt-number", text: "Attempt " + number }), " ",
        el("span", { text: label + (a.attempt > 1 ? " (try " + a.attempt + ")" : "") }), " ", ...flags, " ",
        el("span", { class: "muted" }, [timeEl(a.at_iso), " · " + a.duration_ms + " ms"]),
        el("span", { class: "actions" }, [
          el("button", { type: "button", class: "secondary redeliver", onclick: function () { actions.redeliver(a, null, null); },
                         text: "Redeliver", title: "Send the same request to the same URL again" }),
          el("button", { type: "button", class: "secondary redeliver-elsewhere",
                         onclick: function () { redeliverTo.hidden = !redeliverTo.hidden; if (!redeliverTo.hidden) redeliverTo.elements.url.focus(); },
                         text: "Redeliver to…" }),
          el("button", { type: "button", class: "secondary copy-curl", onclick: function () { smsim.copy(a.curl); }, text: "Copy as curl" }),
        ]),
      ]),
      redeliverTo,
      el("p", { class: "mono request-line", text: a.method + " " + a.url }),
      a.error ? el("p", { class: "field-error", text: "Error: " + a.error }) : null,
      el("details", {}, [el("summary", { text: "Parameters (" + a.form.length + ")" }), keyValues(a.form)]),
      el("details", { open: true }, [el("summary", { text: "Headers" }), keyValues(headers, SIGNATURE)]),
      el("details", {}, [
        el("summary", { text: "Response " + (a.status_code === null ? "(none)" : a.status_code) }),
        el("pre", { class: "response", text: a.response_body || "(empty)" }),
      ]),
      el("details", {}, [el("summary", { text: "As curl" }), el("pre", { class: "curl", text: a.curl })]),
    ]);
  }

  function messagePage(root) {
    const sid = root.dataset.sid;
    const origin = root.dataset.originLabel ? { label: root.dataset.originLabel, url: root.dataset.originUrl } : null;
    async function reload() { draw(await smsim.api("GET", "/_smsim/messages/" + encodeURIComponent(sid))); }
    async function redeliver(attempt, url, form) {
      if (form) smsim.clearErrors(form);
      try {
        const sent = await smsim.api("POST", "/_smsim/callbacks/" + attempt.id + "/redeliver", url ? { url: url } : {});
        const ok = sent.status_code !== null && sent.status_code >= 200 && sent.status_code < 300;
        smsim.flash("Redelivered to " + sent.url + ": " + (sent.status_code !== null ? "webhook answered " + sent.status_code : sent.error), !ok);
        await reload();
      } catch (e) {
        if (form) smsim.showErrors(form, e);
        else smsim.flash(e.message, true);
      }
    }
    const actions = { redeliver: redeliver, defaultUrl: root.dataset.redeliverUrl };
    const draw = unlessSame(function (detail) {
      drawFields(detail, origin);
      drawTimeline(detail);
      document.getElementById("policy").textContent = policyText(detail.webhook);
      document.getElementById("lost-box").hidden = !detail.never_delivered;
      document.getElementById("lost-flag").textContent = detail.never_delivered + " callback" +
        (detail.never_delivered === 1 ? " was" : "s were") + " never delivered";
      const list = document.getElementById("attempts");
      // Numbered per message, oldest first: a retry or a redelivery continues the count.
      list.replaceChildren.apply(list, detail.callbacks.map(function (a, i) { return attemptCard(a, i + 1, actions); }));
      document.getElementById("no-attempts").hidden = detail.callbacks.length > 0;
    });
    draw(initial());
    redeliverLostForm(document.getElementById("redeliver-lost-form"), { message_sid: sid }, reload);
    live(reload);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("inbox-page");
    if (!root) return;
    const pages = { list: listPage, conversation: conversationPage, message: messagePage };
    pages[root.dataset.page](root);
  });

})();
