# Mirrors the options of nixos/modules/services/networking/firewall.nix
# (NixOS/nixpkgs, release 25.11) that nixpkgs' modules used by nix/modules
# define (redis, grafana and open-webui add their ports when openFirewall is
# set). Not mirrored: per-interface options, the iptables/nftables rules.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.networking.firewall = {
    enable = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable the firewall.";
    };
    allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      apply = lib.unique;
      description = "List of TCP ports on which incoming connections are accepted.";
    };
    allowedUDPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      apply = lib.unique;
      description = "List of open UDP ports.";
    };
  };
}
