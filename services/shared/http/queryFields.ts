import { z } from "zod";

/** A boolean query-string parameter: true/false/1/0 only. */
export const queryBool = () =>
  z.preprocess((v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v), z.boolean());

/** An integer query-string parameter. */
export const queryInt = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));

export const idParams = z.object({ id: z.string().uuid("expected a document id (uuid)") });
