# ai-model-download: fetches the selected registry models in the background,
# the only unit with internet access. Nothing waits for it: `nixos-rebuild
# switch` returns at once, and the inference units start without their models,
# report `downloading` (with the progress file this unit writes) and load each
# model when it appears.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  modelsDir = "${cfg.stateDir}/models";
  storeUser = "ai-stack-models";

  plan = aiLib.downloadPlan {
    models = cfg.internal.downloadIds;
    inherit modelsDir;
    inherit (cfg.modelDownload) allowlist;
  };

  orDash = v: if v == null then "-" else toString v;
  planFile = pkgs.writeText "ai-model-download-plan.tsv" (
    lib.concatMapStrings (
      e: "${e.id}\t${e.hf_repo}\t${e.hf_file}\t${orDash e.sha256}\t${orDash e.size_bytes}\t${orDash e.revision}\n"
    ) plan
  );
  allowlistFile = pkgs.writeText "ai-model-download-allowlist" (lib.concatLines cfg.modelDownload.allowlist);

  script = pkgs.writeShellApplication {
    name = "ai-model-download";
    runtimeInputs = [
      pkgs.coreutils
      pkgs.curl
      pkgs.gnugrep
    ];
    text = builtins.readFile ../scripts/ai-model-download.sh;
  };

  enabled = cfg.enable && cfg.modelDownload.enable && cfg.internal.downloadIds != [ ];
in
{
  config = lib.mkIf enabled {
    # A static owner for the model store: the DynamicUser inference units read
    # it, and a dynamic owner would be re-chowned on every start.
    users.users.${storeUser} = {
      isSystemUser = true;
      group = storeUser;
      description = "AI stack model store";
    };
    users.groups.${storeUser} = { };

    systemd.tmpfiles.rules = [
      "d ${cfg.stateDir} 0755 root root - -"
      "d ${modelsDir} 0755 ${storeUser} ${storeUser} - -"
    ];

    # Refusals also happen at run time; say so at build time too.
    warnings = map (e: "services.ai-stack: ai-model-download will refuse ${e.id}: ${e.refusal}") (
      builtins.filter (e: e.refusal != null) plan
    );

    systemd.services.ai-model-download = {
      description = "AI stack: download and verify the selected models";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [
        "network-online.target"
        "systemd-tmpfiles-setup.service"
      ];
      environment = {
        AI_STACK_MODELS_DIR = modelsDir;
        # The progress the inference units report as `downloading` (services.nix names the same file).
        AI_STACK_DOWNLOAD_STATUS = "${modelsDir}/download-status.json";
        AI_STACK_DOWNLOAD_PLAN = "${planFile}";
        AI_STACK_ALLOWLIST = "${allowlistFile}";
        AI_STACK_DOWNLOAD_BASE_URL = cfg.modelDownload.baseUrl;
        AQ = lib.getExe cfg.package;
      };
      serviceConfig = lib.mapAttrs (_: lib.mkDefault) cfg.internal.unitConfigs.ai-model-download // {
        ExecStart = lib.getExe script;
      };
    };
  };
}
