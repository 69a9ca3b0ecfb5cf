# Access to the stack: the internal key the services use among themselves,
# the audit writer, and the firewall for a coordinator on the LAN
# (services.ai-stack.listen). The services' settings and credentials are
# rendered in services.nix; the rules (keys beyond loopback) in assertions.nix.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  inherit (aiLib) auditUser auditGroup auditSocket auditFile internalKeyFile;
  keysDir = builtins.dirOf internalKeyFile;
  makeInternalKey = pkgs.writeShellApplication {
    name = "ai-stack-internal-key";
    runtimeInputs = [ pkgs.coreutils ];
    text = builtins.readFile ../scripts/ai-stack-internal-key.sh;
  };
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      (lib.mkIf (cfg.apiKeysFile != null) {
        # The key the services present to each other: made once, never in the
        # store and never logged; readable by root alone. Each service gets a
        # copy through LoadCredential (services.nix).
        systemd.services.ai-stack-internal-key = {
          description = "AI stack: the services' internal API key";
          wantedBy = [ "multi-user.target" ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
            StateDirectory = builtins.baseNameOf keysDir;
            StateDirectoryMode = "0700";
            UMask = "0077";
            PrivateNetwork = true;
            ProtectSystem = "strict";
            ProtectHome = true;
            NoNewPrivileges = true;
            ExecStart = "${lib.getExe makeInternalKey} ${internalKeyFile}";
          };
        };
      })

      (lib.mkIf cfg.audit.enable {
        users.users.${auditUser} = {
          isSystemUser = true;
          group = auditGroup;
          description = "AI stack audit writer";
        };
        users.groups.${auditGroup} = { };

        # The audit trail's only writer. It owns /var/lib/ai-audit (0700) and
        # the file in it (0600); the services, in its group, may only connect
        # to its socket in /run/ai-audit (0750, socket 0660) and append
        # records, which it chains; none can open the file.
        systemd.services.ai-stack-audit = {
          description = "AI stack: audit trail writer";
          wantedBy = [ "multi-user.target" ];
          before = map (u: "${u}.service") [ "ai-inference" "ai-embeddings" "ai-aidb" "ai-coordinator" ];
          serviceConfig =
            lib.mapAttrs (_: lib.mkDefault) (
              aiLib.hardenedService {
                memoryMax = "128M";
                ipAddressAllow = [ ];
                staticUser = auditUser;
              }
            )
            // {
              ExecStart = "${lib.getExe cfg.package} audit serve --socket ${auditSocket} --file ${auditFile} --socket-mode 0660 --file-mode 0600";
              StateDirectory = "ai-audit";
              StateDirectoryMode = "0700";
              RuntimeDirectory = "ai-audit";
              RuntimeDirectoryMode = "0750";
              # A Unix socket is all it needs.
              RestrictAddressFamilies = [ "AF_UNIX" ];
              Restart = "on-failure";
              RestartSec = "2s";
            };
        };
      })

      (lib.mkIf cfg.listen.openFirewall {
        networking.firewall.allowedTCPPorts = [ cfg.ports.coordinator ] ++ lib.optional cfg.webUi.enable cfg.ports.openWebui;
      })
    ]
  );
}
