# A single-board computer that only states its hostname and RAM: the other
# facts default to an aarch64 board that boots with extlinux.
let
  defaults = {
    cpuArchitecture = "aarch64";
    cpuVendor = "arm";
    bootLoader = "extlinux";
  };
in
{
  imports = [ (import ../common.nix (defaults // import ./facts.nix)) ];
}
