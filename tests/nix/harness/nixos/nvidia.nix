# Mirrors nixos/modules/hardware/video/nvidia.nix (NixOS/nixpkgs, release
# 25.11): the driver is on when services.xserver.videoDrivers names "nvidia";
# hardware.nvidia.open must then be set for drivers from 560 on (upstream's
# assertion and message), and the driver's user-space libraries (libcuda.so.1,
# its Vulkan ICD) join hardware.graphics' set at /run/opengl-driver. The
# package is nixpkgs' nvidia-x11, which is unfree. Not mirrored: the kernel
# modules, udev rules, nvidia-persistenced, PRIME and power management; the
# package comes from pkgs.linuxPackages instead of boot.kernelPackages.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.hardware.nvidia;
  nvidiaEnabled = lib.elem "nvidia" config.services.xserver.videoDrivers;
in
{
  options.hardware.nvidia = {
    package = mkOption {
      type = types.package;
      default = pkgs.linuxPackages.nvidiaPackages.stable;
      defaultText = lib.literalExpression "config.boot.kernelPackages.nvidiaPackages.stable";
      description = "The NVIDIA driver package to use.";
    };
    open = mkOption {
      type = types.nullOr types.bool;
      default = if lib.versionOlder cfg.package.version "560" then false else null;
      description = "Whether to enable the open source NVIDIA kernel module.";
    };
    modesetting.enable = mkOption {
      type = types.bool;
      default = lib.versionAtLeast cfg.package.version "535";
      description = "Whether to enable kernel modesetting when using the NVIDIA proprietary driver.";
    };
    nvidiaPersistenced = mkOption {
      type = types.bool;
      default = false;
      description = "Whether nvidia-persistenced keeps the GPU initialised without a display.";
    };
  };

  config = lib.mkIf nvidiaEnabled {
    assertions = [
      {
        assertion = cfg.open != null;
        message = ''
          You must configure `hardware.nvidia.open` on NVIDIA driver versions >= 560.
          It is suggested to use the open source kernel modules on Turing or later GPUs (RTX series, GTX 16xx), and the closed source modules otherwise.
        '';
      }
    ];
    hardware.graphics.extraPackages = [ cfg.package ];
  };
}
