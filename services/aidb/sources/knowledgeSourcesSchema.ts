import { z } from "zod";
import { maxProjectChars } from "../api/documentsContract.js";

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
  .describe("the source's id");

const common = {
  id,
  project: z.string().trim().min(1).max(maxProjectChars),
  /** When the timer syncs it: weekly (the ai-sync-knowledge-sources timer), or only by hand (`aq sources sync --id`). */
  schedule: z.enum(["weekly", "manual"]).default("weekly"),
  enabled: z.boolean().default(true),
  source_trust: z.enum(["trusted", "imported"]).default("imported"),
};

/** A directory of .md/.markdown/.txt files, synced incrementally by modification time, size and content hash. */
export const localDirectorySourceSchema = z.strictObject({
  ...common,
  type: z.literal("local_directory"),
  path: z.string().min(1),
  extensions: z.array(z.string().regex(/^\.[a-z0-9]+$/)).min(1).default([".md", ".markdown", ".txt"]),
});

/** One document at an http(s) URL, fetched through the SSRF guard, conditionally (ETag, Last-Modified). */
export const urlSourceSchema = z.strictObject({
  ...common,
  type: z.literal("url"),
  url: z.string().url().regex(/^https?:\/\//, "expected an http:// or https:// URL"),
  title: z.string().max(1000).optional(),
});

export const knowledgeSourceSchema = z.discriminatedUnion("type", [localDirectorySourceSchema, urlSourceSchema]);

export type KnowledgeSource = z.infer<typeof knowledgeSourceSchema>;

/**
 * The knowledge-source registry: what `aq sources sync` keeps in aidb. NixOS
 * renders it from services.ai-stack.knowledgeSources; for `aq up` it is a
 * file (default `.data/knowledge-sources.json`). Git repositories are not a
 * source type yet.
 */
export const knowledgeSourcesSchema = z
  .strictObject({
    /** Hosts URL sources may be fetched from (SSRF guard): `host`, `host:port`, `*.domain`. */
    allowHosts: z.array(z.string().min(1).max(300)).default([]),
    /** Loopback or private addresses (CIDRs) allowlisted hosts may resolve to; link-local never. */
    allowPrivateAddresses: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, "an address or CIDR such as 127.0.0.1/32"))
      .default([]),
    /** The largest body fetched from a URL, in bytes. */
    maxFetchBytes: z.number().int().min(1).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
    sources: z.array(knowledgeSourceSchema).default([]),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.sources.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: "custom", path: ["sources", i, "id"], message: `duplicate source id "${s.id}"` });
      seen.add(s.id);
    });
  });

export type KnowledgeSources = z.infer<typeof knowledgeSourcesSchema>;
