import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./startRedis.js";

// A real PostgreSQL cluster (Debian's PostgreSQL 15 with pgvector built by
// scripts/provision.sh), started by a test on a loopback port and a socket
// directory it owns, and removed when the test stops it. PostgreSQL refuses
// to run as root, so a root test process runs it as the `postgres` user.

const pgBin = process.env.AI_STACK_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const pgShare = process.env.AI_STACK_TEST_PG_SHARE ?? "/usr/share/postgresql/15";

interface RunAs {
  uid: number;
  gid: number;
}

function runAs(): RunAs | null | string {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const u = id("-u");
  const g = id("-g");
  if (u.status !== 0 || g.status !== 0) return "running as root and there is no `postgres` user to run PostgreSQL as (Debian's postgresql-15 creates it)";
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Why real PostgreSQL tests cannot run here, or null when they can. */
export const postgresMissing: string | null = (() => {
  if (!existsSync(join(pgBin, "initdb"))) return `no PostgreSQL 15 server at ${pgBin} (Debian package postgresql-15; scripts/provision.sh installs it)`;
  if (!existsSync(join(pgShare, "extension", "vector.control")))
    return `pgvector is not installed for PostgreSQL 15 (scripts/provision.sh builds it from ../shared/vendor/pgvector, which needs that folder)`;
  const who = runAs();
  return typeof who === "string" ? who : null;
})();

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  pid: number;
  /** A URL for another database of this cluster. */
  urlFor(database: string): string;
  /**
   * A new empty database; returns its URL. It has the vector extension
   * unless `vector: false` (a database as empty as a new deployment's).
   */
  createDatabase(name?: string, opts?: { vector?: boolean }): Promise<string>;
  /** Fast shutdown, then the data directory is removed. */
  stop(): Promise<void>;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });

let databases = 0;

/**
 * initdb into a fresh temporary directory, then the server in the
 * foreground (so this process owns its PID), listening on 127.0.0.1 only
 * and on a socket in that directory. Durability is off: test data only.
 */
export async function startPostgres(opts: { maxConnections?: number } = {}): Promise<PostgresCluster> {
  if (postgresMissing) throw new Error(postgresMissing);
  const who = runAs() as RunAs | null;
  const dir = mkdtempSync(join(tmpdir(), "aidb-pg-"));
  const dataDir = join(dir, "data");
  if (who) chownSync(dir, who.uid, who.gid);
  chmodSync(dir, 0o700);
  const ids = who ? { uid: who.uid, gid: who.gid } : {};
  const init = spawnSync(join(pgBin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], {
    encoding: "utf8",
    cwd: dir,
    ...ids,
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  }
  const urlFor = (port: number, database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;

  // The port was free a moment ago; another process may take it before
  // postgres binds it, so a failed bind tries another port.
  const launch = async (): Promise<{ child: ChildProcess; port: number; stderr: () => string }> => {
    const port = await freePort();
    const child = spawn(
      join(pgBin, "postgres"),
      [
        "-D", dataDir,
        "-p", String(port),
        "-k", dir,
        "-c", "listen_addresses=127.0.0.1",
        "-c", `max_connections=${opts.maxConnections ?? 50}`,
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
        "-c", "shared_buffers=128MB",
        "-c", "maintenance_work_mem=256MB",
      ],
      { stdio: ["ignore", "ignore", "pipe"], cwd: dir, ...ids },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr = (stderr + String(d)).slice(-4000)));
    child.on("error", () => {});
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw Object.assign(new Error(`postgres exited with ${child.exitCode ?? child.signalCode}: ${stderr}`), { stderr });
      const c = new pg.Client({ connectionString: urlFor(port, "postgres") });
      c.on("error", () => {});
      const ok = await c.connect().then(
        () => c.end().then(() => true),
        () => false,
      );
      if (ok) return { child, port, stderr: () => stderr };
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await exited(child);
        throw new Error(`postgres on port ${port} did not accept connections within 30 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  let started: Awaited<ReturnType<typeof launch>> | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch();
    } catch (err) {
      const bindFailed = /could not (bind|create listen socket)|already in use/i.test((err as { stderr?: string }).stderr ?? "");
      if (!bindFailed || attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const { child, port } = started;
  // A test process that dies without stop() takes its server and files along.
  const killOnExit = () => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killOnExit);
  const pid = child.pid!;

  const admin = async <T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: urlFor(port, database) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  return {
    url: urlFor(port, "postgres"),
    port,
    pid,
    urlFor: (database) => urlFor(port, database),
    async createDatabase(name, createOpts = {}) {
      const db = name ?? `t${process.pid}_${++databases}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`not a plain database name: ${db}`);
      await admin("postgres", (c) => c.query(`CREATE DATABASE "${db}"`));
      if (createOpts.vector !== false) await admin(db, (c) => c.query("CREATE EXTENSION IF NOT EXISTS vector"));
      return urlFor(port, db);
    },
    async stop() {
      process.removeListener("exit", killOnExit);
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no wait.
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGINT");
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
