# A 64 GB workstation with an NVIDIA discrete GPU: tier large.
{
  hostname = "workstation";
  systemRamGb = 64;
  hasDiscreteGpu = true;
  gpuVendor = "nvidia";
  cpuVendor = "amd";
  cpuArchitecture = "x86_64";
  cpuCores = 16;
  vramGb = 24; # e.g. an RTX 4090 or 3090
  memoryBandwidthGBs = 89.6; # DDR5-5600, two channels: the spec-sheet peak
  bootLoader = "systemd-boot";
  disks = {
    root = "/dev/disk/by-label/nixos";
    boot = "/dev/disk/by-label/boot";
  };
}
