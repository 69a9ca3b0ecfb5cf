# ThinkPad P14s with an AMD Ryzen and its Radeon iGPU. 32 GB installed, 27 GB
# visible to the OS after the iGPU's carve-out: tier medium.
{
  hostname = "thinkpad-p14s";
  systemRamGb = 27;
  hasDiscreteGpu = false;
  gpuVendor = "amd";
  cpuVendor = "amd";
  cpuArchitecture = "x86_64";
  cpuCores = 16;
  vramGb = 4; # the iGPU's dedicated carve-out (UMA frame buffer) set in the firmware
  memoryBandwidthGBs = 102.4; # LPDDR5x-6400, 128 bits: the spec-sheet peak
  bootLoader = "systemd-boot";
  disks = {
    root = "/dev/disk/by-label/nixos";
    boot = "/dev/disk/by-label/boot";
  };
}
