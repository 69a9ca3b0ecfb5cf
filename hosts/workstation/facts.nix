# A 64 GB workstation with an NVIDIA discrete GPU: tier large.
{
  hostname = "workstation";
  systemRamGb = 64;
  hasDiscreteGpu = true;
  gpuVendor = "nvidia";
  cpuVendor = "amd";
  cpuArchitecture = "x86_64";
  cpuCores = 16;
  bootLoader = "systemd-boot";
  disks = {
    root = "/dev/disk/by-label/nixos";
    boot = "/dev/disk/by-label/boot";
  };
}
