# Kernel tuning for the tier and the hardware. Every item is guarded by the tier
# (through lib/tiers.json) or by the architecture/vendor facts.
{ config, lib, ... }:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  facts = cfg.facts;
  isx86_64 = facts.cpuArchitecture == "x86_64";

  profile = aiLib.sysctlProfile cfg.hardwareTier;
  # A key listed in archSpecificKeys applies only on those architectures.
  keyApplies = key: !(aiLib.archSpecificKeys ? ${key}) || builtins.elem facts.cpuArchitecture aiLib.archSpecificKeys.${key};

  chatModel = aiLib.modelById cfg.model;
in
{
  config = lib.mkIf (cfg.enable && cfg.tuning.enable) (
    lib.mkMerge [
      # The tier's sysctl profile (vm.overcommit_memory=1 on every tier,
      # kernel.numa_balancing=0 where the kernel has it, swap behaviour per tier).
      {
        boot.kernel.sysctl = lib.mapAttrs (key: value: lib.mkIf (keyApplies key) (lib.mkDefault value)) profile;
      }

      # Transparent huge pages: madvise (or never on nano, where compaction stalls cost more than TLB misses).
      (lib.mkIf (cfg.tuning.hugePages != "reserved") {
        boot.kernelParams = [ "transparent_hugepage=${cfg.tuning.hugePages}" ];
      })

      # Reserved huge pages sized to the chat model; glibc's malloc uses them
      # (hugetlb=2) when the model is loaded without mmap.
      (lib.mkIf (cfg.tuning.hugePages == "reserved") {
        boot.kernelParams = [ "transparent_hugepage=madvise" ];
        boot.kernel.sysctl."vm.nr_hugepages" = lib.mkDefault (aiLib.hugePagesFor chatModel.ram_required_gb);
        systemd.services.ai-inference.environment.GLIBC_TUNABLES = "glibc.malloc.hugetlb=2";
      })

      # Compressed swap in RAM on the small tiers.
      (lib.mkIf cfg.tuning.zram.enable {
        zramSwap = {
          enable = true;
          algorithm = "lz4";
          inherit (cfg.tuning.zram) memoryPercent;
        };
      })

      # No intel_rapl_msr: the RAPL energy counters (energy_uj) are readable
      # by root only since Linux 5.10 (CVE-2020-8694), and node-exporter runs
      # as an unprivileged user, so its rapl collector could never read them
      # (monitoring.nix turns that collector off).

      # AMD CPUs: the amd-pstate EPP driver and the k10temp sensor (hwmon).
      (lib.mkIf (isx86_64 && facts.cpuVendor == "amd") {
        boot.kernelParams = [ "amd_pstate=active" ];
        boot.kernelModules = [ "k10temp" ];
      })

      # Intel CPUs: thermald keeps sustained inference from hitting thermal trips.
      (lib.mkIf (isx86_64 && facts.cpuVendor == "intel") {
        services.thermald.enable = lib.mkDefault true;
        boot.kernelModules = [ "coretemp" ];
      })
    ]
  );
}
