import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Db } from "../../../services/aidb/db/Db.js";
import { openPg } from "../../../services/aidb/db/openPg.js";
import { wrapPglite } from "../../../services/aidb/db/openPglite.js";

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
  dataDir: string;
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

export const drivers = [
  ["pglite", openTestPglite],
  ["pg", openTestPg],
] as const;

/** Removes a directory made by freshDataDir. */
export function removeDataDir(dataDir: string): void {
  rmSync(dirname(dataDir), { recursive: true, force: true });
}
