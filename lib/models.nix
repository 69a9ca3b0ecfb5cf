# Model registry helpers over lib/models.json and lib/tiers.json. Pure: builtins only.
let
  registry = builtins.fromJSON (builtins.readFile ./models.json);
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);

  byId = builtins.listToAttrs (
    map (m: {
      name = m.id;
      value = m;
    }) registry.models
  );

  has = cap: m: builtins.elem cap m.capabilities;

  # The share of system RAM a model may take before we warn (and before
  # selectModel looks for a smaller one).
  ramBudgetShare = 0.7;

  modelById =
    id:
    byId.${id}
      or (throw "models: unknown model id '${toString id}' (known: ${builtins.concatStringsSep ", " (builtins.attrNames byId)})");

  chatModels = builtins.filter (has "chat") registry.models;

  # Sort by RAM need, smallest first (insertion sort; the registry is small).
  sortByRam = builtins.sort (a: b: a.ram_required_gb < b.ram_required_gb);

  ramBudgetGb = systemRamGb: systemRamGb * ramBudgetShare;

  # The chat model for a tier and an amount of RAM:
  #  1. the tier's default model when it fits in 70% of RAM;
  #  2. otherwise the largest chat model that fits;
  #  3. otherwise (nothing fits) the smallest chat model, so a host always gets one.
  selectModel =
    { tier, systemRamGb }:
    let
      tierData = tiers.${tier} or (throw "models: unknown tier '${toString tier}'");
      default = modelById tierData.defaultModel;
      budget = ramBudgetGb systemRamGb;
      fitting = builtins.filter (m: m.ram_required_gb <= budget) (sortByRam chatModels);
      sorted = sortByRam chatModels;
    in
    if default.ram_required_gb <= budget then
      default.id
    else if fitting != [ ] then
      (builtins.elemAt fitting (builtins.length fitting - 1)).id
    else
      (builtins.head sorted).id;

  # True when a model takes more than 70% of the host's RAM.
  exceedsRamBudget = { model, systemRamGb }: (modelById model).ram_required_gb > ramBudgetGb systemRamGb;

  isAllowed = repo: builtins.elem repo registry.allowlist;

  # What ai-model-download will do for a list of model ids: one entry per model,
  # with `refusal` set (and the download skipped) when the registry cannot vouch
  # for it: a repository off the allowlist, or no sha256 or no pinned revision.
  # The unit fails when any entry is refused.
  downloadPlan =
    {
      models,
      modelsDir,
      allowlist ? registry.allowlist,
    }:
    map (
      id:
      let
        m = modelById id;
        refusal =
          if !(builtins.elem m.hf_repo allowlist) then
            "repository ${m.hf_repo} is not on the registry allowlist"
          else if m.sha256 == null then
            "registry entry ${m.id} has no sha256; fill in its real sha256 in lib/models.json before downloading"
          else if (m.revision or null) == null then
            "registry entry ${m.id} has no revision; fill in the upstream commit its sha256 was published at in lib/models.json before downloading"
          else
            null;
      in
      {
        inherit (m)
          id
          hf_repo
          hf_file
          sha256
          size_bytes
          ;
        revision = m.revision or null;
        destination = "${modelsDir}/${m.hf_file}";
        inherit refusal;
      }
    ) models;
in
{
  inherit
    registry
    modelById
    chatModels
    selectModel
    exceedsRamBudget
    ramBudgetShare
    isAllowed
    downloadPlan
    ;
  models = registry.models;
  allowlist = registry.allowlist;
}
