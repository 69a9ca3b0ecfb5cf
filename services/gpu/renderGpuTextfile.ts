import type { AmdGpu, GpuReadResult, NvidiaGpu } from "./GpuReading.js";

/** The textfile's name in node-exporter's textfile directory. */
export const GPU_TEXTFILE_NAME = "ai_stack_gpu.prom";

interface Family<T> {
  name: string;
  help: string;
  value: (gpu: T) => number | undefined;
}

const amdFamilies: Family<AmdGpu>[] = [
  { name: "amdgpu_gpu_busy_percent", help: "GPU busy, 0-100 (sysfs gpu_busy_percent)", value: (g) => g.busyPercent },
  { name: "amdgpu_memory_used_bytes", help: "VRAM in use in bytes (sysfs mem_info_vram_used)", value: (g) => g.memoryUsedBytes },
  { name: "amdgpu_memory_total_bytes", help: "VRAM size in bytes (sysfs mem_info_vram_total)", value: (g) => g.memoryTotalBytes },
  { name: "amdgpu_temperature_celsius", help: "Edge temperature in degrees Celsius (hwmon temp1_input)", value: (g) => g.temperatureCelsius },
  { name: "amdgpu_power_watts", help: "Average board power in watts (hwmon power1_average or power1_input)", value: (g) => g.powerWatts },
];

const nvidiaFamilies: Family<NvidiaGpu>[] = [
  { name: "nvidia_gpu_utilization_percent", help: "GPU utilization, 0-100 (nvidia-smi utilization.gpu)", value: (g) => g.utilizationPercent },
  { name: "nvidia_gpu_memory_used_bytes", help: "GPU memory in use in bytes (nvidia-smi memory.used)", value: (g) => g.memoryUsedBytes },
  { name: "nvidia_gpu_memory_total_bytes", help: "GPU memory size in bytes (nvidia-smi memory.total)", value: (g) => g.memoryTotalBytes },
  { name: "nvidia_gpu_temperature_celsius", help: "GPU core temperature in degrees Celsius (nvidia-smi temperature.gpu)", value: (g) => g.temperatureCelsius },
  { name: "nvidia_gpu_power_watts", help: "GPU power draw in watts (nvidia-smi power.draw)", value: (g) => g.powerWatts },
];

export const GPU_SCRAPE_ERRORS = "ai_stack_gpu_scrape_errors";

/**
 * Prometheus text for node-exporter's textfile collector: one family per
 * metric that has at least one value, then the error gauge by source.
 */
export function renderGpuTextfile(read: { amd: GpuReadResult<AmdGpu>; nvidia: GpuReadResult<NvidiaGpu> }): string {
  const lines: string[] = [];
  const family = <T>(f: Family<T>, gpus: T[], labels: (g: T) => Record<string, string>) => {
    const samples = gpus.flatMap((g) => {
      const v = f.value(g);
      return v === undefined ? [] : [`${f.name}${formatLabels(labels(g))} ${formatValue(v)}`];
    });
    if (samples.length === 0) return;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`, ...samples);
  };
  // Every series of a family keeps the same label names (node-exporter refuses
  // a family whose series differ), so an unknown PCI address is "".
  for (const f of amdFamilies) family(f, read.amd.gpus, (g) => ({ card: g.card, pci: g.pci ?? "" }));
  for (const f of nvidiaFamilies) family(f, read.nvidia.gpus, (g) => ({ gpu: g.gpu, name: g.name }));
  lines.push(
    `# HELP ${GPU_SCRAPE_ERRORS} Read errors in the last pass of aq gpu-metrics, by source (a missing file is not an error)`,
    `# TYPE ${GPU_SCRAPE_ERRORS} gauge`,
    `${GPU_SCRAPE_ERRORS}{source="amdgpu"} ${read.amd.errors}`,
    `${GPU_SCRAPE_ERRORS}{source="nvidia"} ${read.nvidia.errors}`,
  );
  return `${lines.join("\n")}\n`;
}

function formatLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatValue(v: number): string {
  return String(v);
}
