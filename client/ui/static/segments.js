/* Live character and segment count, following the simulator's rules (contracts/segments.py,
   after Twilio's Message Segment Calculator): GSM-7 when every character is in the GSM-7
   basic or extension table (extension characters cost 2 septets; 160 in one part, 153 per
   part otherwise, an ESC pair never split); UCS-2 otherwise (UTF-16 code units: 70 in one
   part, 67 per part, a grapheme never split unless it is bigger than a part). */
"use strict";
window.segments = (function () {
  const BASIC = new Set(Array.from(
    "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" +
    "\u00a1\u00a3\u00a4\u00a5\u00a7\u00bf\u00c4\u00c5\u00c6\u00c9\u00d1\u00d6\u00d8\u00dc\u00df" +
    "\u00e0\u00e4\u00e5\u00e6\u00c7\u00e8\u00e9\u00ec\u00f1\u00f2\u00f6\u00f8\u00f9\u00fc" +
    "\u0393\u0394\u0398\u039b\u039e\u03a0\u03a3\u03a6\u03a8\u03a9"));
  const EXTENSION = new Set(Array.from("\f[\\]^{|}~\u20ac"));

  function isGsm7(text) {
    for (const ch of text) if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
    return true;
  }

  /** Pack items of the given sizes into parts of `size`; an item never straddles two parts
      (an item bigger than a part is cut, as the simulator does). */
  function pack(sizes, size) {
    let parts = 1, used = 0;
    sizes.forEach(function (cost) {
      while (cost > size - used && used > 0) { parts += 1; used = 0; }
      while (cost > size) { cost -= size; parts += 1; }
      used += cost;
    });
    return parts;
  }

  function graphemes(text) {
    if (window.Intl && Intl.Segmenter) {
      return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text),
                        function (s) { return s.segment; });
    }
    return Array.from(text);
  }

  /** {encoding, segments, units, characters} for a message body. */
  function analyze(text) {
    const characters = Array.from(text).length;
    if (isGsm7(text)) {
      const sizes = Array.from(text, function (ch) { return EXTENSION.has(ch) ? 2 : 1; });
      const units = sizes.reduce(function (a, b) { return a + b; }, 0);
      return { encoding: "GSM-7", units: units, characters: characters,
               segments: units <= 160 ? 1 : pack(sizes, 153) };
    }
    const units = text.length;  // JavaScript strings are UTF-16 code units
    const sizes = graphemes(text).map(function (g) { return g.length; });
    return { encoding: "UCS-2", units: units, characters: characters,
             segments: units <= 70 ? 1 : pack(sizes, 67) };
  }

  /** Keep `output` describing `input`'s text as it is typed. */
  function attach(input, output) {
    function update() {
      const info = analyze(input.value);
      output.textContent = info.characters + " characters · " + info.segments + " segment" +
        (info.segments === 1 ? "" : "s") + " · " + info.encoding +
        (info.encoding === "UCS-2" ? " (a character outside GSM-7 makes the whole message UCS-2)" : "");
      output.dataset.segments = info.segments;
      output.dataset.encoding = info.encoding;
    }
    input.addEventListener("input", update);
    update();
  }

  return { analyze: analyze, attach: attach };
})();
