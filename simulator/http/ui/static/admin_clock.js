/* Clock page: mode, a ticking "now", pending jobs; advance and run-until-idle on a virtual
   clock (disabled, with the reason, on a real one). State comes from /_smsim/clock. */
"use strict";
(function () {
  const form = document.getElementById("advance-form");
  const nowNode = document.getElementById("clock-now");
  const nextNode = document.getElementById("clock-next");
  const result = document.getElementById("clock-result");
  const SYNC_MS = 2000;
  let state = null; // the last /_smsim/clock answer
  let fetchedAt = 0; // performance.now() when it came

  function showTime(node, epoch) {
    if (epoch === null || epoch === undefined) {
      node.textContent = "—";
      node.removeAttribute("datetime");
      node.title = "";
      return;
    }
    node.textContent = smsim.humanTime(epoch);
    node.setAttribute("datetime", smsim.isoTime(epoch));
    node.title = smsim.isoTime(epoch);
  }

  /** What the clock reads now: a real clock keeps moving between syncs, a virtual one does not. */
  function currentNow() {
    if (!state) return null;
    if (state.mode === "virtual") return state.now;
    return state.now + (performance.now() - fetchedAt) / 1000;
  }

  function render() {
    if (!state) return;
    const virtual = state.mode === "virtual";
    document.getElementById("clock-mode").textContent = state.mode;
    document.getElementById("clock-pending").textContent = String(state.pending_jobs);
    showTime(nowNode, currentNow());
    nowNode.dataset.epoch = String(state.now);
    showTime(nextNode, state.next_due);
    document.getElementById("clock-real-note").hidden = virtual;
    form.querySelectorAll("[data-needs-virtual]").forEach(function (button) {
      button.disabled = !virtual;
    });
    form.elements.seconds.disabled = !virtual;
  }

  function accept(answer) {
    state = answer;
    fetchedAt = performance.now();
    render();
  }

  async function sync() {
    try {
      accept(await smsim.api("GET", "/_smsim/clock"));
    } catch (error) {
      smsim.flash("Could not read the clock: " + error.message, true);
    }
  }

  async function move(url, body) {
    smsim.clearErrors(form);
    try {
      const answer = await smsim.api("POST", url, body);
      accept(answer);
      result.textContent = "Ran " + answer.jobs_run + " job" + (answer.jobs_run === 1 ? "" : "s") +
        "; the clock reads " + smsim.humanTime(answer.now) + ".";
    } catch (error) {
      smsim.showErrors(form, error, function (path) { return path; });
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    move("/_smsim/clock/advance", { seconds: smsimAdmin.numberOrText(form.elements.seconds.value) });
  });
  form.querySelectorAll("[data-advance]").forEach(function (button) {
    button.addEventListener("click", function () {
      move("/_smsim/clock/advance", { seconds: Number(button.dataset.advance) });
    });
  });
  document.getElementById("run-until-idle").addEventListener("click", function () {
    move("/_smsim/clock/run-until-idle", {});
  });

  sync();
  // A real clock ticks every second; both kinds re-sync every few seconds, since tests and
  // scripts move a virtual clock and queue jobs too.
  setInterval(function () { if (state && state.mode === "real") showTime(nowNode, currentNow()); }, 1000);
  setInterval(function () { if (document.visibilityState === "visible") sync(); }, SYNC_MS);
})();
