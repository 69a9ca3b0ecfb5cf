# Hardware tier of a host, from its facts. Pure: builtins only.
#
#   hardwareTier { systemRamGb; hasDiscreteGpu ? false; cpuArchitecture ? "x86_64"; }
#     -> "nano" | "micro" | "small" | "medium" | "large"
#
# Step 1, RAM (upper bounds are inclusive; they come from lib/tiers.json `ramMaxGb`):
#
#   | RAM (GB)      | tier   |
#   |---------------|--------|
#   | <= 2          | nano   |
#   | > 2,  <= 8    | micro  |
#   | > 8,  <= 16   | small  |
#   | > 16, <= 32   | medium |
#   | > 32          | large  |
#
# Step 2, a discrete GPU promotes small and medium hosts by one tier. The
# model's weights then live in VRAM, so system RAM stops being what limits the
# model size. nano and micro hosts are not promoted: there the RAM left for
# PostgreSQL, the services and the OS is the limit, whatever the GPU. An
# integrated GPU (hasDiscreteGpu = false) shares system RAM and changes nothing.
#
# Step 3, the architecture caps the result:
#
#   | cpuArchitecture            | highest tier | why                                         |
#   |----------------------------|--------------|---------------------------------------------|
#   | x86_64, aarch64            | large        | optimised llama.cpp kernels exist           |
#   | riscv64                    | small        | no tuned kernels: 7B+ models are too slow   |
#   | armv7l, armv6l, i686       | micro        | 32-bit: a process cannot map a >3 GB model  |
#
# Examples (see tests/nix/hardwareTier.test.ts):
#   { systemRamGb = 8;  cpuArchitecture = "aarch64"; }           -> "micro"
#   { systemRamGb = 2; }                                         -> "nano"
#   { systemRamGb = 27; cpuArchitecture = "x86_64"; }  (AMD iGPU) -> "medium"
#   { systemRamGb = 16; hasDiscreteGpu = true; }                 -> "medium"
#   { systemRamGb = 64; }                                        -> "large"
let
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);

  # Tier names from smallest to largest, ordered by their RAM bound (null = no bound).
  order = [
    "nano"
    "micro"
    "small"
    "medium"
    "large"
  ];

  indexOf =
    name:
    let
      go = i: if i >= builtins.length order then throw "hardware-tier: unknown tier '${name}'" else if builtins.elemAt order i == name then i else go (i + 1);
    in
    go 0;

  architectureCaps = {
    x86_64 = "large";
    aarch64 = "large";
    riscv64 = "small";
    armv7l = "micro";
    armv6l = "micro";
    i686 = "micro";
  };

  byRam =
    ramGb:
    let
      fits = name: tiers.${name}.ramMaxGb == null || ramGb <= tiers.${name}.ramMaxGb;
      go = i: let name = builtins.elemAt order i; in if fits name then name else go (i + 1);
    in
    go 0;

  minTier = a: b: if indexOf a <= indexOf b then a else b;
in
{
  systemRamGb,
  hasDiscreteGpu ? false,
  cpuArchitecture ? "x86_64",
}:
let
  isNumber = builtins.isInt systemRamGb || builtins.isFloat systemRamGb;
  ram =
    if !isNumber then
      throw "hardware-tier: systemRamGb must be a number of GB, got ${builtins.typeOf systemRamGb}"
    else if systemRamGb <= 0 then
      throw "hardware-tier: systemRamGb must be positive, got ${toString systemRamGb}"
    else
      systemRamGb;
  cap =
    architectureCaps.${cpuArchitecture}
      or (throw "hardware-tier: unknown cpuArchitecture '${toString cpuArchitecture}' (known: ${builtins.concatStringsSep ", " (builtins.attrNames architectureCaps)})");
  base = byRam ram;
  promoted =
    if !builtins.isBool hasDiscreteGpu then
      throw "hardware-tier: hasDiscreteGpu must be a boolean"
    else if hasDiscreteGpu && (base == "small" || base == "medium") then
      builtins.elemAt order (indexOf base + 1)
    else
      base;
in
minTier promoted cap
