# Mirrors nixos/modules/services/search/qdrant.nix (NixOS/nixpkgs, release
# 25.11; read from the stored text, which has no `package` option, so
# nix/modules' `options.services.qdrant ? package` is false here). settings is
# the YAML format type with no default: upstream fills it with mkDefault
# values (storage paths, ports, service.host = "127.0.0.1",
# telemetry_disabled = true), which our plain definitions override key by key
# and merge with. The unit names pkgs.qdrant.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkDefault mkOption;
  cfg = config.services.qdrant;
  settingsFormat = pkgs.formats.yaml { };
  configFile = settingsFormat.generate "config.yaml" cfg.settings;
in
{
  options.services.qdrant = {
    enable = lib.mkEnableOption "Vector Search Engine for the next generation of AI applications";

    settings = mkOption {
      type = settingsFormat.type;
      description = "Configuration for Qdrant. Refer to <https://github.com/qdrant/qdrant/blob/master/config/config.yaml>.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.qdrant.settings = {
      service.static_content_dir = mkDefault pkgs.qdrant-web-ui;
      storage.storage_path = mkDefault "/var/lib/qdrant/storage";
      storage.snapshots_path = mkDefault "/var/lib/qdrant/snapshots";
      storage.on_disk_payload = mkDefault true;
      storage.hnsw_index.on_disk = mkDefault false;
      service.max_request_size_mb = mkDefault 32;
      service.http_port = mkDefault 6333;
      service.grpc_port = mkDefault 6334;
      service.enable_cors = mkDefault true;
      cluster.enabled = mkDefault false;
      service.host = mkDefault "127.0.0.1";
      telemetry_disabled = mkDefault true;
    };

    systemd.services.qdrant = {
      description = "Vector Search Engine for the next generation of AI applications";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      serviceConfig = {
        LimitNOFILE = 65536;
        ExecStart = "${pkgs.qdrant}/bin/qdrant --config-path ${configFile}";
        DynamicUser = true;
        Restart = "on-failure";
        StateDirectory = "qdrant";
        CapabilityBoundingSet = "";
        NoNewPrivileges = true;
        PrivateTmp = true;
        ProtectHome = true;
        ProcSubset = "pid";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
      };
    };
  };
}
