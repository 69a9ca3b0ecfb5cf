# Mirrors nixos/modules/config/zram.nix (NixOS/nixpkgs, release 25.11): the
# zramSwap options with their real types and defaults (memoryPercent is an
# int, default 50; algorithm one of the kernel's compressors or any string,
# default zstd) and the writeback assertion. It sets no sysctl. Not mirrored:
# the zram-generator configuration it writes.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.zramSwap;
in
{
  options.zramSwap = {
    enable = mkOption {
      default = false;
      type = types.bool;
      description = "Enable in-memory compressed devices and swap space provided by the zram kernel module.";
    };
    swapDevices = mkOption {
      default = 1;
      type = types.int;
      description = "Number of zram devices to be used as swap, recommended is 1.";
    };
    memoryPercent = mkOption {
      default = 50;
      type = types.int;
      description = "Maximum total amount of memory that can be stored in the zram swap devices (as a percentage of your total memory).";
    };
    memoryMax = mkOption {
      default = null;
      type = with types; nullOr int;
      description = "Maximum total amount of memory (in bytes) that can be stored in the zram swap devices.";
    };
    priority = mkOption {
      default = 5;
      type = types.int;
      description = "Priority of the zram swap devices.";
    };
    algorithm = mkOption {
      default = "zstd";
      example = "lz4";
      type =
        with types;
        either (enum [
          "842"
          "lzo"
          "lzo-rle"
          "lz4"
          "lz4hc"
          "zstd"
        ]) str;
      description = "Compression algorithm.";
    };
    writebackDevice = mkOption {
      default = null;
      type = types.nullOr types.path;
      description = "Write incompressible pages to this device.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.writebackDevice == null || cfg.swapDevices <= 1;
        message = "A single writeback device cannot be shared among multiple zram devices";
      }
    ];
  };
}
