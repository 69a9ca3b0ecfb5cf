# Mirrors networking.hostName from nixos/modules/tasks/network-interfaces.nix
# (NixOS/nixpkgs, release 25.11): a RFC 1035 label, default "nixos".
{ lib, ... }:
{
  options.networking.hostName = lib.mkOption {
    default = "nixos";
    type = lib.types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
    description = "The name of the machine. Leave it empty to get it from DHCP.";
  };
}
