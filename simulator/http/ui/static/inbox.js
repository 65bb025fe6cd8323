/* The simulator inbox's pages: the live message list, a conversation, a message's detail.
   Everything from message data goes into the page as text (textContent), never as HTML. */
"use strict";
window.inbox = (function () {
  const SIGNATURE = "X-Twilio-Signature";

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function chip(status, extra) {
    return el("span", { className: "chip " + (extra || status), text: status });
  }

  function timeEl(iso) {
    if (!iso) return el("span", { className: "muted", text: "—" });
    return el("time", { datetime: iso, title: iso, text: smsim.humanTime(iso) });
  }

  /** The handset side of a message: who texted in, or who was texted. */
  function handsetOf(m) {
    return m.direction === "inbound" ? m.from : m.to;
  }

  function conversationUrl(m) {
    return "/conversations/" + encodeURIComponent(handsetOf(m)) +
      "?account_sid=" + encodeURIComponent(m.account_sid);
  }

  function errorText(m) {
    if (m.error_code === null || m.error_code === undefined) return "";
    return m.error_code + (m.error_description ? " " + m.error_description : "");
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
    const number = function (value, className) {
      const content = value && value === handset
        ? el("a", { href: conversationUrl(m), title: "Conversation with " + handset, text: value })
        : (value || "");
      return el("td", { className: className }, [content]);
    };
    return el("tr", { "data-sid": m.sid }, [
      el("td", { className: "time" }, [
        el("a", { href: "/messages/" + encodeURIComponent(m.sid), title: m.date_created_iso },
          [smsim.humanTime(m.date_created_iso)]),
      ]),
      el("td", { className: "hide-narrow dir", text: m.direction }),
      number(m.from, "num hide-narrow"),
      number(m.to, "num"),
      el("td", { className: "truncate body", title: m.body, text: m.body }),
      el("td", {}, [chip(m.status)]),
      el("td", { className: "hide-narrow error", title: m.error_details || "", text: errorText(m) }),
    ]);
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
    document.getElementById("lost-link").hidden = lost.count === 0;
  }

  function listPage(root) {
    const pageSize = root.dataset.pageSize;
    const drawList_ = unlessSame(drawList);
    drawList_(initial());
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
    showLost().catch(function (e) { smsim.flash(e.message, true); });
    return refresh;
  }

  // -- a conversation ----------------------------------------------------------------------

  function bubble(m, handset) {
    const fromHandset = m.direction === "inbound";
    const meta = [
      timeEl(m.date_created_iso), " ",
      chip(m.status),
      m.error_code ? el("span", { className: "error", text: " " + errorText(m) }) : null,
      " ",
      el("a", { href: "/messages/" + encodeURIComponent(m.sid), text: "details" }),
    ];
    const other = fromHandset ? "to " + m.to : "from " + (m.from || "(service)");
    return el("li", { className: "bubble " + (fromHandset ? "mine" : "theirs"), "data-sid": m.sid }, [
      el("div", { className: "who muted", text: other }),
      el("div", { className: "text", text: m.body }),
      el("div", { className: "meta muted" }, meta),
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

  function drawFields(detail) {
    const m = detail.message;
    const rows = [
      field("SID", el("code", { text: m.sid })),
      field("Account", el("code", { text: m.account_sid })),
      field("Direction", m.direction),
      field("From", m.from),
      field("To", m.to),
      field("Status", chip(m.status)),
      field("Error", m.error_code ? el("span", { title: m.error_details || "", text: errorText(m) }) : null),
      field("Segments", String(detail.segments) + (detail.encoding ? " (" + detail.encoding + ")" : "")),
      field("Price", m.price === null ? null : m.price + " " + (m.price_unit || "")),
      field("Messaging Service", m.messaging_service_sid),
      field("Created", timeEl(m.date_created_iso)),
      field("Sent", timeEl(m.date_sent_iso)),
      field("Updated", timeEl(m.date_updated_iso)),
      field("Scheduled for", detail.send_at_iso ? timeEl(detail.send_at_iso) : null),
      field("Validity period", detail.validity_period ? detail.validity_period + " s" : null),
      field("In reply to", detail.in_reply_to ? el("a", { href: "/messages/" + encodeURIComponent(detail.in_reply_to), text: detail.in_reply_to }) : null),
      field("Auto-reply to", detail.auto_reply),
      field("Media", detail.media_urls.length ? detail.media_urls.join(" ") : null),
      field("Conversation", el("a", { href: conversationUrl(m), text: "with " + handsetOf(m) })),
    ];
    const list = document.getElementById("fields");
    list.replaceChildren.apply(list, rows.flat());
    document.getElementById("body").textContent = m.body;
    const head = document.getElementById("head-status");
    head.replaceChildren(chip(m.status));
  }

  function drawTimeline(detail) {
    const list = document.getElementById("timeline");
    const start = detail.timeline.length ? detail.timeline[0].at : 0;
    list.replaceChildren.apply(list, detail.timeline.map(function (point) {
      const delta = point.at - start;
      return el("li", {}, [
        chip(point.status), " ", timeEl(point.at_iso),
        delta > 0 ? el("span", { className: "muted", text: " +" + delta.toFixed(2) + " s" }) : null,
      ]);
    }));
  }

  function policyText(policy) {
    if (!policy) return "No webhook URL: nothing is sent.";
    return (policy.fragment ? "Fragment #" + policy.fragment + ": " : "No fragment (Twilio's defaults): ") +
      policy.retry_count + " retr" + (policy.retry_count === 1 ? "y" : "ies") + " on " + policy.retry_on.join(", ") +
      "; connect timeout " + policy.connect_timeout_s + " s, read " + policy.read_timeout_s +
      " s, total " + policy.total_timeout_s + " s";
  }

  function keyValues(pairs, highlight) {
    return el("table", { className: "kv" }, [el("tbody", {}, pairs.map(function ([key, value]) {
      return el("tr", { className: key === highlight ? "highlight" : null }, [
        el("th", { scope: "row", text: key }), el("td", { className: "mono", text: value }),
      ]);
    }))]);
  }

  function attemptCard(a, onRedeliver) {
    const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
    const outcome = a.status_code !== null ? "HTTP " + a.status_code : (a.error || "no response");
    const flags = [
      chip(ok ? "delivered" : "failed", ok ? "ok" : "bad"),
      a.never_delivered ? chip("never delivered", "bad") : null,
      a.redelivery ? chip("redelivery", "warn") : null,
    ];
    const label = a.kind === "inbound" ? "inbound webhook" : "status callback: " + (a.params.MessageStatus || "");
    const headers = Object.entries(a.headers || {});
    return el("section", { className: "panel attempt" + (a.never_delivered ? " lost" : ""), "data-attempt": a.id }, [
      el("div", { className: "attempt-head" }, [
        el("strong", { text: "Attempt " + a.attempt }), " ",
        el("span", { text: label }), " ", ...flags, " ",
        el("span", { className: "muted" }, [timeEl(a.at_iso), " · " + outcome + " · " + a.duration_ms + " ms"]),
        el("span", { className: "actions" }, [
          el("button", { type: "button", className: "secondary redeliver", onclick: function () { onRedeliver(a); }, text: "Redeliver" }),
          " ",
          el("button", { type: "button", className: "secondary copy-curl", onclick: function () { smsim.copy(a.curl); }, text: "Copy as curl" }),
        ]),
      ]),
      el("p", { className: "mono request-line", text: a.method + " " + a.url }),
      a.error ? el("p", { className: "field-error", text: "Error: " + a.error }) : null,
      el("details", {}, [el("summary", { text: "Parameters (" + a.form.length + ")" }), keyValues(a.form)]),
      el("details", { open: true }, [el("summary", { text: "Headers" }), keyValues(headers, SIGNATURE)]),
      el("details", {}, [
        el("summary", { text: "Response " + (a.status_code === null ? "(none)" : a.status_code) }),
        el("pre", { className: "response", text: a.response_body || "(empty)" }),
      ]),
      el("details", {}, [el("summary", { text: "As curl" }), el("pre", { className: "curl", text: a.curl })]),
    ]);
  }

  function messagePage(root) {
    const sid = root.dataset.sid;
    async function redeliver(attempt) {
      try {
        const sent = await smsim.api("POST", "/_smsim/callbacks/" + attempt.id + "/redeliver", {});
        const ok = sent.status_code !== null && sent.status_code >= 200 && sent.status_code < 300;
        smsim.flash("Redelivered: " + (sent.status_code !== null ? "HTTP " + sent.status_code : sent.error), !ok);
        draw(await smsim.api("GET", "/_smsim/messages/" + encodeURIComponent(sid)));
      } catch (e) {
        smsim.flash(e.message, true);
      }
    }
    const draw = unlessSame(function (detail) {
      drawFields(detail);
      drawTimeline(detail);
      document.getElementById("policy").textContent = policyText(detail.webhook);
      const lost = document.getElementById("lost-flag");
      lost.hidden = !detail.never_delivered;
      lost.textContent = detail.never_delivered + " callback" + (detail.never_delivered === 1 ? " was" : "s were") + " never delivered";
      const list = document.getElementById("attempts");
      list.replaceChildren.apply(list, detail.callbacks.map(function (a) { return attemptCard(a, redeliver); }));
      document.getElementById("no-attempts").hidden = detail.callbacks.length > 0;
    });
    draw(initial());
    live(async function () { draw(await smsim.api("GET", "/_smsim/messages/" + encodeURIComponent(sid))); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("inbox-page");
    if (!root) return;
    const pages = { list: listPage, conversation: conversationPage, message: messagePage };
    pages[root.dataset.page](root);
  });

  return { el: el, chip: chip, handsetOf: handsetOf };
})();
