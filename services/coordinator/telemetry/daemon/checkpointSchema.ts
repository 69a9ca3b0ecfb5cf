import { z } from "zod";

/** The current checkpoint format. */
export const checkpointVersion = 2;

/** Version 1 (the first daemon): a byte offset into the telemetry file and a count. */
export const checkpointV1Schema = z.object({
  schema_version: z.literal(1),
  file: z.string(),
  offset: z.number().int().min(0),
  examples: z.number().int().min(0).default(0),
});

/**
 * Version 2: where reading stopped, identified by the file's inode as well
 * (the coordinator rotates telemetry.jsonl to .1, a new file starts at 0),
 * the open session, and counts.
 */
export const checkpointV2Schema = z.object({
  schema_version: z.literal(2),
  source: z.object({ file: z.string(), inode: z.number().int().nullable(), offset: z.number().int().min(0) }),
  session: z.object({ id: z.string(), file: z.string(), started_at: z.string(), bytes: z.number().int().min(0) }).nullable(),
  counts: z.object({ lines_read: z.number().int(), examples_written: z.number().int(), lines_skipped: z.number().int(), sessions: z.number().int() }),
  updated_at: z.string(),
  /** The version this checkpoint was migrated from, if any. */
  migrated_from: z.number().int().optional(),
});

export type Checkpoint = z.infer<typeof checkpointV2Schema>;

/** A checkpoint of a version this daemon does not know (newer): it refuses to overwrite it. */
export class CheckpointVersionError extends Error {
  constructor(readonly version: unknown) {
    super(`checkpoint schema_version ${JSON.stringify(version)} is not one this daemon knows (1 to ${checkpointVersion}); it was written by a newer version`);
    this.name = "CheckpointVersionError";
  }
}

/**
 * Reads any known checkpoint version as the current one. Version 1 becomes
 * version 2 with its offset kept, the inode unknown (null: taken as the file
 * it names), no open session and its example count kept. A checkpoint
 * without schema_version is version 1 (the field came with version 2's
 * migration support, the format did not change).
 */
export function migrateCheckpoint(raw: unknown): Checkpoint {
  const version = raw && typeof raw === "object" && "schema_version" in raw ? (raw as { schema_version: unknown }).schema_version : 1;
  if (version === 2) return checkpointV2Schema.parse(raw);
  if (version === 1) {
    const v1 = checkpointV1Schema.parse({ ...(raw as object), schema_version: 1 });
    return {
      schema_version: 2,
      source: { file: v1.file, inode: null, offset: v1.offset },
      session: null,
      counts: { lines_read: 0, examples_written: v1.examples, lines_skipped: 0, sessions: 0 },
      updated_at: new Date().toISOString(),
      migrated_from: 1,
    };
  }
  throw new CheckpointVersionError(version);
}
