# Raspberry Pi 5, 8 GB: tier micro.
{
  hostname = "pi5";
  systemRamGb = 8;
  hasDiscreteGpu = false;
  gpuVendor = "none";
  cpuVendor = "arm";
  cpuArchitecture = "aarch64";
  cpuCores = 4;
  memoryBandwidthGBs = 17.1; # LPDDR4X-4267, 32 bits: the spec-sheet peak
  bootLoader = "extlinux";
  disks = {
    root = "/dev/disk/by-label/NIXOS_SD";
  };
}
