# A 2 GB single-board computer (e.g. a Raspberry Pi 4 2GB): tier nano.
{
  hostname = "sbc-nano";
  systemRamGb = 2;
  hasDiscreteGpu = false;
  gpuVendor = "none";
  cpuVendor = "arm";
  cpuArchitecture = "aarch64";
  cpuCores = 4;
  memoryBandwidthGBs = 12.8; # LPDDR4-3200, 32 bits: the spec-sheet peak
  bootLoader = "extlinux";
  disks = {
    root = "/dev/disk/by-label/NIXOS_SD";
  };
}
