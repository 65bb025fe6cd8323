"""Messaging Services through the official SDK: the v1 Services resource, its
PhoneNumbers pool, and what a send through a service looks like (fidelity.md: Lifecycle and
callbacks; Messaging Services). All on the virtual clock: time moves only when a test advances
it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

pytestmark = pytest.mark.both_engines

US_A, US_B, US_C = "+14155550100", "+14155550101", "+14155550102"
NYC = "+12125550100"
UK = "+447700900123"
TOLL_FREE = "+18005550100"


def sdk(url: str, account: dict[str, Any]) -> Client:
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = url
    client.messaging.base_url = url
    return client


@pytest.fixture
def account(smsim_control: Any) -> dict[str, Any]:
    """A full account with several senders (two countries, two US area codes)."""
    return smsim_control.create_account("full", numbers=[US_A, US_B, US_C, NYC, UK, TOLL_FREE])


@pytest.fixture
def client(simulator: Any, account: dict[str, Any]) -> Client:
    return sdk(simulator.url, account)


def pn(account: dict[str, Any], number: str) -> str:
    return next(n["sid"] for n in account["numbers"] if n["phone_number"] == number)


def make_service(
    client: Client, account: dict[str, Any], numbers: list[str], **settings: Any
) -> Any:
    service = client.messaging.v1.services.create(friendly_name="Alerts", **settings)
    for number in numbers:
        client.messaging.v1.services(service.sid).phone_numbers.create(
            phone_number_sid=pn(account, number)
        )
    return service


def send(client: Client, service_sid: str, to: str, **extra: Any) -> Any:
    return client.messages.create(to=to, messaging_service_sid=service_sid, body="hi", **extra)


def sender_of(client: Client, sid: str) -> str:
    return client.messages(sid).fetch().from_


def assert_signed(recorded: Any, auth_token: str) -> None:
    signature = recorded.headers.get("X-Twilio-Signature", "")
    assert RequestValidator(auth_token).validate(recorded.url, recorded.params, signature)


def twilio_error(call: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        call()
    return info.value


# -- the Services resource ----------------------------------------------------------------


def test_service_crud_through_the_sdk(client: Client, account: dict[str, Any]) -> None:
    created = client.messaging.v1.services.create(
        friendly_name="Alerts",
        status_callback="https://example.com/status",
        sticky_sender=False,
        validity_period=600,
        usecase="notifications",
    )
    assert created.sid.startswith("MG") and len(created.sid) == 34
    assert created.account_sid == account["sid"]
    assert created.friendly_name == "Alerts"
    assert created.status_callback == "https://example.com/status"
    assert created.sticky_sender is False
    assert created.validity_period == 600
    assert created.usecase == "notifications"
    assert created.inbound_method == "POST" and created.area_code_geomatch is True
    assert created.date_created is not None and created.date_created.tzinfo is not None
    assert created.url.endswith(f"/v1/Services/{created.sid}")
    assert created.links["phone_numbers"].endswith(f"/v1/Services/{created.sid}/PhoneNumbers")

    fetched = client.messaging.v1.services(created.sid).fetch()
    assert fetched.friendly_name == "Alerts" and fetched.validity_period == 600

    updated = client.messaging.v1.services(created.sid).update(
        friendly_name="Renamed", inbound_request_url="https://example.com/in"
    )
    assert updated.friendly_name == "Renamed"
    assert updated.inbound_request_url == "https://example.com/in"
    assert updated.status_callback == "https://example.com/status"  # untouched

    assert [s.sid for s in client.messaging.v1.services.list()] == [created.sid]
    assert client.messaging.v1.services(created.sid).delete() is True
    error = twilio_error(client.messaging.v1.services(created.sid).fetch)
    assert (error.status, error.code) == (404, 20404)
    assert client.messaging.v1.services.list() == []


def test_deleting_services_while_streaming_them_deletes_every_one(client: Client) -> None:
    """The PageToken names a position, not a row: deleting the page just shown does not
    make the next page's token invalid (it did: 400 "Invalid PageToken")."""
    sids = {client.messaging.v1.services.create(friendly_name=f"S{i}").sid for i in range(7)}
    deleted = set()
    for service in client.messaging.v1.services.stream(page_size=2):
        service.delete()
        deleted.add(service.sid)
    assert deleted == sids
    assert client.messaging.v1.services.list() == []


def test_removing_pool_numbers_while_streaming_them_removes_every_one(
    client: Client, account: dict[str, Any]
) -> None:
    service = client.messaging.v1.services.create(friendly_name="pool")
    pool = client.messaging.v1.services(service.sid).phone_numbers
    numbers = [US_A, US_B, US_C, NYC, UK]
    for number in numbers:
        pool.create(phone_number_sid=pn(account, number))
    removed = [member.phone_number for member in pool.stream(page_size=2)]
    assert removed == numbers  # the order numbers joined the pool
    for member in pool.stream(page_size=2):
        pool(member.sid).delete()
    assert pool.list() == []


def test_service_list_is_paged_with_meta(simulator: Any, client: Client, account: Any) -> None:
    sids = [client.messaging.v1.services.create(friendly_name=f"S{i}").sid for i in range(3)]
    assert [s.sid for s in client.messaging.v1.services.list(page_size=2)] == sids

    raw = requests.get(
        f"{simulator.url}/v1/Services",
        params={"PageSize": 2},
        auth=(account["sid"], account["auth_token"]),
    ).json()
    assert [s["sid"] for s in raw["services"]] == sids[:2]
    meta = raw["meta"]
    assert meta["key"] == "services" and meta["page"] == 0 and meta["page_size"] == 2
    assert meta["previous_page_url"] is None and meta["next_page_url"]
    second = requests.get(meta["next_page_url"], auth=(account["sid"], account["auth_token"]))
    assert [s["sid"] for s in second.json()["services"]] == sids[2:]
    assert second.json()["meta"]["next_page_url"] is None


def test_service_create_refusals(simulator: Any, account: dict[str, Any]) -> None:
    auth = (account["sid"], account["auth_token"])
    url = f"{simulator.url}/v1/Services"
    missing = requests.post(url, data={"StatusCallback": "https://example.com/s"}, auth=auth)
    assert missing.status_code == 400 and missing.json()["code"] == 20001
    assert "FriendlyName" in missing.json()["message"]
    bad_validity = requests.post(url, data={"FriendlyName": "x", "ValidityPeriod": 0}, auth=auth)
    assert bad_validity.status_code == 400 and bad_validity.json()["code"] == 21624
    bad_url = requests.post(url, data={"FriendlyName": "x", "StatusCallback": "nope"}, auth=auth)
    assert bad_url.status_code == 400
    wrong_auth = requests.get(url, auth=(account["sid"], "0" * 32))
    assert wrong_auth.status_code == 401 and wrong_auth.json()["code"] == 20003


def test_another_accounts_service_is_invisible(
    simulator: Any, smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    service = make_service(client, account, [US_A])
    other = smsim_control.create_account("full", numbers=["+14155550199"])
    stranger = sdk(simulator.url, other)
    error = twilio_error(stranger.messaging.v1.services(service.sid).fetch)
    assert (error.status, error.code) == (404, 20404)
    error = twilio_error(lambda: send(stranger, service.sid, "+14155550123"))
    assert (error.status, error.code) == (400, 21701)
    unknown = "MG" + "0" * 32
    error = twilio_error(lambda: send(client, unknown, "+14155550123"))
    assert error.code == 21701


# -- the PhoneNumbers subresource ---------------------------------------------------------


def test_phone_numbers_join_list_fetch_and_leave(
    simulator: Any, client: Client, account: dict[str, Any]
) -> None:
    service = client.messaging.v1.services.create(friendly_name="Pool")
    numbers = client.messaging.v1.services(service.sid).phone_numbers
    added = numbers.create(phone_number_sid=pn(account, UK))
    assert added.sid == pn(account, UK)
    assert added.service_sid == service.sid and added.account_sid == account["sid"]
    assert added.phone_number == UK and added.country_code == "GB"
    numbers.create(phone_number_sid=pn(account, US_A))
    assert [n.phone_number for n in numbers.list()] == [UK, US_A]
    assert numbers(pn(account, US_A)).fetch().phone_number == US_A
    # The number row records its service (inbound and opt-out read it there).
    engine_number = simulator.engine.accounts.number(account["sid"], pn(account, UK))
    assert engine_number.messaging_service_sid == service.sid

    assert numbers(pn(account, UK)).delete() is True
    assert [n.phone_number for n in numbers.list()] == [US_A]
    error = twilio_error(numbers(pn(account, UK)).fetch)
    assert (error.status, error.code) == (404, 20404)
    assert (
        simulator.engine.accounts.number(account["sid"], pn(account, UK)).messaging_service_sid
        is None
    )


def test_a_number_belongs_to_one_service_of_its_own_account(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    first = make_service(client, account, [US_A])
    second = client.messaging.v1.services.create(friendly_name="Second")
    pool = client.messaging.v1.services(second.sid).phone_numbers
    error = twilio_error(lambda: pool.create(phone_number_sid=pn(account, US_A)))
    assert (error.status, error.code) == (400, 21712)
    again = client.messaging.v1.services(first.sid).phone_numbers
    error = twilio_error(lambda: again.create(phone_number_sid=pn(account, US_A)))
    assert (error.status, error.code) == (409, 80104)
    other = smsim_control.create_account("full", numbers=["+14155550188"])
    error = twilio_error(lambda: pool.create(phone_number_sid=other["numbers"][0]["sid"]))
    assert (error.status, error.code) == (400, 21421)
    # Once it leaves the first service it may join the second.
    again(pn(account, US_A)).delete()
    assert pool.create(phone_number_sid=pn(account, US_A)).service_sid == second.sid


# -- sending through a service ------------------------------------------------------------


def test_service_send_gets_a_sender_then_follows_the_lifecycle(
    smsim_control: Any, client: Client, account: dict[str, Any], callback_recorder: Any
) -> None:
    service = make_service(
        client, account, [US_A, US_B], status_callback=callback_recorder.url("/status")
    )
    message = send(client, service.sid, "+14155550199")
    assert message.status == "accepted"
    assert message.from_ is None and message.num_segments == "0"
    assert message.messaging_service_sid == service.sid
    assert client.messages(message.sid).fetch().status == "accepted"  # clock not moved

    smsim_control.run_until_idle()
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.from_ in {US_A, US_B} and fetched.num_segments == "1"
    statuses = [r.params["MessageStatus"] for r in callback_recorder.requests]
    assert statuses == ["queued", "sent", "delivered"]
    for recorded in callback_recorder.requests:
        assert recorded.params["MessagingServiceSid"] == service.sid
        assert recorded.params["From"] == fetched.from_
        assert_signed(recorded, account["auth_token"])


def test_sticky_sender_keeps_a_recipients_sender_and_spreads_new_ones(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    service = make_service(client, account, [US_A, US_B, US_C])
    recipients = ["+14155550201", "+14155550202", "+14155550203"]
    first = [send(client, service.sid, to).sid for to in recipients]
    smsim_control.run_until_idle()
    senders = [sender_of(client, sid) for sid in first]
    assert sorted(senders) == [US_A, US_B, US_C]  # one recipient per pool number

    again = [send(client, service.sid, to).sid for to in reversed(recipients)]
    smsim_control.run_until_idle()
    assert [sender_of(client, sid) for sid in again] == list(reversed(senders))


def test_without_sticky_sender_the_same_recipient_rotates(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    service = make_service(client, account, [US_A, US_B], sticky_sender=False)
    sids = [send(client, service.sid, "+14155550201").sid for _ in range(4)]
    smsim_control.run_until_idle()
    senders = [sender_of(client, sid) for sid in sids]
    assert set(senders) == {US_A, US_B}
    assert senders[0] != senders[1]


def test_country_and_area_code_geomatch(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    service = make_service(client, account, [US_A, NYC, UK])
    uk = [send(client, service.sid, f"+44770090045{i}").sid for i in range(3)]
    sf = send(client, service.sid, "+14155550299").sid
    nyc = send(client, service.sid, "+12125550299").sid
    smsim_control.run_until_idle()
    assert [sender_of(client, sid) for sid in uk] == [UK, UK, UK]
    assert sender_of(client, sf) == US_A
    assert sender_of(client, nyc) == NYC


def test_service_status_callback_unless_the_message_names_its_own(
    smsim_control: Any, client: Client, account: dict[str, Any], callback_recorder: Any
) -> None:
    service = make_service(
        client, account, [US_A], status_callback=callback_recorder.url("/service")
    )
    plain = send(client, service.sid, "+14155550201")
    own = send(client, service.sid, "+14155550202", status_callback=callback_recorder.url("/own"))
    smsim_control.run_until_idle()
    by_path: dict[str, set[str]] = {}
    for recorded in callback_recorder.requests:
        by_path.setdefault(recorded.path, set()).add(recorded.params["MessageSid"])
        assert_signed(recorded, account["auth_token"])
    assert by_path == {"/service": {plain.sid}, "/own": {own.sid}}


def test_explicit_from_must_be_in_the_pool(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    service = make_service(client, account, [US_A, US_B])
    error = twilio_error(lambda: send(client, service.sid, "+14155550201", from_=US_C))
    assert (error.status, error.code) == (400, 21606)
    message = send(client, service.sid, "+14155550201", from_=US_B)
    assert message.status == "accepted" and message.from_ == US_B
    smsim_control.run_until_idle()
    assert sender_of(client, message.sid) == US_B


def test_a_service_without_usable_numbers_refuses(client: Client, account: dict[str, Any]) -> None:
    empty = client.messaging.v1.services.create(friendly_name="Empty")
    error = twilio_error(lambda: send(client, empty.sid, "+14155550201"))
    assert (error.status, error.code) == (400, 21704)

    released = make_service(client, account, [US_C])
    client.incoming_phone_numbers(pn(account, US_C)).delete()
    error = twilio_error(lambda: send(client, released.sid, "+14155550201"))
    assert (error.status, error.code) == (400, 21703)


def test_no_pool_number_reaching_the_recipient_fails_the_message(
    smsim_control: Any, client: Client, account: dict[str, Any], callback_recorder: Any
) -> None:
    service = make_service(
        client, account, [TOLL_FREE], status_callback=callback_recorder.url("/status")
    )
    message = send(client, service.sid, "+447700900456")
    assert message.status == "accepted"
    smsim_control.run_until_idle()
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21703)
    [callback] = callback_recorder.requests
    assert callback.params["MessageStatus"] == "failed"
    assert callback.params["ErrorCode"] == "21703"


def test_service_validity_period_expires_messages_stuck_in_the_queue(
    smsim_control: Any, client: Client, account: dict[str, Any]
) -> None:
    # One long code sends 1 segment per second (fidelity.md: Throughput, queues, validity): the
    # third message of a burst would leave 2 s after the first, later than the service's 1 s
    # validity.
    service = make_service(client, account, [US_A], validity_period=1)
    sids = [send(client, service.sid, f"+1415555030{i}").sid for i in range(3)]
    smsim_control.run_until_idle()
    results = [client.messages(sid).fetch() for sid in sids]
    assert [m.status for m in results] == ["delivered", "delivered", "failed"]
    assert results[2].error_code == 30036
