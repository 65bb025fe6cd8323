"""The one helper library both web UIs load (smsim.js), run in the browser on a page of each:
elements built by its one convention with data kept as text, chips, times, and an API's
complaints put next to the fields they name, whichever shape the answer has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_helpers import wait_for

from smsim.client import ClientConfig, ClientServer

BUILD = """
let clicks = 0;
const select = smsim.el("select", { name: "pick", value: "b" },
  ["a", "b"].map(function (v) { return smsim.el("option", { value: v }, v); }));
const node = smsim.el("p", { class: "one two", "data-id": 7, "aria-label": "said", hidden: false,
                             title: null, onclick: function () { clicks += 1; } },
  "<b>bold?</b>", 3, ["!", null, false, undefined], smsim.el("i", { text: "<i>" }), select);
node.click();
return { html: node.innerHTML.split("<select")[0], cls: node.className, id: node.dataset.id,
         label: node.getAttribute("aria-label"), hidden: node.hasAttribute("hidden"),
         title: node.hasAttribute("title"), clicks: clicks, picked: select.value,
         chip: smsim.chip("failed").outerHTML, kinded: smsim.chip("default", "ok").className,
         none: smsim.time(null).textContent,
         epoch: smsim.time(0).getAttribute("title"),
         iso: smsim.time("2026-01-02T03:04:05.123456Z").getAttribute("datetime") };
"""

ERRORS = """
const form = smsim.el("form", {},
  smsim.el("input", { name: "to" }), smsim.el("div", { id: "to-err", "data-error-for": "to" }),
  smsim.el("input", { name: "body" }), smsim.el("div", { "data-error-for": "body" }),
  smsim.el("div", { "data-error-for": "", "data-summary": "Fix the marked fields." }));
document.body.append(form);
const read = function () {
  return { to: form.querySelector('[data-error-for="to"]').textContent,
           body: form.querySelector('[data-error-for="body"]').textContent,
           general: form.querySelector('[data-error-for=""]').textContent,
           invalid: Array.from(form.querySelectorAll("[aria-invalid]"))
             .map(function (i) { return i.name; }),
           described: form.elements.to.getAttribute("aria-describedby"),
           focused: document.activeElement.name || null };
};
const fail = function (message, data) { const e = new Error(message); e.data = data; return e; };
const out = {};
smsim.showErrors(form, fail("bad", { fields: { to: "not E.164", body: "too long" } }));
out.fields = read();
smsim.showErrors(form, fail("bad", { errors: [{ field: "body", message: "empty" },
                                              { field: "body", message: "too short" },
                                              { field: "media", message: "not taken" }] }));
out.listed = read();
smsim.showErrors(form, fail("to: no such number"));
out.text = read();
smsim.showErrors(form, fail("the server is down"));
out.plain = read();
smsim.showErrors(form, fail("body: empty"), function () { return null; });
out.mapped = read();
smsim.clearErrors(form);
out.cleared = read();
form.remove();
return out;
"""


@pytest.fixture
def client_url(simulator: Any) -> Iterator[str]:
    config = ClientConfig(memory=True, twilio_base_url=simulator.url, account_id="acme")
    with ClientServer(config) as client:
        yield client.url


def _open(browser: Any, url: str) -> None:
    browser.get(url)
    wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize("ui", ["simulator", "client"])
def test_both_uis_build_elements_by_one_convention_and_keep_data_as_text(
    browser: Any, simulator: Any, client_url: str, ui: str
) -> None:
    _open(browser, (simulator.url + "/clock") if ui == "simulator" else (client_url + "/events"))
    got = browser.execute_script(BUILD)
    assert got["html"] == "&lt;b&gt;bold?&lt;/b&gt;3!<i>&lt;i&gt;</i>"
    assert got["cls"] == "one two" and got["id"] == "7" and got["label"] == "said"
    assert got["hidden"] is False and got["title"] is False  # false and null leave it out
    assert got["clicks"] == 1  # on<event> is a listener
    assert got["picked"] == "b"  # a select's value is set once its options are in
    assert got["chip"] == '<span class="chip failed">failed</span>'
    assert got["kinded"] == "chip ok"
    assert got["none"] == "\N{EN DASH}"
    assert got["epoch"] == "1970-01-01T00:00:00.000Z"  # epoch seconds: ISO on hover
    assert got["iso"] == "2026-01-02T03:04:05.123456Z"  # ISO text: as the server wrote it


@pytest.mark.parametrize("ui", ["simulator", "client"])
def test_both_uis_put_an_apis_complaints_next_to_the_fields_they_name(
    browser: Any, simulator: Any, client_url: str, ui: str
) -> None:
    _open(browser, (simulator.url + "/clock") if ui == "simulator" else (client_url + "/events"))
    got = browser.execute_script(ERRORS)
    # The client's settings: {field: message}; every field placed, the summary shown.
    assert got["fields"] == {
        "to": "not E.164",
        "body": "too long",
        "general": "Fix the marked fields.",
        "invalid": ["to", "body"],
        "described": "to-err",
        "focused": "to",
    }
    # The control API's envelope: a list; two on one field join, an unknown field goes to
    # the general box, and the last answer's marks are cleared first.
    assert got["listed"]["to"] == "" and got["listed"]["body"] == "empty; too short"
    assert got["listed"]["general"] == "media: not taken"
    assert got["listed"]["invalid"] == ["body"] and got["listed"]["focused"] == "body"
    # One message naming a field, then one naming none.
    assert got["text"]["to"] == "no such number"
    assert got["text"]["general"] == "Fix the marked fields."
    assert got["plain"]["general"] == "the server is down" and got["plain"]["invalid"] == []
    # A page that maps a field to none of its own shows the whole message in the general box.
    assert got["mapped"]["body"] == "" and got["mapped"]["general"] == "body: empty"
    cleared = got["cleared"]
    assert (cleared["to"], cleared["body"], cleared["general"]) == ("", "", "")
    assert cleared["invalid"] == []
