# A 16 GB Intel laptop with integrated graphics: tier small.
{
  hostname = "laptop-small";
  systemRamGb = 16;
  hasDiscreteGpu = false;
  gpuVendor = "intel";
  cpuVendor = "intel";
  cpuArchitecture = "x86_64";
  cpuCores = 8;
  memoryBandwidthGBs = 51.2; # DDR4-3200, two channels: the spec-sheet peak
  bootLoader = "systemd-boot";
  disks = {
    root = "/dev/disk/by-label/nixos";
    boot = "/dev/disk/by-label/boot";
  };
}
