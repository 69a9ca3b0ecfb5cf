# Mirrors services.xserver.videoDrivers from
# nixos/modules/services/x11/xserver.nix (NixOS/nixpkgs, release 25.11): the
# list that turns the NVIDIA driver on (nixos/modules/hardware/video/nvidia.nix
# reads it). Setting it does not enable an X server. Not mirrored: the rest of
# the X server module.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.services.xserver.videoDrivers = mkOption {
    type = types.listOf types.str;
    default = [
      "modesetting"
      "fbdev"
    ];
    example = [ "nvidia" ];
    description = "The names of the video drivers the configuration supports, in order of preference.";
  };
}
