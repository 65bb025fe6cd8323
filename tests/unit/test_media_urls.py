"""The HEAD-free content-type rule and the MediaUrl check (docs/fidelity.md, Messages
API: Media and Feedback)."""

from __future__ import annotations

import pytest

from smsim.simulator.errors import TwilioError
from smsim.simulator.media_urls import check_media_urls, content_type_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/cat.jpg", "image/jpeg"),
        ("https://x.example/CAT.JPEG", "image/jpeg"),
        ("https://x.example/a.png?v=2#frag", "image/png"),
        ("https://x.example/a.gif", "image/gif"),
        ("https://x.example/card.vcf", "text/vcard"),
        ("https://x.example/sticker.webp", "image/webp"),  # not in Python 3.11's table
        ("https://x.example/voice.AMR", "audio/amr"),
        ("https://x.example/dir.v2/file", "application/octet-stream"),
        ("https://x.example/doc.zip", "application/zip"),  # from Python's table
        ("https://x.example/clip.mp4", "video/mp4"),
        ("https://x.example/doc.pdf", "application/pdf"),
        # the query names a file, the path does not: only the path counts
        ("https://x.example/download?file=a.png", "application/octet-stream"),
        ("https://x.example/", "application/octet-stream"),
        ("https://x.example/archive.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_paths_extension(url: str, expected: str) -> None:
    assert content_type_of(url) == expected


def test_ten_urls_pass_and_the_eleventh_is_21623() -> None:
    urls = [f"https://x.example/{i}.png" for i in range(11)]
    check_media_urls(urls[:10])
    with pytest.raises(TwilioError) as refused:
        check_media_urls(urls)
    assert (refused.value.code, refused.value.status) == (21623, 400)


@pytest.mark.parametrize("url", ["HTTPS://X.EXAMPLE/a.png", "http://127.0.0.1:8080/a"])
def test_http_and_https_urls_pass(url: str) -> None:
    check_media_urls([url])
