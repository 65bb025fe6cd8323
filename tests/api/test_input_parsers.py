"""One parser per kind of input, so a rule is checked the same on every route: page
sizes on every list, SIDs (``ContentSid``, account SIDs), and webhook URLs on every
route that takes one."""

from __future__ import annotations

import pytest
import requests

from smsim.contracts import callback_url
from smsim.simulator.ids import is_sid

FROM = "+14155550100"
HEX = "0123456789abcdef" * 2


def _auth(account):
    return (account["sid"], account["auth_token"])


def _lists(simulator, account, message_sid):
    base = f"{simulator.url}/2010-04-01/Accounts/{account['sid']}"
    return [
        f"{base}/Messages.json",
        f"{base}/Messages/{message_sid}/Media.json",
        f"{base}/IncomingPhoneNumbers.json",
        f"{base}/OutgoingCallerIds.json",
        f"{simulator.url}/2010-04-01/Accounts.json",
        f"{simulator.url}/v1/Services",
    ]


@pytest.fixture
def message_sid(simulator, twilio_account) -> str:
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        data={"To": "+14155550199", "From": FROM, "Body": "hi"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


# Arabic-Indic five, a sign, a space, an underscore, past the maximum, zero, negative.
BAD_PAGE_SIZES = ["%D9%A5", "%2B5", "%205", "5_0", "1001", "0", "-5", "1" * 40, "five"]


@pytest.mark.parametrize("raw", BAD_PAGE_SIZES)
def test_every_list_refuses_the_same_page_sizes_with_the_same_error(
    simulator, twilio_account, message_sid, raw
):
    for url in _lists(simulator, twilio_account, message_sid):
        response = requests.get(f"{url}?PageSize={raw}", auth=_auth(twilio_account), timeout=5)
        assert response.status_code == 400, (url, raw, response.text)
        body = response.json()
        assert (body["code"], body["status"]) == (20001, 400), url
        assert "PageSize" in body["message"]


def test_every_list_takes_page_sizes_from_1_to_1000(simulator, twilio_account, message_sid):
    for url in _lists(simulator, twilio_account, message_sid):
        for size in ("1", "1000"):
            response = requests.get(f"{url}?PageSize={size}", auth=_auth(twilio_account), timeout=5)
            assert response.status_code == 200, (url, size, response.text)
    page = requests.get(
        _lists(simulator, twilio_account, message_sid)[0] + "?PageSize=1000",
        auth=_auth(twilio_account),
        timeout=5,
    ).json()
    assert page["page_size"] == 1000


@pytest.mark.parametrize(
    "content_sid", ["0" * 34, "HX" + "0" * 31, "HX" + "g" * 32, "MG" + HEX, f"HX{HEX}\n"]
)
def test_an_invalid_content_sid_is_21655(simulator, twilio_account, content_sid):
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        data={"To": "+14155550199", "From": FROM, "ContentSid": content_sid},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], body["more_info"]) == (21655, "https://www.twilio.com/docs/errors/21655")


def test_a_valid_content_sid_is_accepted(simulator, twilio_account):
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        data={"To": "+14155550199", "From": FROM, "ContentSid": "HX" + HEX},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 201, response.text


def test_a_sid_is_a_whole_match():
    assert is_sid("SM" + HEX, "SM")
    assert not is_sid("SM" + HEX + "\n", "SM")
    assert not is_sid("SM" + HEX[:-1], "SM")
    assert not is_sid("MG" + HEX, "SM")
    assert not is_sid(None, "SM")


def test_an_account_spec_sid_with_a_trailing_newline_is_refused(simulator):
    response = requests.post(
        f"{simulator.url}/_smsim/accounts", json={"sid": f"AC{HEX}\n"}, timeout=5
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("sid: ")


BAD_URLS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://example.com/in",
    "/relative/path",
    "http://exa\nmple.com/in",
    "http://example.com/in put",
    "http://bad host.example.com/",
    "http://" + "a" * 2100 + ".example.com/",
    "http://under_score.example.com/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_control_api_refuses_a_bad_sms_url_as_the_update_route_does(
    simulator, twilio_account, url
):
    base = f"{simulator.url}/_smsim/accounts"
    added = requests.post(
        f"{base}/{twilio_account['sid']}/numbers",
        json={"phone_number": "+14155550123", "sms_url": url},
        timeout=5,
    )
    assert added.status_code == 400, added.text
    assert added.json()["code"] == 21502
    assert added.json()["message"].startswith("sms_url")
    number_sid = twilio_account["numbers"][0]["sid"]
    updated = requests.post(
        f"{base}/{twilio_account['sid']}/numbers/{number_sid}", json={"sms_url": url}, timeout=5
    )
    assert (updated.status_code, updated.json()["code"]) == (400, 21502)
    created = requests.post(
        base, json={"numbers": [{"phone_number": "+14155550124", "sms_url": url}]}, timeout=5
    )
    assert (created.status_code, created.json()["code"]) == (400, 21502)
    assert created.json()["message"].startswith("numbers[0].sms_url: ")
    # Nothing was added: an inbound text to the refused number reaches no webhook.
    accounts = requests.get(base, timeout=5).json()["accounts"]
    numbers = {n["phone_number"] for a in accounts for n in a["numbers"]}
    assert not numbers & {"+14155550123", "+14155550124"}


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_twilio_surface_refuses_the_same_webhook_urls(simulator, twilio_account, url):
    base = f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}"
    auth = _auth(twilio_account)
    message = requests.post(
        f"{base}/Messages.json",
        data={"To": "+14155550199", "From": FROM, "Body": "x", "StatusCallback": url},
        auth=auth,
        timeout=5,
    )
    assert (message.status_code, message.json()["code"]) == (400, 21609)
    for field in ("SmsUrl", "SmsFallbackUrl", "StatusCallback"):
        number = requests.post(
            f"{base}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": "+14155550125", field: url},
            auth=auth,
            timeout=5,
        )
        assert (number.status_code, number.json()["code"]) == (400, 21502), field
    service = requests.post(
        f"{simulator.url}/v1/Services",
        data={"FriendlyName": "s", "InboundRequestUrl": url},
        auth=auth,
        timeout=5,
    )
    assert service.status_code == 400, service.text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8911/sms/twilio?account=a&meta=%7B%7D",
        "https://hooks.example.com/in",
        "http://localhost/in",
        "http://[::1]:8000/in",
        "https://xn--bcher-kva.example/in",
        "http://münchen.example/in",
    ],
)
def test_ordinary_webhook_urls_pass(url):
    assert callback_url.problem(url) is None


@pytest.mark.parametrize("token", ["PA" + "9" * 5000, "PA" + "9" * 30, "PA-1", "PA\u0661", "XX1"])
def test_every_paged_list_refuses_a_malformed_page_token_with_a_400(
    simulator, twilio_account, token
):
    auth = _auth(twilio_account)
    service = requests.post(
        f"{simulator.url}/v1/Services", data={"FriendlyName": "s"}, auth=auth, timeout=5
    ).json()
    for url in (
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        f"{simulator.url}/v1/Services",
        f"{simulator.url}/v1/Services/{service['sid']}/PhoneNumbers",
    ):
        response = requests.get(url, params={"PageToken": token, "Page": "1"}, auth=auth, timeout=5)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["code"] == 20001


def test_a_date_sent_in_year_10000_is_a_400(simulator, twilio_account):
    response = requests.get(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        params={"DateSent": "9999-12-31T23:59:59-14:00"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, 20001)
