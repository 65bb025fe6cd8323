"""What a ``MediaUrl`` may be, and the content type smsim gives the file it names
(docs/fidelity.md, Messages API: Media and Feedback). Pure: no store, no HTTP."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from smsim.simulator.errors import twilio_error

# "You may send up to 10 media files in a single message" (Twilio error 21623).
MAX_MEDIA = 10
FALLBACK_CONTENT_TYPE = "application/octet-stream"
# The extensions of the types Twilio accepts for MMS
# (https://www.twilio.com/docs/messaging/guides/accepted-mime-types), fixed here because
# Python's table lacks some (webp, ogg, amr, m4a before 3.13) and varies between versions.
_MMS_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".amr": "audio/amr",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".3gp": "video/3gpp",
    ".mov": "video/quicktime",
    ".mpeg": "video/mpeg",
    ".webm": "video/webm",
    ".vcf": "text/vcard",
    ".ics": "text/calendar",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
}
# Then Python's own table, not the host's mime.types files, which differ between machines.
_TYPES = mimetypes.MimeTypes()
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def content_type_of(url: str) -> str:
    """The MIME type of the file ``url`` names, from the extension of its path alone
    (the query and fragment are ignored, and so is the case of the extension): Twilio's
    MMS types first, then Python's standard table; ``application/octet-stream`` when the
    path has no known extension.

    Twilio reads the type from the response when it downloads the file; smsim never
    fetches it (docs/fidelity.md, Messages API: Media and Feedback).
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return FALLBACK_CONTENT_TYPE
    path = path.lower()
    _, dot, extension = path.rpartition(".")
    known = _MMS_TYPES.get(dot + extension) if "/" not in extension else None
    if known:
        return known
    guessed, _ = _TYPES.guess_type(path, strict=True)
    return guessed or FALLBACK_CONTENT_TYPE


def media_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a ``MediaUrl`` (an absolute http(s) URL with a host and a
    valid port), or None when it can."""
    if _SPACE_OR_CONTROL.search(url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "must be an absolute http(s) URL with a valid port"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL"
    return None


def check_media_urls(urls: Sequence[str]) -> None:
    """Twilio's refusals of the ``MediaUrl`` list: 21623 for more than
    :data:`MAX_MEDIA`, 21620 for a URL that is not absolute http(s)."""
    if len(urls) > MAX_MEDIA:
        raise twilio_error(21623, count=str(len(urls)))
    for url in urls:
        problem = media_url_problem(url)
        if problem is not None:
            raise twilio_error(21620, url=url, problem=problem)
