import { createHash } from "node:crypto";

/**
 * Version stamps that invalidate the coordinator's semantic cache. aidb
 * INCRs them when what a search can return changes; the coordinator reads
 * them on every lookup and makes them part of the cache scope, so a bump
 * makes every older entry unreachable without scanning (TTL removes them).
 * Stamps never expire. A missing key reads as stamp "0".
 */
export const STAMP_KEY_PREFIX = "cache-stamp:";

/** Bumped when the fusion weights change: part of every scope. */
export const FUSION_STAMP_KEY = `${STAMP_KEY_PREFIX}fusion`;

/**
 * Bumped with every project's own stamp: the corpus stamp of queries that
 * search all projects (no `project`).
 */
export const ALL_PROJECTS_STAMP_KEY = `${STAMP_KEY_PREFIX}corpus:all`;

/** The stamp value a missing key stands for. */
export const MISSING_STAMP = "0";

/**
 * `p` + the first 32 hex digits of sha256(project), so any project name
 * (spaces, colons, glob characters, 200 characters) makes a short, safe key
 * part that cannot collide with "all".
 */
export function projectTag(project: string): string {
  return `p${createHash("sha256").update(project, "utf8").digest("hex").slice(0, 32)}`;
}

/** `cache-stamp:corpus:p<32 hex>`: bumped on ingest into, and delete from, one project. */
export function corpusStampKey(project: string): string {
  return `${STAMP_KEY_PREFIX}corpus:${projectTag(project)}`;
}

/** The corpus stamp a query reads: its project's, or the all-projects stamp without one. */
export function corpusStampKeyFor(project: string | undefined): string {
  return project === undefined ? ALL_PROJECTS_STAMP_KEY : corpusStampKey(project);
}
