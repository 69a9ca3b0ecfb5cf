/** One AMD card read from sysfs; a value its driver does not offer is absent. */
export interface AmdGpu {
  /** DRM name: card0. */
  card: string;
  /** PCI address from the card's uevent (PCI_SLOT_NAME), when present. */
  pci?: string;
  busyPercent?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  temperatureCelsius?: number;
  powerWatts?: number;
}

/** One NVIDIA GPU as nvidia-smi reports it; "[N/A]" values are absent. */
export interface NvidiaGpu {
  /** nvidia-smi's index: "0". */
  gpu: string;
  name: string;
  utilizationPercent?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  temperatureCelsius?: number;
  powerWatts?: number;
}

/** What one reader found, with the number of read errors on the way (a missing file is not one). */
export interface GpuReadResult<T> {
  gpus: T[];
  errors: number;
  /** Why each error happened, for the log. */
  messages: string[];
}
