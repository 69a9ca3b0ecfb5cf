# Raspberry Pi 5, 8 GB: tier micro.
{
  hostname = "pi5";
  systemRamGb = 8;
  hasDiscreteGpu = false;
  gpuVendor = "none";
  cpuVendor = "arm";
  cpuArchitecture = "aarch64";
  cpuCores = 4;
  bootLoader = "extlinux";
  disks = {
    root = "/dev/disk/by-label/NIXOS_SD";
  };
}
