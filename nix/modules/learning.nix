# The learning loop's units (docs/learning.md): garbage collection, the
# knowledge-source sync, the eval suite and the weekly proposals, each a
# oneshot on a timer, and the continuous-learning daemon. Their serviceConfig
# comes from lib.learningUnitConfigs (the hardening baseline) and their
# schedules from lib.learningTimers; this file adds ExecStart, the rendered
# knowledge-source registry (checked at build time by `aq sources check`)
# and, where the services enforce API keys, the key each job presents.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  lcfg = cfg.learning;
  aiLib = import ../../lib;
  inherit (lib) mkOption types;
  jsonFormat = pkgs.formats.json { };
  aq = lib.getExe cfg.package;
  url = port: "http://${aiLib.loopback}:${toString port}";
  aidbUrl = url cfg.ports.aidb;
  coordinatorUrl = url cfg.ports.coordinator;
  keysEnforced = cfg.apiKeysFile != null;
  credentialPath = unit: name: "/run/credentials/${unit}.service/${name}";

  unitConfigs = aiLib.learningUnitConfigs { tier = cfg.hardwareTier; };

  # The registry, rendered and checked with the CLI's own schema: a bad source fails the build.
  registryFile =
    pkgs.runCommand "knowledge-sources.json"
      {
        registry = jsonFormat.generate "knowledge-sources-unchecked.json" cfg.knowledgeSources;
      }
      ''
        if ! ${aq} sources check --registry "$registry"; then
          echo "services.ai-stack.knowledgeSources is not a valid registry; the key is named above." >&2
          exit 1
        fi
        cp "$registry" "$out"
      '';

  localPaths = map (s: s.path) (builtins.filter (s: (s.type or null) == "local_directory") (cfg.knowledgeSources.sources or [ ]));
  underHome = builtins.any (p: lib.hasPrefix "/home/" p || lib.hasPrefix "/root/" p || p == "/home" || p == "/root") localPaths;

  # A job with the key it presents when keys are enforced: `key` names the credential.
  job =
    {
      unit,
      description,
      exec,
      after,
      key ? "internal-key",
      keyFile ? aiLib.internalKeyFile,
      extraConfig ? { },
    }:
    {
      inherit description after;
      wants = after;
      environment = lib.optionalAttrs keysEnforced { AQ_API_KEY_FILE = credentialPath unit key; };
      serviceConfig =
        lib.mapAttrs (_: lib.mkDefault) unitConfigs.${unit}
        // extraConfig
        // {
          ExecStart = exec;
        }
        // lib.optionalAttrs keysEnforced { LoadCredential = [ "${key}:${keyFile}" ]; };
    };

  timer = unit: schedule: {
    description = "AI stack: ${unit} on its schedule";
    wantedBy = [ "timers.target" ];
    timerConfig = aiLib.learningTimers.${unit} // {
      OnCalendar = schedule;
      Unit = "${unit}.service";
    };
  };
in
{
  options.services.ai-stack = {
    learning = {
      enable = mkOption {
        type = types.bool;
        default = true;
        example = false;
        description = ''
          The learning loop's units: ai-gc, ai-sync-knowledge-sources, ai-eval and
          ai-learning-proposals on timers, and ai-continuous-learning (see
          docs/learning.md).
        '';
      };
      autoApply = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          Apply the weekly job's proposals at once (the coordinator's
          `learningAutoApply`) instead of waiting for `aq proposals approve`.
        '';
      };
      adminKeyFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "/run/keys/ai-stack-admin";
        description = ''
          A file holding an API key with the admin scope, for ai-gc when the
          services enforce keys (`services.ai-stack.apiKeysFile`): aidb's
          `POST /gc` needs admin, which the internal key the other jobs use
          does not have. Read through LoadCredential, never copied to the store.
        '';
      };
      evalSuite = mkOption {
        type = types.nullOr types.path;
        default = null;
        example = lib.literalExpression "./eval-suite.json";
        description = "The eval suite ai-eval runs; null for the built-in one (lib/eval-suite.json).";
      };
      continuousLearning.enable = mkOption {
        type = types.bool;
        default = true;
        example = false;
        description = "ai-continuous-learning: keeps answered questions from the coordinator's telemetry as compressed sessions.";
      };
      registryFile = mkOption {
        type = types.package;
        internal = true;
        readOnly = true;
        description = "The rendered, checked knowledge-source registry ai-sync-knowledge-sources reads.";
      };
      schedules = lib.mapAttrs (
        unit: t:
        mkOption {
          type = types.str;
          default = t.OnCalendar;
          example = "daily";
          description = "When ${unit} runs (systemd.time OnCalendar).";
        }
      ) aiLib.learningTimers;
    };

    knowledgeSources = mkOption {
      type = types.submodule {
        freeformType = jsonFormat.type;
        options = {
          sources = mkOption {
            type = types.listOf jsonFormat.type;
            default = [ ];
            example = lib.literalExpression ''
              [
                { id = "notes"; type = "local_directory"; path = "/srv/notes"; project = "notes"; }
                { id = "nix-manual"; type = "url"; url = "https://nixos.org/manual/nix/stable/"; project = "nix"; }
              ]
            '';
            description = ''
              The knowledge sources `ai-sync-knowledge-sources` keeps in aidb:
              `local_directory` (path) or `url`, each with id, project,
              schedule (weekly or manual) and enabled. A directory must be
              readable by a dynamic user (world-readable files).
            '';
          };
          allowHosts = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [
              "nixos.org"
              "*.nixos.org"
            ];
            description = "Hosts URL sources may be fetched from (the SSRF guard refuses every other).";
          };
          allowPrivateAddresses = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "192.168.1.10/32" ];
            description = "Private addresses (CIDRs) an allowlisted host may resolve to; link-local is never allowed.";
          };
        };
      };
      default = { };
      description = "The knowledge-source registry, rendered to JSON for `aq sources sync` (docs/learning.md).";
    };
  };

  config = lib.mkMerge [
    { services.ai-stack.learning.registryFile = registryFile; }
    (lib.mkIf (cfg.enable && lcfg.enable) {
      services.ai-stack.settings.coordinator = lib.mkIf lcfg.autoApply { learningAutoApply = lib.mkDefault true; };

      warnings = lib.optional (keysEnforced && lcfg.adminKeyFile == null) (
        "services.ai-stack.learning.adminKeyFile is not set while API keys are enforced: ai-gc presents the internal key, "
        + "which aidb's POST /gc refuses (it needs the admin scope); set it to a file holding an admin key (aq keys create --scopes admin)."
      );

      systemd.services = {
        ai-gc = job {
          unit = "ai-gc";
          description = "AI stack: delete stale, never-used documents (aq gc)";
          exec = "${aq} gc --url ${aidbUrl}";
          after = [ "ai-aidb.service" ];
          key = if lcfg.adminKeyFile != null then "admin-key" else "internal-key";
          keyFile = if lcfg.adminKeyFile != null then lcfg.adminKeyFile else aiLib.internalKeyFile;
        };

        ai-sync-knowledge-sources = job {
          unit = "ai-sync-knowledge-sources";
          description = "AI stack: sync the knowledge sources into aidb (aq sources sync)";
          exec = "${aq} sources sync --registry ${registryFile} --url ${aidbUrl}";
          after = [
            "ai-aidb.service"
            "network-online.target"
          ];
          # Relaxation: a source directory under /home or /root is read (read-only), only when the registry names one.
          extraConfig = lib.optionalAttrs underHome { ProtectHome = "read-only"; };
        };

        ai-eval = job {
          unit = "ai-eval";
          description = "AI stack: run the eval suite and keep its score (aq eval)";
          exec = lib.concatStringsSep " " (
            [
              "${aq} eval --wait-ready 300"
              "--url ${coordinatorUrl}"
              "--aidb-url ${aidbUrl}"
              "--inference-url ${url cfg.ports.inferenceChat}"
            ]
            ++ lib.optional (lcfg.evalSuite != null) "--suite ${lcfg.evalSuite}"
          );
          after = [ "ai-coordinator.service" ];
        };

        ai-learning-proposals = job {
          unit = "ai-learning-proposals";
          description = "AI stack: the learning loop's weekly proposals (aq proposals generate)";
          exec = "${aq} proposals generate --url ${coordinatorUrl}";
          after = [ "ai-coordinator.service" ];
        };

        ai-continuous-learning = lib.mkIf lcfg.continuousLearning.enable {
          description = "AI stack: keep answered questions from the telemetry (aq continuous-learning)";
          wantedBy = [ "multi-user.target" ];
          after = [ "ai-coordinator.service" ];
          serviceConfig = lib.mapAttrs (_: lib.mkDefault) unitConfigs.ai-continuous-learning // {
            ExecStart = "${aq} continuous-learning --telemetry-file /var/lib/ai-coordinator/telemetry.jsonl --state-dir /var/lib/ai-continuous-learning";
          };
        };
      };

      systemd.timers = lib.mapAttrs (unit: schedule: timer unit schedule) lcfg.schedules;
    })
  ];
}
