# The ai-stack library: pure Nix over builtins and JSON, so it evaluates without
# nixpkgs:
#   nix-instantiate --eval --strict --json -E '(import ./lib).hardwareTier { systemRamGb = 8; }'
# The flake exports it as `lib`.
let
  modelsLib = import ./models.nix;
  sysctlLib = import ./sysctl.nix;
  portsLib = import ./ports.nix;
  servicesLib = import ./service-configs.nix;
  learningLib = import ./learning-units.nix;
  budgetLib = import ./memory-budget.nix;
  hardened = import ./hardened-service.nix;
  accessLib = import ./access.nix;
in
{
  # Data, read from the JSON files every consumer shares.
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);
  tierNames = [
    "nano"
    "micro"
    "small"
    "medium"
    "large"
  ];
  inherit (modelsLib) models allowlist;
  inherit (portsLib) ports loopback settingsServices;

  # { systemRamGb; hasDiscreteGpu ? false; cpuArchitecture ? "x86_64"; } -> tier name.
  hardwareTier = import ./hardware-tier.nix;

  # Models.
  inherit (modelsLib)
    modelById
    chatModels
    exceedsRamBudget
    ramBudgetShare
    isAllowed
    downloadPlan
    ;

  # Memory: what each unit needs in RAM and VRAM (lib/memory-budget.nix).
  inherit (budgetLib)
    memoryBudget
    selectModel
    contextMemory
    perTokenKvBytes
    weightsMiB
    memoryConstants
    ;

  # Kernel tuning.
  inherit (sysctlLib)
    sysctlProfile
    archSpecificKeys
    hugePagesFor
    ;
  sysctlProfiles = sysctlLib.profiles;

  # Access: the audit writer's user and paths, the internal key's path, the loopback rule.
  inherit (accessLib)
    auditUser
    auditGroup
    auditSocket
    auditFile
    internalKeyFile
    isLoopback
    ;

  # Ports.
  inherit (portsLib)
    isPort
    portCollisions
    describeCollisions
    checkPorts
    ;

  # Units.
  hardenedService = hardened;
  inherit (hardened) relaxationReasons;
  inherit (servicesLib)
    serviceConfigs
    memoryToMiB
    inferenceThreads
    unitNames
    ;
  # The learning loop's units and timers (lib/learning-units.nix).
  inherit (learningLib) learningUnitConfigs learningTimers learningUnitNames;
}
