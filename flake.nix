{
  description = "Personal AI stack for NixOS: local inference, knowledge store and RAG coordinator, tuned to the hardware tier";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    # Used only when services.ai-stack.nixpkgsTrack = "unstable": newer builds of
    # the stack's own packages (Node, Open WebUI, Qdrant) without moving the
    # whole system off the stable release. Has no inputs of its own to follow.
    nixpkgs-unstable.url = "github:nixos/nixpkgs/nixos-unstable";
  };

  outputs =
    {
      self,
      nixpkgs,
      nixpkgs-unstable,
    }:
    let
      inherit (nixpkgs) lib;

      # Base URL of your npm registry (`npm config get registry`). The package
      # build derives its dependency URLs from it; see docs/deploy.md. Until it
      # is set, building the package stops with a message saying so.
      npmRegistry = null;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # Every directory under hosts/ is a host: hosts/<name>/default.nix + facts.nix.
      hostNames = lib.attrNames (lib.filterAttrs (_: type: type == "directory") (builtins.readDir ./hosts));
      mkHost =
        name:
        lib.nixosSystem {
          modules = [
            self.nixosModules.default
            ./hosts/${name}
          ];
        };
      hostSystem = name: self.nixosConfigurations.${name}.pkgs.stdenv.hostPlatform.system;
    in
    {
      # The pure library: tiers, models, hardening, ports (evaluates without nixpkgs).
      lib = import ./lib;

      nixosModules.default =
        { lib, ... }:
        {
          imports = [ ./nix/modules ];
          services.ai-stack.internal.nixpkgsUnstable = lib.mkDefault nixpkgs-unstable;
          services.ai-stack.npmRegistry = lib.mkDefault npmRegistry;
        };

      nixosConfigurations = lib.genAttrs hostNames mkHost;

      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { inherit npmRegistry; };
      });

      checks = forAllSystems (
        pkgs:
        let
          system = pkgs.stdenv.hostPlatform.system;
          hosts = lib.filterAttrs (name: _: hostSystem name == system) self.nixosConfigurations;
        in
        lib.mapAttrs' (name: host: lib.nameValuePair "nixos-${name}" host.config.system.build.toplevel) hosts
        // {
          package = self.packages.${system}.default;
          lib-eval = import ./nix/tests/lib.nix { inherit pkgs; };
          vm-ai-stack = import ./nix/tests/ai-stack.nix { inherit pkgs self; };
        }
      );

      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);
    };
}
