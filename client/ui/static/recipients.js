/* Recipients as a person pastes them or exports them to CSV, read line by line: the
   rules of smsim.client.recipients (smsim client campaign reads files the same way).
   A line's phone numbers are recipients; a line with none is named back, except a first
   line without any digit (a CSV header). */
"use strict";
window.recipients = (function () {
  const PHONE = /^\+?[0-9]{6,15}$/;

  /** The E.164 spelling of a cell that is a phone number, else null. */
  function phoneOf(cell) {
    const value = cell.replace(/[\s().-]/g, "");
    if (!PHONE.test(value)) return null;
    return value.startsWith("+") ? value : "+" + value;
  }

  /** {numbers: [...], invalid: [{line, value}], header: text or null} */
  function parse(text) {
    const out = { numbers: [], invalid: [], header: null };
    let first = true;
    text.split(/\r\n|\r|\n/).forEach(function (line, i) {
      if (!line.trim()) return;
      const cells = line.split(/[,;\t]/).map(function (c) {
        return c.trim().replace(/^"+|"+$/g, "").trim();
      }).filter(Boolean);
      if (!cells.length) return;
      const found = cells.map(phoneOf).filter(Boolean);
      if (found.length) out.numbers.push.apply(out.numbers, found);
      else if (first && !/[0-9]/.test(line)) out.header = line.trim();
      else out.invalid.push({ line: i + 1, value: line.trim() });
      first = false;
    });
    return out;
  }

  return { parse: parse, phoneOf: phoneOf };
})();
