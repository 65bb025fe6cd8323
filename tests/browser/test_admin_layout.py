"""The admin pages fit a laptop (1280x800) and a phone (400 px wide): no horizontal scroll,
and every control on screen, even with long unbroken user data."""

from __future__ import annotations

from browser_helpers import wait_for
from selenium.webdriver.common.by import By

LONG = "x" * 120

# Page -> an element that exists once its script has rendered the state.
PAGES = {
    "/outcomes": "#rules-body [data-delete-rule]",
    "/accounts": "article.account form",
    "/clock": "#clock-mode:not(:empty)",
}

OVERFLOW = """
const width = window.innerWidth;
const outside = [...document.querySelectorAll('button, input, select, a, h2')]
  .filter(node => node.offsetParent !== null)
  .filter(node => {
    const r = node.getBoundingClientRect();
    return r.left < 0 || r.right > width + 0.5;
  })
  .map(node => node.outerHTML.slice(0, 80));
const scrolled = [...document.querySelectorAll('.table-wrap')]
  .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1).map(wrap => wrap.firstElementChild.id);
return {scroll: document.documentElement.scrollWidth, width: width, outside: outside,
        scrolled: scrolled};
"""


def test_admin_pages_have_no_horizontal_scroll_at_1280_or_400(
    browser, simulator, smsim_control
) -> None:
    smsim_control.add_rule(
        {"match": {"body_contains": LONG, "to_prefix": "+44"}, "outcome": {"error_code": 30003}}
    )
    smsim_control.create_account(
        "trial",
        friendly_name=LONG,
        numbers=[{"phone_number": "+14155550199", "sms_url": f"http://127.0.0.1:9/{LONG}"}],
        verified_numbers=["+12125550123"],
    )
    for width in (1280, 400):
        browser.set_window_size(width, 800)
        for path, ready in PAGES.items():
            browser.get(simulator.url + path)
            wait_for(browser, lambda d, css=ready: d.find_elements(By.CSS_SELECTOR, css))
            layout = browser.execute_script(OVERFLOW)
            assert layout["scroll"] <= layout["width"], (path, width, layout)
            assert layout["outside"] == [], (path, width, layout)
            assert layout["scrolled"] == [], (path, width, layout)

    # Still usable on the phone: the rule editor works at 400 px (the last width above).
    browser.get(simulator.url + "/outcomes")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, PAGES["/outcomes"]))
    browser.find_element(By.ID, "rule-to").send_keys("+14155550123")
    browser.find_element(By.ID, "rule-error_code").send_keys("30006")
    browser.find_element(By.ID, "rule-add").click()
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-delete-rule]")) == 2)
    assert smsim_control.rules()[-1]["outcome"]["error_code"] == 30006
