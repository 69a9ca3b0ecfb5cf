# The nixpkgs (NixOS 25.11) modules that nix/modules builds on, mirrored for
# the test harness: one file per upstream file, each naming the file it
# mirrors. Every option outside services.ai-stack that nix/modules or
# hosts/ sets or reads is declared here with its upstream type and default,
# and the upstream definitions that can meet ours are mirrored too; there is
# no free-form catch-all, so a misspelled option, a wrong type or a clash with
# an upstream definition fails as it would on NixOS.
{
  imports = [
    ./assertions.nix
    ./nixpkgs.nix
    ./version.nix
    ./network-interfaces.nix
    ./firewall.nix
    ./system-path.nix
    ./filesystems.nix
    ./kernel.nix
    ./sysctl.nix
    ./boot-loader/grub.nix
    ./boot-loader/systemd-boot.nix
    ./boot-loader/generic-extlinux-compatible.nix
    ./zram.nix
    ./graphics.nix
    ./xserver.nix
    ./nvidia.nix
    ./users-groups.nix
    ./systemd.nix
    ./tmpfiles.nix
    ./thermald.nix
    ./postgresql.nix
    ./redis.nix
    ./prometheus.nix
    ./prometheus-exporters.nix
    ./grafana.nix
    ./open-webui.nix
    ./qdrant.nix
  ];
}
