import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface MemoryLimit {
  bytes: number;
  /** Where it came from: the setting, or the cgroup file read. */
  source: string;
}

/** cgroup v1 reports "no limit" as a huge page-aligned number. */
const V1_UNLIMITED = 2 ** 60;

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
};

/**
 * The memory limit of this process's cgroup: v2 `memory.max` of the cgroup
 * named by the `0::` line of /proc/self/cgroup, or v1 `memory.limit_in_bytes`
 * of the `memory` controller's. null when there is none ("max", unlimited,
 * or no cgroup file to read). `root` replaces `/` for tests.
 */
export function readCgroupMemoryLimit(root = "/"): MemoryLimit | null {
  const cgroups = readText(join(root, "proc/self/cgroup"));
  if (cgroups === null) return null;
  for (const line of cgroups.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === "") {
      const file = join(root, "sys/fs/cgroup", path, "memory.max");
      const value = readText(file);
      if (value !== null && /^\d+$/.test(value)) return { bytes: Number(value), source: file };
    } else if (controllers.split(",").includes("memory")) {
      const file = join(root, "sys/fs/cgroup/memory", path, "memory.limit_in_bytes");
      const value = readText(file);
      if (value !== null && /^\d+$/.test(value) && Number(value) < V1_UNLIMITED) return { bytes: Number(value), source: file };
    }
  }
  return null;
}

/** The limit the models must fit in: the `memoryLimitBytes` setting, else the cgroup's, else none. */
export function resolveMemoryLimit(memoryLimitBytes: number | undefined, root = "/"): MemoryLimit | null {
  if (memoryLimitBytes !== undefined) return { bytes: memoryLimitBytes, source: "the memoryLimitBytes setting" };
  return readCgroupMemoryLimit(root);
}
