/* Outcomes page: the rule editor over /_smsim/rules (create, list with remaining counts,
   delete one, delete all) and the catalogue's "Rule" buttons. */
"use strict";
(function () {
  const el = smsim.el;
  const form = document.getElementById("rule-form");
  const body = document.getElementById("rules-body");
  const MATCH_KEYS = ["to", "to_prefix", "from", "body_contains"];
  const DELAY_STEPS = ["sending", "sent", "delivered"];
  const POLL_MS = 3000;
  let shown = null;

  function value(name) { return form.elements[name].value.trim(); }

  function ruleFromForm() {
    const match = {};
    MATCH_KEYS.forEach(function (key) { if (value(key)) match[key] = value(key); });
    const outcome = {};
    const code = value("error_code");
    if (code) outcome.error_code = /^\d+$/.test(code) ? Number(code) : code;
    if (value("status")) outcome.status = value("status");
    const delays = {};
    DELAY_STEPS.forEach(function (step) {
      const delay = smsimAdmin.numberOrText(value("delays." + step));
      if (delay !== undefined) delays[step] = delay;
    });
    if (Object.keys(delays).length) outcome.delays = delays;
    const rule = { match: match, outcome: outcome };
    const probability = smsimAdmin.numberOrText(value("probability"));
    if (probability !== undefined) rule.probability = probability;
    const count = smsimAdmin.numberOrText(value("count"));
    if (count !== undefined) rule.count = count;
    return rule;
  }

  /** "rule.match.to" -> "to", "rule.outcome.delays.sent" -> "delays.sent", "rule.outcome" -> error_code. */
  function fieldOf(path) {
    const parts = path.replace(/^rule\.?/, "").split(".").filter(Boolean);
    if (parts[0] === "match" || parts[0] === "outcome") parts.shift();
    const name = parts.join(".");
    return name === "" ? "error_code" : name;
  }

  function describeMatch(match) {
    const labels = { to: "To is", to_prefix: "To starts with", from: "From is", body_contains: "Body contains" };
    const keys = Object.keys(match || {});
    if (!keys.length) return [el("span", { class: "muted", text: "every message" })];
    return keys.map(function (key) {
      return el("div", {}, [el("span", { class: "muted", text: labels[key] || key }), " ",
                            el("code", { text: match[key] })]);
    });
  }

  function describeOutcome(outcome) {
    const parts = [smsim.chip(outcome.status)];
    if (outcome.error_code !== null && outcome.error_code !== undefined) {
      parts.push(" ", el("code", { text: String(outcome.error_code) }));
    }
    const delays = Object.entries(outcome.delays || {});
    if (delays.length) {
      parts.push(el("div", { class: "hint", text: "after " + delays.map(function ([step, s]) {
        return step + " " + s + " s";
      }).join(", ") }));
    }
    return parts;
  }

  function remaining(rule) {
    if (rule.count === null || rule.count === undefined) return "unlimited";
    return rule.remaining + " of " + rule.count;
  }

  function render(rules) {
    const text = JSON.stringify(rules);
    if (text === shown) return;
    shown = text;
    body.replaceChildren();
    if (!rules.length) {
      body.append(el("tr", {}, [el("td", { colspan: 6, class: "empty",
        text: "No rules: messages end by their number, else by the carrier profile." })]));
      return;
    }
    rules.forEach(function (rule) {
      const done = rule.count !== null && rule.count !== undefined && rule.remaining <= 0;
      body.append(el("tr", { "data-rule-id": rule.id, class: done ? "muted" : "" }, [
        el("td", { "data-label": "Rule", text: String(rule.id) }),
        el("td", { "data-label": "Match" }, describeMatch(rule.match)),
        el("td", { "data-label": "Outcome" }, describeOutcome(rule.outcome)),
        el("td", { "data-label": "Probability", text: String(rule.probability) }),
        el("td", { class: "remaining", "data-label": "Remaining",
                   text: remaining(rule) + (done ? " (used up)" : "") }),
        el("td", {}, [el("button", { type: "button", class: "secondary small",
          "data-delete-rule": rule.id, "aria-label": "Delete rule " + rule.id }, ["Delete"])]),
      ]));
    });
  }

  async function load() {
    try {
      render((await smsim.api("GET", "/_smsim/rules")).rules);
    } catch (error) {
      smsim.flash("Could not load the rules: " + error.message, true);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    smsim.clearErrors(form);
    try {
      const rule = await smsim.api("POST", "/_smsim/rules", ruleFromForm());
      smsim.flash("Rule " + rule.id + " added");
      form.reset();
      await load();
    } catch (error) {
      smsim.showErrors(form, error, fieldOf);
    }
  });
  form.addEventListener("reset", function () { smsim.clearErrors(form); });

  body.addEventListener("click", async function (event) {
    const button = event.target.closest("[data-delete-rule]");
    if (!button) return;
    try {
      await smsim.api("DELETE", "/_smsim/rules/" + encodeURIComponent(button.dataset.deleteRule));
      smsim.flash("Rule " + button.dataset.deleteRule + " deleted");
    } catch (error) {
      smsim.flash(error.message, true);
    }
    await load();
  });

  document.getElementById("rules-clear").addEventListener("click", async function () {
    if (!window.confirm("Delete every rule?")) return;
    try {
      const answer = await smsim.api("DELETE", "/_smsim/rules");
      smsim.flash(answer.deleted + " rule(s) deleted");
    } catch (error) {
      smsim.flash(error.message, true);
    }
    await load();
  });

  document.getElementById("catalogue").addEventListener("click", function (event) {
    const button = event.target.closest("[data-rule-code]");
    if (!button) return;
    form.elements.error_code.value = button.dataset.ruleCode;
    form.elements.status.value = "";
    form.scrollIntoView({ block: "start" });
    form.elements.to.focus();
  });

  load();
  // Remaining counts drop as messages match; a short poll keeps them current.
  setInterval(function () { if (document.visibilityState === "visible") load(); }, POLL_MS);
})();
