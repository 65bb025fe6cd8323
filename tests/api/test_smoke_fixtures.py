def test_sdk_client_reaches_simulator(twilio_client, twilio_account):
    message = twilio_client.messages.create(to="+14155550199", from_="+14155550100", body="hi")
    assert message.status == "queued"
    assert twilio_client.messages(message.sid).fetch().account_sid == twilio_account["sid"]
