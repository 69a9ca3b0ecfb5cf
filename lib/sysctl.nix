# Kernel tuning per tier. Pure: builtins only.
#
# Each tier in lib/tiers.json names one of these profiles in `sysctlProfile`.
# Every profile sets vm.overcommit_memory=1: Redis forks to snapshot and llama.cpp
# maps the model file, and neither should fail on a heuristic overcommit check
# (the cgroup MemoryMax of each unit is the real limit).
let
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);

  profiles = {
    # nano, micro: little RAM, zram swap. Swap anonymous pages into compressed
    # RAM before dropping the page cache that holds the mmapped model, and do
    # not read ahead on swap-in (zram has no seek cost).
    constrained = {
      "vm.overcommit_memory" = 1;
      "vm.swappiness" = 100;
      "vm.page-cluster" = 0;
      "vm.watermark_boost_factor" = 0;
    };
    # small, medium: laptops. zram is smaller; NUMA balancing only adds page
    # migrations for a single inference process.
    balanced = {
      "vm.overcommit_memory" = 1;
      "vm.swappiness" = 60;
      "vm.page-cluster" = 0;
      "kernel.numa_balancing" = 0;
    };
    # large: workstations with RAM to spare. Keep the model resident.
    #
    # No vm.max_map_count here, on purpose. Qdrant's mmap storage wants at
    # least 262144 mappings, and NixOS itself already sets
    # vm.max_map_count = mkDefault 1048576 (nixos/modules/config/sysctl.nix).
    # A second mkDefault of the key fails evaluation (sysctl values merge as
    # unique options), and a higher priority would lower the limit for
    # everything else on the machine. tests/nix checks that the value a large
    # host ends up with is at least 262144.
    throughput = {
      "vm.overcommit_memory" = 1;
      "vm.swappiness" = 10;
      "kernel.numa_balancing" = 0;
      "vm.dirty_background_ratio" = 5;
    };
  };

  sysctlProfile =
    tier:
    let
      t = tiers.${tier} or (throw "sysctl: unknown tier '${toString tier}'");
    in
    profiles.${t.sysctlProfile} or (throw "sysctl: tier ${tier} names unknown profile '${t.sysctlProfile}'");

  # Keys that only exist on some kernels/architectures; the module guards them.
  # kernel.numa_balancing needs CONFIG_NUMA_BALANCING, which SBC kernels lack.
  archSpecificKeys = {
    "kernel.numa_balancing" = [
      "x86_64"
      "aarch64"
    ];
  };

  # Number of 2 MiB huge pages that hold a model of `ramGb` GB (for hugePages = "reserved").
  hugePagesFor = ramGb: builtins.ceil (ramGb * 1024.0 / 2);
in
{
  inherit
    profiles
    sysctlProfile
    archSpecificKeys
    hugePagesFor
    ;
}
