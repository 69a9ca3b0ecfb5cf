import { z } from "zod";

// Config values arrive as JSON (file), strings (environment) or already
// parsed values (CLI flags). These field types accept all three and coerce
// strings strictly: "12abc" is not a number and "yes" is not a boolean.

const intPattern = /^-?\d+$/;

export const intField = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === "string" && intPattern.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int().min(min).max(max),
  );

export const numberField = (min: number, max = Number.MAX_VALUE) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v),
    z.number().min(min).max(max),
  );

export const boolField = () =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(s)) return true;
    if (["false", "0", "no", "off"].includes(s)) return false;
    return v;
  }, z.boolean());

export const portField = () => intField(0, 65535);

/** A loopback or interface address to bind; no URL, no port. */
export const hostField = () => z.string().min(1).regex(/^[0-9a-zA-Z.:_-]+$/, "expected an IP address or host name");

export const sha256Field = () =>
  z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters")
    .transform((s) => s.toLowerCase());
