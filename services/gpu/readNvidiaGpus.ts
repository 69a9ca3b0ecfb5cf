import { execFile } from "node:child_process";
import type { GpuReadResult, NvidiaGpu } from "./GpuReading.js";

export const NVIDIA_SMI_QUERY = [
  "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw",
  "--format=csv,noheader,nounits",
];

const MIB = 1024 * 1024;

/**
 * Runs `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` and parses
 * one GPU per line. No nvidia-smi at all (ENOENT, the usual case on a machine
 * without an NVIDIA driver) gives no GPUs and no error; a failing run (exit
 * status, timeout) or a line that does not parse counts as an error.
 */
export async function readNvidiaGpus(opts: { nvidiaSmi: string; timeoutMs?: number }): Promise<GpuReadResult<NvidiaGpu>> {
  const stdout = await new Promise<{ text?: string; error?: string }>((resolve) => {
    execFile(opts.nvidiaSmi, NVIDIA_SMI_QUERY, { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 1024 * 1024 }, (err, out, errText) => {
      if (!err) return resolve({ text: out });
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return resolve({});
      const detail = String(errText).trim().split("\n")[0] || String(out).trim().split("\n")[0] || err.message;
      resolve({ error: `${opts.nvidiaSmi} failed: ${detail}` });
    });
  });
  if (stdout.error) return { gpus: [], errors: 1, messages: [stdout.error] };
  return parseNvidiaSmiCsv(stdout.text ?? "");
}

/** Parses nvidia-smi's CSV (noheader, nounits) for the fields of NVIDIA_SMI_QUERY. */
export function parseNvidiaSmiCsv(text: string): GpuReadResult<NvidiaGpu> {
  const result: GpuReadResult<NvidiaGpu> = { gpus: [], errors: 0, messages: [] };
  const fail = (line: string, why: string) => {
    result.errors++;
    result.messages.push(`nvidia-smi line ${JSON.stringify(line.slice(0, 120))}: ${why}`);
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const fields = line.split(",").map((f) => f.trim());
    // A product name could hold a comma: the index is first, the five numbers last.
    if (fields.length < 7) {
      fail(line, `expected 7 fields, got ${fields.length}`);
      continue;
    }
    const [index] = fields;
    const name = fields.slice(1, -5).join(", ");
    if (!/^\d+$/.test(index)) {
      fail(line, `index is not a number`);
      continue;
    }
    const [utilization, memUsed, memTotal, temperature, power] = fields.slice(-5).map((raw) => {
      if (notAvailable(raw)) return undefined;
      const value = Number(raw);
      if (raw === "" || !Number.isFinite(value)) {
        fail(line, `not a number: ${JSON.stringify(raw)}`);
        return undefined;
      }
      return value;
    });
    const gpu: NvidiaGpu = { gpu: index, name };
    if (utilization !== undefined) gpu.utilizationPercent = utilization;
    if (memUsed !== undefined) gpu.memoryUsedBytes = memUsed * MIB;
    if (memTotal !== undefined) gpu.memoryTotalBytes = memTotal * MIB;
    if (temperature !== undefined) gpu.temperatureCelsius = temperature;
    if (power !== undefined) gpu.powerWatts = power;
    result.gpus.push(gpu);
  }
  return result;
}

/** "[N/A]", "[Not Supported]", "N/A" and the like. */
function notAvailable(raw: string): boolean {
  return /^\[.*\]$/.test(raw) || /^n\/a$/i.test(raw);
}
