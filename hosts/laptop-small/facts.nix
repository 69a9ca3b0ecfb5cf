# A 16 GB Intel laptop with integrated graphics: tier small.
{
  hostname = "laptop-small";
  systemRamGb = 16;
  hasDiscreteGpu = false;
  gpuVendor = "intel";
  cpuVendor = "intel";
  cpuArchitecture = "x86_64";
  cpuCores = 8;
  bootLoader = "systemd-boot";
  disks = {
    root = "/dev/disk/by-label/nixos";
    boot = "/dev/disk/by-label/boot";
  };
}
