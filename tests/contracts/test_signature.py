"""X-Twilio-Signature: Twilio's published test vectors and agreement with the official SDK.

If these break, a real integration using twilio-python would reject smsim's webhooks, or
smsim would reject webhooks signed exactly as Twilio signs them.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from smsim.contracts.signature import (
    body_sha256,
    compute_signature,
    signing_string,
    url_variants,
    validate_signature,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
JSON_BODY = '{"property": "value", "boolean": true}'
JSON_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
DUPLICATE_PAIRS = [
    ("Sid", "CA123"),
    ("SidAccount", "AC123"),
    ("Digits", "5678"),
    ("Digits", "1234"),
]


def test_sdk_vector_plain() -> None:
    assert compute_signature(URL, PARAMS, TOKEN) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert validate_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN)


def test_sdk_vector_signature_over_default_https_port_validates() -> None:
    assert compute_signature(URL.replace(".com", ".com:443"), PARAMS, TOKEN) == (
        "kvajT1Ptam85bY51eRf/AJRuM3w="
    )
    assert validate_signature(URL, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=", TOKEN)


def test_sdk_vector_signature_over_default_http_port_validates() -> None:
    http_url = URL.replace("https", "http")
    assert validate_signature(http_url, PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4=", TOKEN)


def test_explicit_port_is_removed_when_validating() -> None:
    assert validate_signature(
        URL.replace(".com", ".com:1234"), PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN
    )


@pytest.mark.parametrize(
    "params",
    [
        DUPLICATE_PAIRS,
        MultiDict(DUPLICATE_PAIRS),
        {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]},
        "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234",
    ],
    ids=["pairs", "multidict", "dict-of-lists", "raw-form-body"],
)
def test_sdk_vector_duplicate_keys(params: object) -> None:
    assert compute_signature(URL, params, TOKEN) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="  # type: ignore[arg-type]


def test_duplicate_values_count_once_and_sort() -> None:
    once = signing_string("u", [("B", "2"), ("A", "z"), ("A", "a")])
    assert once == "uAaAzB2"
    assert signing_string("u", [("A", "a"), ("A", "a")]) == "uAa"


def test_sdk_vector_json_body() -> None:
    assert body_sha256(JSON_BODY) == JSON_BODY_HASH
    url = f"{URL}&bodySHA256={JSON_BODY_HASH}"
    assert validate_signature(url, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4=", TOKEN)
    assert compute_signature(url, None, TOKEN) == "a9nBmqA0ju/hNViExpshrM61xv4="


def test_json_body_tampered_is_rejected() -> None:
    url = f"{URL}&bodySHA256={JSON_BODY_HASH}"
    tampered = JSON_BODY.replace("value", "other")
    assert not validate_signature(url, tampered, "a9nBmqA0ju/hNViExpshrM61xv4=", TOKEN)


@pytest.mark.parametrize("signature", ["", None])
def test_empty_signature_is_never_valid(signature: str | None) -> None:
    assert not validate_signature("https://x.example/", {}, signature, TOKEN)


def test_wrong_token_or_changed_param_is_rejected() -> None:
    good = compute_signature(URL, PARAMS, TOKEN)
    assert not validate_signature(URL, PARAMS, good, "other-token")
    assert not validate_signature(URL, {**PARAMS, "Digits": "9999"}, good, TOKEN)
    assert not validate_signature(URL + "&baz=3", PARAMS, good, TOKEN)


def test_non_ascii_signature_is_rejected_not_crashing() -> None:
    assert not validate_signature(URL, PARAMS, "ñ" * 28, TOKEN)


def test_url_variants_follow_the_sdk() -> None:
    assert url_variants("https://h.example/p?q=1") == [
        "https://h.example/p?q=1",
        "https://h.example:443/p?q=1",
    ]
    assert url_variants("http://h.example:8080/p") == [
        "http://h.example:8080/p",
        "http://h.example/p",
    ]
    # an unparsable port leaves only the URL as given
    assert url_variants("http://h.example:port/p") == ["http://h.example:port/p"]


# -- agreement with the official SDK on random requests ------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=12,
)
_host = st.text(alphabet=string.ascii_lowercase + string.digits + "-.", min_size=1, max_size=15)
_path_segment = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%", max_size=8)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(_host)
    port = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=65535)))
    path = "/".join(draw(st.lists(_path_segment, max_size=3)))
    query = draw(
        st.lists(st.tuples(_path_segment, _path_segment), max_size=3).map(
            lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
        )
    )
    netloc = host if port is None else f"{host}:{port}"
    return f"{scheme}://{netloc}/{path}" + (f"?{query}" if query else "")


_pairs = st.lists(st.tuples(_text, _text), max_size=6)


@settings(max_examples=200, deadline=None)
@given(url=_urls(), pairs=_pairs, token=_text)
def test_sdk_accepts_what_we_sign(url: str, pairs: list[tuple[str, str]], token: str) -> None:
    params = MultiDict(pairs)
    ours = compute_signature(url, params, token)
    sdk = RequestValidator(token)
    assert ours == sdk.compute_signature(url, params)
    assert sdk.validate(url, params, ours)


@settings(max_examples=200, deadline=None)
@given(url=_urls(), pairs=_pairs, token=_text, use_port=st.booleans())
def test_we_accept_what_the_sdk_accepts(
    url: str, pairs: list[tuple[str, str]], token: str, use_port: bool
) -> None:
    params = MultiDict(pairs)
    sdk = RequestValidator(token)
    # Twilio may sign the URL with or without the default port; both must validate.
    signed_url = url_variants(url)[-1] if use_port else url
    signature = sdk.compute_signature(signed_url, params)
    assert sdk.validate(url, params, signature)
    assert validate_signature(url, params, signature, token)
    assert validate_signature(url, list(params.items(multi=True)), signature, token)


@settings(max_examples=100, deadline=None)
@given(url=_urls(), pairs=_pairs, token=_text, forged=_text)
def test_we_reject_forgeries_like_the_sdk(
    url: str, pairs: list[tuple[str, str]], token: str, forged: str
) -> None:
    params = MultiDict(pairs)
    assert not RequestValidator(token).validate(url, params, forged)
    assert not validate_signature(url, params, forged, token)


@settings(max_examples=100, deadline=None)
@given(url=_urls(), body=_text, token=_text)
def test_json_body_variant_agrees_with_sdk(url: str, body: str, token: str) -> None:
    joiner = "&" if "?" in url else "?"
    signed_url = f"{url}{joiner}bodySHA256={body_sha256(body)}"
    signature = compute_signature(signed_url, None, token)
    assert RequestValidator(token).validate(signed_url, body, signature)
    assert validate_signature(signed_url, body, signature, token)
