# Mirrors nixos/modules/hardware/graphics.nix (NixOS/nixpkgs, release 25.11):
# hardware.graphics.enable puts the driver set (mesa by default, plus
# extraPackages such as the NVIDIA driver's) at /run/opengl-driver, which is
# where addDriverRunpath points loaders. Not mirrored: the 32-bit set and
# the VA-API/VDPAU environment.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.hardware.graphics;
  driversEnv = pkgs.buildEnv {
    name = "graphics-drivers";
    paths = [ cfg.package ] ++ cfg.extraPackages;
  };
in
{
  options.hardware.graphics = {
    enable = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable hardware accelerated graphics drivers.";
    };
    enable32Bit = mkOption {
      type = types.bool;
      default = false;
      description = "On 64-bit systems, whether to also install 32-bit drivers for 32-bit applications.";
    };
    package = mkOption {
      type = types.package;
      internal = true;
      description = "The package that provides the default driver set.";
    };
    extraPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      description = "Additional packages to add to the default graphics driver lookup path.";
    };
  };

  config = lib.mkIf cfg.enable {
    hardware.graphics.package = lib.mkDefault pkgs.mesa;
    systemd.tmpfiles.settings.graphics-driver."/run/opengl-driver"."L+".argument = toString driversEnv;
  };
}
