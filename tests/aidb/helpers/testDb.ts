import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { describe } from "vitest";
import { aidbConfigSchema } from "../../../services/aidb/aidbConfigSchema.js";
import type { Db } from "../../../services/aidb/db/Db.js";
import { openDb } from "../../../services/aidb/db/openDb.js";
import { openPg } from "../../../services/aidb/db/openPg.js";
import { wrapPglite } from "../../../services/aidb/db/openPglite.js";
import { postgresMissing, startPostgres, type PostgresCluster } from "../../helpers/startPostgres.js";

// A fresh PGlite runs initdb (2-8 s). Tests instead copy a template data
// directory made once (kept in .test-artifacts between runs) and open the
// copy (under a second).
const templateVersion = 1;
const root = resolve(import.meta.dirname, "../../..");
const templateDir = join(root, ".test-artifacts", `pglite-template-v${templateVersion}`);

async function ensureTemplate(): Promise<string> {
  if (existsSync(join(templateDir, "PG_VERSION"))) return templateDir;
  mkdirSync(join(root, ".test-artifacts"), { recursive: true });
  const tmp = `${templateDir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const pg = await PGlite.create({ dataDir: tmp, extensions: { vector } });
  await pg.exec("CREATE EXTENSION IF NOT EXISTS vector");
  await pg.close();
  try {
    renameSync(tmp, templateDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker won the race
  }
  return templateDir;
}

/** A new empty data directory (copied from the template), for `--data-dir` or openPglite. */
export async function freshDataDir(): Promise<string> {
  const template = await ensureTemplate();
  const dir = join(mkdtempSync(join(tmpdir(), "aidb-test-")), "data");
  cpSync(template, dir, { recursive: true });
  return dir;
}

export interface TestDb {
  db: Db;
  /** The PGlite data directory (PGlite and pglite-socket). */
  dataDir?: string;
  /** The database's URL (real PostgreSQL). */
  url?: string;
  close: () => Promise<void>;
}

/** The embedded driver on a fresh copy of the template. */
export async function openTestPglite(): Promise<TestDb> {
  const dataDir = await freshDataDir();
  const pg = await PGlite.create({ dataDir, extensions: { vector } });
  const db = wrapPglite(pg);
  return { db, dataDir, close: async () => (await db.close(), removeDataDir(dataDir)) };
}

/**
 * The `pg` driver, through pglite-socket on a loopback port. pglite-socket
 * serves one session to every connection, so the pool holds one connection.
 */
export async function openTestPg(): Promise<TestDb> {
  const dataDir = await freshDataDir();
  const pg = await PGlite.create({ dataDir, extensions: { vector } });
  const server = new PGLiteSocketServer({ db: pg, host: "127.0.0.1", port: 0 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const db = await openPg({ url, max: 1 });
  return {
    db,
    dataDir,
    close: async () => {
      await db.close();
      await server.stop();
      await pg.close();
      removeDataDir(dataDir);
    },
  };
}

// One real PostgreSQL cluster per test file (each file runs in its own
// process), started by the first database asked for and stopped when the
// last one open is closed (afterAll).
let cluster: { started: Promise<PostgresCluster>; open: number } | undefined;

/** The running cluster of this test file, started on first use; pair with releaseTestCluster. */
export async function acquireTestCluster(): Promise<PostgresCluster> {
  cluster ??= { started: startPostgres(), open: 0 };
  cluster.open++;
  const mine = cluster;
  try {
    return await mine.started;
  } catch (err) {
    if (cluster === mine) cluster = undefined;
    throw err;
  }
}

/** Stops the cluster once nothing acquired it any more. */
export async function releaseTestCluster(): Promise<void> {
  if (!cluster || --cluster.open > 0) return;
  const { started } = cluster;
  cluster = undefined;
  await (await started).stop();
}

/** The settings production opens its pool with (aidb's config defaults), the pool at least 4. */
export function productionPoolSettings(): { poolSize: number; efSearch: number } {
  const config = aidbConfigSchema.parse({ embeddingsUrl: "http://127.0.0.1:1" });
  return { poolSize: Math.max(4, config.databasePoolSize), efSearch: config.efSearch };
}

/**
 * The `pg` driver against real PostgreSQL 15 with pgvector: a fresh
 * database (vector extension created) of this file's cluster, opened the
 * way production opens it (openDb: a pool of databasePoolSize, at least 4,
 * each connection with the session settings).
 */
export async function openTestPostgres(): Promise<TestDb> {
  const pgCluster = await acquireTestCluster();
  try {
    const url = await pgCluster.createDatabase();
    const db = await openDb({ databaseUrl: url, ...productionPoolSettings() });
    return {
      db,
      url,
      close: async () => {
        await db.close();
        await releaseTestCluster();
      },
    };
  } catch (err) {
    await releaseTestCluster();
    throw err;
  }
}

type Driver = readonly [name: string, open: () => Promise<TestDb>];

/**
 * The drivers the shared suites run on: PGlite, `pg` over pglite-socket
 * (pool of 1), and `pg` against real PostgreSQL (pool of 4) where the
 * machine has PostgreSQL 15 with pgvector (see missingDrivers otherwise).
 */
export const drivers: readonly Driver[] = [
  ["pglite", openTestPglite],
  ["pg", openTestPg],
  ...(postgresMissing ? [] : [["postgres", openTestPostgres] as const]),
];

/** Drivers this machine cannot run, with the reason: suites report them as skipped. */
export const missingDrivers: readonly (readonly [name: string, reason: string])[] = postgresMissing ? [["postgres", postgresMissing]] : [];

/** Removes a directory made by freshDataDir. */
export function removeDataDir(dataDir: string): void {
  rmSync(dirname(dataDir), { recursive: true, force: true });
}

/** `describe` for suites that need real PostgreSQL; skipped, with the reason in its name, where it is missing. */
export function describePostgres(name: string, fn: () => void): void {
  if (postgresMissing) describe.skip(`${name} (skipped: ${postgresMissing})`, fn);
  else describe(name, fn);
}
