import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "pino";
import { ConfigError } from "../../shared/config/ConfigError.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import { routingConfigSchema, type RoutingConfig } from "./routingConfigSchema.js";

export const ROUTING_CONFIG_FILE = "routing-config.json";

export interface RoutingConfigStoreOptions {
  stateDir: string;
  logger: Logger;
  /** Re-read this often even without a watch event, so a value is never more than this stale. Default 30 s. */
  pollMs?: number;
  /** How long a file must stay unchanged before it is read (half-written files). Default 50 ms. */
  stabilityMs?: number;
}

type ReadResult = { ok: true; config: RoutingConfig } | { ok: false; field: string; problem: string };

/**
 * Holds the routing configuration read from `<stateDir>/routing-config.json`,
 * writing the defaults there when the file is missing. chokidar watches the
 * file; a valid change applies to the next `current()`, an invalid one keeps
 * the last good value and logs an error naming the field. Invalid at boot is
 * a ConfigError.
 */
export class RoutingConfigStore {
  readonly file: string;
  private config: RoutingConfig;
  private lastText: string;
  private readonly logger: Logger;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(file: string, logger: Logger, config: RoutingConfig, text: string) {
    this.file = file;
    this.logger = logger;
    this.config = config;
    this.lastText = text;
  }

  static async open(opts: RoutingConfigStoreOptions): Promise<RoutingConfigStore> {
    const file = join(opts.stateDir, ROUTING_CONFIG_FILE);
    let text = readText(file);
    if (text === undefined) {
      mkdirSync(opts.stateDir, { recursive: true });
      const defaults = routingConfigSchema.parse({});
      text = `${JSON.stringify(
        {
          local_confidence_threshold: defaults.threshold,
          remote_circuit: { failures: defaults.remoteCircuit.failures, cooldown_ms: defaults.remoteCircuit.cooldownMs },
        },
        null,
        2,
      )}\n`;
      writeFileSync(file, text, { flag: "wx" });
      opts.logger.info({ event: "routing_config_created", file }, `wrote default ${file}`);
    }
    const first = parse(text);
    if (!first.ok) throw new ConfigError(`${file}: invalid "${first.field}": ${first.problem}`);
    const store = new RoutingConfigStore(file, opts.logger, first.config, text);
    await store.startWatching(opts.stabilityMs ?? 50, opts.pollMs ?? 30_000);
    return store;
  }

  current(): RoutingConfig {
    return this.config;
  }

  /**
   * Sets keys of the file (its snake_case names, e.g.
   * `local_confidence_threshold`), keeping every other key as it is: the
   * result is validated, written to a temporary file and renamed over the
   * old one (a reader never sees half a file), and applies at once. Throws
   * ConfigError, changing nothing, when the file as it is now is unreadable
   * or the result would be invalid.
   */
  write(patch: Record<string, unknown>): RoutingConfig {
    const text = readText(this.file) ?? this.lastText;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${this.file}: not valid JSON (${(err as Error).message}); fix it before applying a change`);
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(`${this.file}: expected a JSON object`);
    const nextText = `${JSON.stringify({ ...(raw as Record<string, unknown>), ...patch }, null, 2)}\n`;
    const result = parse(nextText);
    if (!result.ok) throw new ConfigError(`${this.file}: the change would make "${result.field}" invalid: ${result.problem}`);
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, nextText);
    renameSync(tmp, this.file);
    const before = this.config;
    this.lastText = nextText;
    this.config = result.config;
    this.logger.info({ event: "routing_config_written", file: this.file, patch, before, after: result.config }, "routing config written");
    return result.config;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private async startWatching(stabilityMs: number, pollMs: number) {
    const watcher = watch(this.file, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: stabilityMs, pollInterval: Math.max(10, Math.floor(stabilityMs / 5)) },
    });
    this.watcher = watcher;
    watcher.on("add", () => this.reload());
    watcher.on("change", () => this.reload());
    watcher.on("unlink", () =>
      this.logger.warn({ event: "routing_config_missing", file: this.file }, `${this.file} was removed; keeping the last good routing config`),
    );
    watcher.on("error", (err) => this.logger.error({ event: "routing_config_watch_error", err }, "routing config watcher failed"));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    this.timer = setInterval(() => this.reload(), pollMs);
    this.timer.unref();
  }

  /** Reads the file again; applies it when it changed and is valid. */
  private reload(): void {
    let text: string | undefined;
    try {
      text = readText(this.file);
    } catch (err) {
      this.logger.error({ event: "routing_config_unreadable", file: this.file, err }, `cannot read ${this.file}; keeping the last good routing config`);
      return;
    }
    if (text === undefined || text === this.lastText) return;
    this.lastText = text;
    const result = parse(text);
    if (!result.ok) {
      this.logger.error(
        { event: "routing_config_invalid", file: this.file, field: result.field, problem: result.problem, kept: this.config },
        `${this.file}: invalid "${result.field}": ${result.problem}; keeping the last good routing config`,
      );
      return;
    }
    const before = this.config;
    this.config = result.config;
    this.logger.info({ event: "routing_config_reloaded", file: this.file, before, after: result.config }, "routing config reloaded");
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parse(text: string): ReadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, field: "(file)", problem: `not valid JSON: ${(err as Error).message}` };
  }
  const result = routingConfigSchema.safeParse(value);
  if (result.success) return { ok: true, config: result.data };
  const issue = formatZodIssues(result.error)[0]!;
  const unknownKeys = (result.error.issues[0] as { keys?: string[] }).keys;
  const field = unknownKeys?.length ? [issue.path, unknownKeys[0]].filter((p) => p !== "(root)").join(".") : issue.path;
  return { ok: false, field, problem: issue.message };
}
