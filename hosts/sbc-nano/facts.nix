# A 2 GB single-board computer (e.g. a Raspberry Pi 4 2GB): tier nano.
{
  hostname = "sbc-nano";
  systemRamGb = 2;
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
