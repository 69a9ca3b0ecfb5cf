# Evaluation tests of the pure library, builtins only. Evaluates to the list
# of failing cases ([] when all pass):
#   nix-instantiate --eval --strict --json nix/tests/lib-cases.nix
# `nix flake check` runs them as checks.<system>.lib-eval; CI runs them (and
# more) from tests/nix/.
let
  ai = import ../../lib;
  tier = args: ai.hardwareTier args;

  cases = {
    # Required results.
    pi5IsMicro = {
      expr = tier {
        systemRamGb = 8;
        hasDiscreteGpu = false;
        cpuArchitecture = "aarch64";
      };
      expected = "micro";
    };
    twoGbIsNano = {
      expr = tier { systemRamGb = 2; };
      expected = "nano";
    };
    thinkpadIsMedium = {
      expr = tier {
        systemRamGb = 27;
        cpuArchitecture = "x86_64";
      };
      expected = "medium";
    };
    sixtyFourIsLarge = {
      expr = tier { systemRamGb = 64; };
      expected = "large";
    };

    # Boundaries: each bound is inclusive.
    boundaries = {
      expr = map (r: tier { systemRamGb = r; }) [
        1
        2
        3
        8
        9
        16
        17
        32
        33
      ];
      expected = [
        "nano"
        "nano"
        "micro"
        "micro"
        "small"
        "small"
        "medium"
        "medium"
        "large"
      ];
    };
    discreteGpuPromotesSmall = {
      expr = tier {
        systemRamGb = 16;
        hasDiscreteGpu = true;
      };
      expected = "medium";
    };
    discreteGpuDoesNotPromoteMicro = {
      expr = tier {
        systemRamGb = 8;
        hasDiscreteGpu = true;
      };
      expected = "micro";
    };
    thirtyTwoBitCapsAtMicro = {
      expr = tier {
        systemRamGb = 64;
        cpuArchitecture = "armv7l";
      };
      expected = "micro";
    };

    # Every tier's models exist in the registry.
    tierModelsExist = {
      expr = builtins.all (
        t:
        let
          d = ai.tiers.${t};
        in
        (ai.modelById d.defaultModel).id == d.defaultModel
      ) ai.tierNames;
      expected = true;
    };

    # Model selection falls back to the largest model whose memory budget fits.
    selectKeepsDefault = {
      expr = ai.selectModel {
        tier = "large";
        systemRamGb = 64;
      };
      expected = "qwen2.5-14b-q4_k_m";
    };
    selectFallsBack = {
      expr = ai.selectModel {
        tier = "large";
        systemRamGb = 15;
      };
      expected = "qwen2.5-7b-q4_k_m";
    };

    # The sysctl profile of every tier sets overcommit to 1.
    overcommitEverywhere = {
      expr = map (t: (ai.sysctlProfile t)."vm.overcommit_memory") ai.tierNames;
      expected = [
        1
        1
        1
        1
        1
      ];
    };

    # lib/ports.json has no collisions; a duplicate is found.
    portsDistinct = {
      expr = ai.portCollisions ai.ports;
      expected = [ ];
    };
    portsCollisionFound = {
      expr = ai.portCollisions {
        a = 1000;
        b = 1000;
        c = 1001;
      };
      expected = [
        {
          port = 1000;
          names = [
            "a"
            "b"
          ];
        }
      ];
    };

    # The memory budget: one token of Qwen2.5-14B's KV cache (48 layers, 8 KV
    # heads of 128) at f16 is 192 KiB; q8_0 takes 34 bytes per 32 values.
    kvPerToken14b = {
      expr = [
        (ai.perTokenKvBytes "qwen2.5-14b-q4_k_m" "f16")
        (ai.perTokenKvBytes "qwen2.5-14b-q4_k_m" "q8_0")
        (ai.perTokenKvBytes "nomic-embed-text-v1.5-q8_0" "f16")
      ];
      expected = [
        196608
        104448.0
        36864
      ];
    };
    # A typical host of each tier fits its tier's budget with the tier's models.
    tiersFitTypicalHosts = {
      expr = map (
        t:
        (ai.memoryBudget {
          tier = t;
          systemRamGb =
            {
              nano = 2;
              micro = 8;
              small = 16;
              medium = 32;
              large = 64;
            }
            .${t};
          inherit (ai.tiers.${t}) embeddingModel rerankModel;
        }).fits
      ) ai.tierNames;
      expected = [
        true
        true
        true
        true
        true
      ];
    };

    # Units: MemoryMax of the Node services follows the tier, Node units keep W^X off.
    aidbMemoryMaxIsTier = {
      expr = map (t: (ai.serviceConfigs { tier = t; }).ai-aidb.MemoryMax) ai.tierNames;
      expected = [
        "192M"
        "320M"
        "512M"
        "768M"
        "1G"
      ];
    };
    nodeUnitsAllowJit = {
      expr = (ai.serviceConfigs { tier = "micro"; }).ai-coordinator.MemoryDenyWriteExecute;
      expected = false;
    };
  };

  failures = builtins.filter (name: cases.${name}.expr != cases.${name}.expected) (builtins.attrNames cases);
in
map (name: {
  inherit name;
  inherit (cases.${name}) expected;
  result = cases.${name}.expr;
}) failures
