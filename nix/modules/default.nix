# services.ai-stack: the NixOS module of the personal AI stack.
# The flake exports it as nixosModules.default (which also passes in the
# nixpkgs-unstable input). Listed explicitly, no directory scanning.
{
  imports = [
    ./options.nix
    ./services.nix
    ./access.nix
    ./model-download.nix
    ./learning.nix
    ./dependencies.nix
    ./tuning.nix
    ./monitoring.nix
    ./optional-services.nix
    ./assertions.nix
  ];
}
