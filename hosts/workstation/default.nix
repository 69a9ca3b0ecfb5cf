# The large tier with an NVIDIA GPU. The facts (gpuVendor, vramGb) turn GPU
# offload on: the NVIDIA driver, the device nodes for ai-inference, and the
# chat model's layers in VRAM. The driver is unfree; accept its licence here.
{ lib, ... }:
{
  imports = [ (import ../common.nix (import ./facts.nix)) ];

  nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "nvidia-x11" ];
}
