import { z } from "zod";
import { intField } from "../../../shared/config/fields.js";

/**
 * The continuous-learning daemon's settings (`aq continuous-learning`): the
 * coordinator's telemetry file it follows, where its sessions, checkpoint and
 * PID lock live, the free space below which it starts no new session, and
 * the size at which a session is compressed and a new one begun.
 */
export const continuousLearningConfigSchema = z.strictObject({
  telemetryFile: z.string().min(1).default(".data/coordinator/telemetry.jsonl"),
  stateDir: z.string().min(1).default(".data/continuous-learning"),
  /** 2 GiB: below this much free space on the state directory's file system no new session starts (`disk_pressure_warning`). */
  minFreeBytes: intField(0, Number.MAX_SAFE_INTEGER).default(2 * 1024 ** 3),
  /** 50 MiB: a session file this large is gzip-compressed and a new one begun. */
  rotateBytes: intField(1024, 1024 ** 4).default(50 * 1024 ** 2),
  /** While disk pressure or an error stops progress, try again this often (change events also wake it). */
  retryMs: intField(100, 3_600_000).default(60_000),
});

export type ContinuousLearningConfig = z.infer<typeof continuousLearningConfigSchema>;
