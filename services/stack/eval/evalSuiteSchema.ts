import { z } from "zod";

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "lower-case letters, digits, '.', '_' and '-'");
const query = z.string().min(1).max(4000);

/** Ingest a known text, ask about it, expect it among the sources of the answer's context. */
export const retrievalCaseSchema = z.strictObject({
  id,
  kind: z.literal("retrieval"),
  document: z.strictObject({ title: z.string().min(1).max(1000), text: z.string().min(1).max(50_000) }),
  query,
});

/** Ask with the given request flags and expect the backend (and the routing reason) the router chooses. */
export const routingCaseSchema = z.strictObject({
  id,
  kind: z.literal("routing"),
  query,
  request: z.strictObject({ force_local: z.boolean().optional(), force_remote: z.boolean().optional(), prefer_local: z.boolean().optional(), project: z.string().optional() }).default({}),
  expect: z
    .strictObject({
      backend: z.enum(["local", "remote"]).optional(),
      reason: z.string().optional(),
      /** A regular expression the reason must match (reasons that depend on the deployment, e.g. whether a remote is configured). */
      reason_matches: z.string().optional(),
    })
    .refine((e) => e.backend || e.reason || e.reason_matches, { message: "expect at least one of backend, reason, reason_matches" }),
});

/** A question whose answer must contain a substring or match a regular expression: needs a real model. */
export const answerCaseSchema = z.strictObject({
  id,
  kind: z.literal("answer"),
  query,
  project: z.string().optional(),
  expect: z.union([z.strictObject({ substring: z.string().min(1) }), z.strictObject({ regex: z.string().min(1) })]),
});

export const evalCaseSchema = z.discriminatedUnion("kind", [retrievalCaseSchema, routingCaseSchema, answerCaseSchema]);
export type EvalCase = z.infer<typeof evalCaseSchema>;

/** An eval suite (`aq eval --suite FILE`; the default is lib/eval-suite.json). */
export const evalSuiteSchema = z
  .strictObject({
    name: id,
    /** The pass rate below which a run warns (and `aq eval --strict` fails). */
    floor: z.number().min(0).max(1).default(0.6),
    /** The aidb project retrieval cases ingest into and search. */
    project: z.string().min(1).max(200).default("eval"),
    cases: z.array(evalCaseSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.cases.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: "custom", path: ["cases", i, "id"], message: `duplicate case id "${c.id}"` });
      seen.add(c.id);
    });
  });

export type EvalSuite = z.infer<typeof evalSuiteSchema>;
