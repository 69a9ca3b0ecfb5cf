import { describe, expect, it } from "vitest";
import { sanitizeText } from "../../../services/shared/text/sanitizeText.js";

describe("sanitizeText", () => {
  it("leaves ordinary text, tabs, LF and CRLF line endings untouched", () => {
    const text = "line one\tcol\nline two\r\nlíne thrée — ünïcode 日本語 🙂\n";
    expect(sanitizeText(text)).toEqual({ text, removed: 0 });
  });

  it("removes NUL and other C0 controls except TAB and LF", () => {
    const c0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).filter((c) => c !== "\t" && c !== "\n" && c !== "\r");
    expect(c0).toHaveLength(29);
    const r = sanitizeText(`a${c0.join("")}b\tc\nd`);
    expect(r).toEqual({ text: "ab\tc\nd", removed: 29 });
  });

  it("keeps CR in CRLF but removes a lone CR (it rewinds a terminal line)", () => {
    expect(sanitizeText("a\r\nb")).toEqual({ text: "a\r\nb", removed: 0 });
    expect(sanitizeText("visible\rhidden")).toEqual({ text: "visiblehidden", removed: 1 });
    expect(sanitizeText("end\r")).toEqual({ text: "end", removed: 1 });
    expect(sanitizeText("a\r\r\nb")).toEqual({ text: "a\r\nb", removed: 1 });
  });

  it("removes DEL and the C1 controls U+0080–U+009F", () => {
    const c1 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
    expect(sanitizeText(`x\u007F${c1}y`)).toEqual({ text: "xy", removed: 33 });
    // The neighbours of the C1 block stay.
    expect(sanitizeText("\u007E\u00A0\u00E9")).toEqual({ text: "\u007E\u00A0\u00E9", removed: 0 });
  });

  it("removes bidi overrides, isolates and marks (Trojan Source)", () => {
    const bidi = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C";
    const r = sanitizeText(`if (isAdmin${bidi}) {`);
    expect(r).toEqual({ text: "if (isAdmin) {", removed: 12 });
    // Just outside the ranges.
    expect(sanitizeText("\u2029\u202F\u2065\u206A").removed).toBe(0);
  });

  it("removes zero-width characters and BOMs anywhere", () => {
    const r = sanitizeText("\uFEFFig\u200Bno\u200Cre\u200D prev\u2060ious\uFEFF");
    expect(r).toEqual({ text: "ignore previous", removed: 6 });
  });

  it("counts code points, not UTF-16 units, and keeps astral characters", () => {
    expect(sanitizeText("𝒳\u0000𝒴")).toEqual({ text: "𝒳𝒴", removed: 1 });
    // Lone surrogates have no UTF-8 form: removed, one each.
    expect(sanitizeText("a\uD800b\uDC00c")).toEqual({ text: "abc", removed: 2 });
  });

  it("handles empty input and text that is all controls", () => {
    expect(sanitizeText("")).toEqual({ text: "", removed: 0 });
    expect(sanitizeText("\u0000\u0001\u200B")).toEqual({ text: "", removed: 3 });
  });
});
