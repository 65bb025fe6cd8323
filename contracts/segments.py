"""GSM-7 / UCS-2 detection and segment counting, as Twilio's segment calculator does it.

Rules (fidelity.md: Segments and encoding, Twilio's open-source Message Segment Calculator):

* A segment carries 140 octets. GSM-7 fits 160 septets in a single-part message;
  UCS-2 fits 70 UTF-16 code units. In a multi-part message every part spends
  6 octets on a User Data Header, leaving 153 septets or 67 code units.
* GSM-7 is used only when *every* character is in the GSM-7 basic or extension
  table; one other character switches the whole message to UCS-2.
* Extension characters (``\\f [ \\ ] ^ { | } ~ €``) cost 2 septets (ESC + char) and
  an ESC pair never straddles two parts.
* In UCS-2 a character outside the BMP (most emoji) costs 2 code units, and a
  grapheme (emoji ZWJ sequence, flag, base + combining marks) is never split
  across parts. A grapheme bigger than a whole part (67 units, e.g. "zalgo" text)
  is split between code points, never inside a surrogate pair; the calculator
  would instead leave an overfull part, which no carrier can send.
* CR LF counts as two characters, as in the calculator.
* The empty body is 1 GSM-7 segment of 0 septets: the calculator reports 1 and
  Twilio shows ``num_segments`` "1" for media-only messages. Whether an empty
  body may be sent at all is the engine's decision (21602/21619), not this module's.

Twilio's live servers are not published; where the calculator and Twilio could
differ, the calculator wins, except the Smart Encoding choices listed in
:func:`smart_encode`.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SMART_ENCODING_MAP",
    "SegmentInfo",
    "analyze",
    "smart_encode",
]

Encoding = Literal["GSM-7", "UCS-2"]

# --- GSM-7 tables (3GPP TS 23.038 default alphabet, as mapped by Twilio's calculator) ---

# 127 characters costing one septet. The calculator maps U+00C7 (capital C cedilla)
# to GSM 0x09, so lower-case U+00E7 is *not* GSM-7 here.
GSM7_BASIC: frozenset[str] = frozenset(
    "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    "\u00a1\u00a3\u00a4\u00a5\u00a7\u00bf"  # ¡ £ ¤ ¥ § ¿
    "\u00c4\u00c5\u00c6\u00c9\u00d1\u00d6\u00d8\u00dc\u00df"  # Ä Å Æ É Ñ Ö Ø Ü ß
    "\u00e0\u00e4\u00e5\u00e6\u00c7\u00e8\u00e9\u00ec\u00f1\u00f2\u00f6\u00f8\u00f9\u00fc"
    "\u0393\u0394\u0398\u039b\u039e\u03a0\u03a3\u03a6\u03a8\u03a9"  # Γ Δ Θ Λ Ξ Π Σ Φ Ψ Ω
)
# Characters sent as ESC + code: two septets each.
GSM7_EXTENSION: frozenset[str] = frozenset("\f[\\]^{|}~\u20ac")
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

_SINGLE_GSM7 = 160
_MULTI_GSM7 = 153
_SINGLE_UCS2 = 70
_MULTI_UCS2 = 67

# --- Smart Encoding (fidelity.md: Segments and encoding) ---
# Written as "replacement: characters it replaces". Built from the categories of
# Twilio's published Smart Encoding list and its calculator's emulation of it.
_SMART_GROUPS: dict[str, str] = {
    '"': "\u00ab\u00bb\u201c\u201d\u201e\u201f\u02ba\u02ee\u275d\u275e\u301d\u301e",
    "'": (
        "\u2018\u2019\u201b\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u00b4\u0060"
        "\u275b\u275c\u0313\u0314\ufe10\ufe11\u2017"
    ),
    "-": "\u2010\u2013\u2014\u2015\u2022\u2043\u23bc\u23bd\ufe63",
    "...": "\u2026",
    "1/4": "\u00bc",
    "1/2": "\u00bd",
    "3/4": "\u00be",
    "/": "\u00f7\u2044\u2215\u29f8\u0337\u0338",
    "\\": "\u29f5\u29f9\u20e5\ufe68",
    "_": "\u0332",
    "|": "\u2223\u20d2\u20d3\u23b8\u23b9\u23d0\u239c\u239f",
    "@": "\ufe6b",
    "$": "\ufe69",
    "!": "\u01c3\ufe15\ufe57",
    "!!": "\u203c",
    "#": "\ufe5f",
    "%": "\ufe6a",
    "&": "\ufe60",
    ",": "\u201a\u0326\ufe50\ufe51\uff64\u3001",
    "(": "\u2768\u276a\ufe59\u27ee\u2985",
    ")": "\u2769\u276b\ufe5a\u27ef\u2986",
    "*": (
        "\u204e\u2217\u229b\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a\u273b"
        "\u273c\u273d\u2743\u2749\u274a\u274b\u29c6\ufe61"
    ),
    "+": "\u02d6\ufe62",
    ".": "\u3002\ufe52\uff61",
    ":": "\u02d0\u02f8\u2982\ua789\ufe13",
    ";": "\u204f\ufe14\ufe54",
    "<": "\ufe64\u2039",
    "=": "\u0347\ua78a\ufe66",
    ">": "\ufe65\u203a",
    "?": "\ufe16\ufe56",
    "^": "\u02c6\u0302\u1dcd",
    "{": "\u2774\ufe5b",
    "}": "\u2775\ufe5c",
    "~": "\u02dc\u02f7\u0303\u0330\u0334\u223c",
    # Space-like characters: one space each (see smart_encode for why not two).
    " ": (
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
        "\u202f\u205f\u3000\u2028\u2029\u0080\u008d\u0090\u009b\u009f"
    ),
    "       ": "\t",  # TAB: seven spaces
    # Removed outright: zero-width characters and invisible C0 controls.
    "": "\u200b\u2060\ufeff\u0000\u0003\u0004\u0010\u0011\u0012\u0013\u0014\u0017\u0019",
}
# Latin small capitals to capitals (there are no small-capital Q or X).
_SMALL_CAPS_FROM = (
    "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f"
    "\u1d0d\u0274\u1d0f\u1d18\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u028f\u1d22"
)
_SMALL_CAPS_TO = "ABCDEFGHIJKLMNOPRSTUVWYZ"


def _build_smart_map() -> dict[str, str]:
    table: dict[str, str] = {}
    # Fullwidth ASCII U+FF01..U+FF5E is ASCII shifted by 0xFEE0.
    for code in range(0xFF01, 0xFF5F):
        table[chr(code)] = chr(code - 0xFEE0)
    for source, target in zip(_SMALL_CAPS_FROM, _SMALL_CAPS_TO, strict=True):
        table[source] = target
    for target, sources in _SMART_GROUPS.items():
        for source in sources:
            table[source] = target
    # A replacement that is itself replaceable (fullwidth grave -> ` -> ') is resolved.
    return {k: "".join(table.get(c, c) for c in v) for k, v in table.items()}


SMART_ENCODING_MAP: dict[str, str] = _build_smart_map()
_SMART_KEYS = frozenset(SMART_ENCODING_MAP)
_SMART_TRANSLATION = str.maketrans(SMART_ENCODING_MAP)

# --- grapheme support for UCS-2 segmentation (simplified Unicode UAX #29) ---


def _bmp_extenders() -> frozenset[int]:
    marks = {"Mn", "Me", "Mc"}
    category = unicodedata.category
    found = {c for c in range(0x0300, 0x10000) if category(chr(c)) in marks}
    found.update((0x200C, 0x200D, 0xFF9E, 0xFF9F))  # ZWNJ, ZWJ, halfwidth sound marks
    return frozenset(found)


_EXTEND_BMP = _bmp_extenders()
_ZWJ = 0x200D
# Conjoining Hangul jamo: leading (L), vowel (V) and trailing (T) ranges.
_JAMO_RANGES = (range(0x1100, 0x1200), range(0xA960, 0xA980), range(0xD7B0, 0xD800))
# A UCS-2 body containing none of these and no astral character has one grapheme per
# code unit, so its parts can be counted by division.
_NEEDS_GRAPHEMES = frozenset(chr(c) for c in _EXTEND_BMP) | frozenset(
    chr(c) for r in _JAMO_RANGES for c in r
)
_UTF16_NATIVE = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
# GSM-7 bodies are expanded to one character per septet; ESC marks the first half
# of an extension pair (ESC itself is not a character a body can carry as GSM-7).
_ESC = "\x1b"
_SEPTET_EXPANSION = str.maketrans({c: _ESC + c for c in GSM7_EXTENSION})


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a body travels as SMS.

    ``units`` is septets for GSM-7 (extension characters count 2) and UTF-16 code
    units for UCS-2 (astral characters count 2). ``body`` is the text that is
    actually sent: the smart-encoded body when smart encoding was requested.
    """

    encoding: Encoding
    num_segments: int
    units: int
    body: str


def smart_encode(body: str) -> str:
    """Apply Twilio Smart Encoding: replace Unicode look-alikes with GSM-7 text.

    The map (:data:`SMART_ENCODING_MAP`) follows Twilio's published list and its
    calculator's emulation (fidelity.md: Segments and encoding): curly quotes, primes and accents to
    ``"``/``'``, dashes/bullets to ``-``, ``…`` to ``...``, ``½ ¼ ¾`` to ``1/2 1/4 3/4``, ``÷`` to
    ``/``, fullwidth ASCII to ASCII, small capitals to capitals, TAB to 7 spaces,
    zero-width characters removed. Substitution is per character and unconditional
    (a body keeping an emoji stays UCS-2 but still gets its quotes straightened).

    smsim's choices where the calculator looks wrong (fidelity.md: Segments and encoding):

    * no-break and other typographic spaces become **one** space (the calculator
      emits two, which would add a septet per space);
    * U+2039 becomes ``<`` and U+203A becomes ``>`` (the calculator swaps them);
    * all of fullwidth ASCII U+FF01-FF5E is mapped, lower-case letters included.
    """
    if _SMART_KEYS.isdisjoint(body):
        return body
    return body.translate(_SMART_TRANSLATION)


def analyze(body: str, smart_encoded: bool = False) -> SegmentInfo:
    """Encoding, segment count and size of ``body`` (see the module docstring).

    ``smart_encoded`` applies :func:`smart_encode` first (``SmartEncoded=true`` on the
    message or ``smart_encoding`` on its Messaging Service).
    """
    if smart_encoded:
        body = smart_encode(body)
    if _GSM7_ALL.issuperset(body):
        return _analyze_gsm7(body)
    return _analyze_ucs2(body)


def _analyze_gsm7(body: str) -> SegmentInfo:
    extended = 0 if GSM7_EXTENSION.isdisjoint(body) else sum(map(body.count, GSM7_EXTENSION))
    total = len(body) + extended
    if total <= _SINGLE_GSM7:
        segments = 1
    elif not extended:
        segments = -(-total // _MULTI_GSM7)  # no extension pairs to keep together
    else:
        septets = body.translate(_SEPTET_EXPANSION)
        segments, pos = 1, 0
        while total - pos > _MULTI_GSM7:
            end = pos + _MULTI_GSM7
            if septets[end - 1] == _ESC:  # the pair would straddle: move it to the next part
                end -= 1
            segments += 1
            pos = end
    return SegmentInfo("GSM-7", segments, total, body)


def _analyze_ucs2(body: str) -> SegmentInfo:
    encoded = body.encode(_UTF16_NATIVE, "surrogatepass")
    total = len(encoded) // 2
    if total <= _SINGLE_UCS2:
        segments = 1
    elif total == len(body) and _NEEDS_GRAPHEMES.isdisjoint(body):
        segments = -(-total // _MULTI_UCS2)  # every grapheme is exactly one code unit
    else:
        units = memoryview(encoded).cast("H")
        segments, pos = 1, 0
        while total - pos > _MULTI_UCS2:
            end = pos + _MULTI_UCS2
            cut = end
            while cut > pos and not _is_grapheme_break(units, cut):
                cut -= 1
            if cut == pos:  # one grapheme larger than a part: cut between code points
                cut = end - 1 if 0xDC00 <= units[end] <= 0xDFFF else end
            segments += 1
            pos = cut
    return SegmentInfo("UCS-2", segments, total, body)


def _code_point_at(units: memoryview, i: int) -> int:
    unit = units[i]
    if 0xD800 <= unit <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF:
        return 0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00)
    return unit


def _start_of_code_point_before(units: memoryview, i: int) -> int:
    if i >= 2 and 0xDC00 <= units[i - 1] <= 0xDFFF and 0xD800 <= units[i - 2] <= 0xDBFF:
        return i - 2
    return i - 1


def _is_extend(code: int) -> bool:
    if code < 0x10000:
        return code in _EXTEND_BMP
    if 0x1F000 <= code <= 0x1FAFF:  # emoji blocks: only the skin-tone modifiers extend
        return 0x1F3FB <= code <= 0x1F3FF
    return 0xE0020 <= code <= 0xE007F or unicodedata.category(chr(code)) in ("Mn", "Me", "Mc")


def _is_pictographic(code: int) -> bool:
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2100 <= code <= 0x2BFF
        or code in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_regional_indicator(code: int) -> bool:
    return 0x1F1E6 <= code <= 0x1F1FF


def _hangul_type(code: int) -> str:
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


_HANGUL_JOINS = {
    "L": frozenset({"L", "V", "LV", "LVT"}),
    "LV": frozenset({"V", "T"}),
    "V": frozenset({"V", "T"}),
    "LVT": frozenset({"T"}),
    "T": frozenset({"T"}),
}


def _is_grapheme_break(units: memoryview, i: int) -> bool:
    """May a part end between code units ``i - 1`` and ``i`` (0 < i < len(units))?

    Simplified UAX #29: never inside a surrogate pair; never before a combining
    mark, ZWJ, variation selector, skin tone or tag; never between ZWJ and a
    pictograph, inside a regional-indicator pair (flag) or a Hangul jamo syllable.
    Breaks always follow control characters (CR, LF ...); CR LF counts as two
    characters like the calculator; Prepend characters are not modelled.
    """
    if 0xDC00 <= units[i] <= 0xDFFF and 0xD800 <= units[i - 1] <= 0xDBFF:
        return False
    prev_start = _start_of_code_point_before(units, i)
    prev = _code_point_at(units, prev_start)
    if prev < 0x20 or 0x7F <= prev < 0xA0:
        return True
    cur = _code_point_at(units, i)
    if _is_extend(cur):
        return False
    if prev == _ZWJ and _is_pictographic(cur):
        return False
    if _is_regional_indicator(cur) and _is_regional_indicator(prev):
        run, j = 0, i
        while j > 0:  # count the regional indicators that precede this one
            j = _start_of_code_point_before(units, j)
            if not _is_regional_indicator(_code_point_at(units, j)):
                break
            run += 1
        return run % 2 == 0
    hangul = _hangul_type(cur)
    return not (hangul and hangul in _HANGUL_JOINS.get(_hangul_type(prev), ()))
