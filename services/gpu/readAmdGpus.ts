import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AmdGpu, GpuReadResult } from "./GpuReading.js";

export const AMD_VENDOR_ID = "0x1002";

const cardName = /^card(\d+)$/;

/**
 * Reads every AMD card under SYSFS_ROOT/class/drm/cardN/device (vendor
 * 0x1002): busy percent, VRAM used and total (bytes), and from the first
 * hwmon directory the edge temperature (millidegrees -> °C) and power
 * (power1_average, else power1_input; microwatts -> W). Other vendors and
 * connector entries (card0-DP-1) are ignored. A missing file leaves that value
 * out; any other read failure, or content that is not a number, counts as an
 * error and also leaves the value out.
 */
export async function readAmdGpus(sysfsRoot: string): Promise<GpuReadResult<AmdGpu>> {
  const result: GpuReadResult<AmdGpu> = { gpus: [], errors: 0, messages: [] };
  const fail = (path: string, why: string) => {
    result.errors++;
    result.messages.push(`${path}: ${why}`);
  };
  const drm = join(sysfsRoot, "class", "drm");
  let entries: string[];
  try {
    entries = await readdir(drm);
  } catch (err) {
    if (!isMissing(err)) fail(drm, (err as Error).message);
    return result;
  }
  const cards = entries
    .filter((e) => cardName.test(e))
    .sort((a, b) => Number(cardName.exec(a)![1]) - Number(cardName.exec(b)![1]));

  for (const card of cards) {
    const device = join(drm, card, "device");
    const text = (file: string) => readText(join(device, file), fail);
    const vendor = await text("vendor");
    if (vendor?.trim().toLowerCase() !== AMD_VENDOR_ID) continue;
    const number = async (path: string): Promise<number | undefined> => {
      const raw = await readText(path, fail);
      if (raw === undefined) return undefined;
      const value = Number(raw.trim());
      if (raw.trim() === "" || !Number.isFinite(value)) {
        fail(path, `not a number: ${JSON.stringify(raw.trim().slice(0, 40))}`);
        return undefined;
      }
      return value;
    };

    const gpu: AmdGpu = { card };
    const pci = /^PCI_SLOT_NAME=(\S+)$/m.exec((await text("uevent")) ?? "")?.[1];
    if (pci) gpu.pci = pci;
    gpu.busyPercent = await number(join(device, "gpu_busy_percent"));
    gpu.memoryUsedBytes = await number(join(device, "mem_info_vram_used"));
    gpu.memoryTotalBytes = await number(join(device, "mem_info_vram_total"));

    const hwmon = await firstHwmon(join(device, "hwmon"), fail);
    if (hwmon) {
      const milli = await number(join(hwmon, "temp1_input"));
      if (milli !== undefined) gpu.temperatureCelsius = milli / 1000;
      const average = join(hwmon, "power1_average");
      const micro = (await exists(average)) ? await number(average) : await number(join(hwmon, "power1_input"));
      if (micro !== undefined) gpu.powerWatts = micro / 1e6;
    }
    result.gpus.push(dropUndefined(gpu));
  }
  return result;
}

async function firstHwmon(dir: string, fail: (path: string, why: string) => void): Promise<string | undefined> {
  try {
    const names = (await readdir(dir)).filter((n) => /^hwmon\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    return names[0] === undefined ? undefined : join(dir, names[0]);
  } catch (err) {
    if (!isMissing(err)) fail(dir, (err as Error).message);
    return undefined;
  }
}

async function readText(path: string, fail: (path: string, why: string) => void): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (!isMissing(err)) fail(path, (err as Error).message);
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    // Unreadable but present: let the read report the error.
    return !isMissing(err);
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
