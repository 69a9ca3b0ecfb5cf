# The learning loop's units: the exact `serviceConfig` of each (on the
# hardening baseline of ./hardened-service.nix) and the schedule of its timer.
# Pure: builtins only.
#
#   learningUnitConfigs { tier; } -> { ai-gc; ai-sync-knowledge-sources; ai-eval; ai-learning-proposals; ai-continuous-learning; }
#   learningTimers -> { ai-gc = { OnCalendar; ... }; ... }   (the [Timer] section of each timed unit)
#
# nix/modules/learning.nix applies them (each value with lib.mkDefault) and
# adds what needs store paths: ExecStart, the registry file, credentials.
let
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);
  hardenedService = import ./hardened-service.nix;

  # A job that runs to its end: the timer starts it, nothing restarts it.
  oneshot = {
    Type = "oneshot";
  };

  learningUnitConfigs =
    { tier }:
    let
      t = tiers.${tier} or (throw "learningUnitConfigs: unknown tier '${toString tier}'");
      base = extra: hardenedService ({ memoryMax = t.memoryMax; } // extra);
    in
    {
      # aq gc: aidb deletes stale, never-used documents.
      ai-gc = base { } // oneshot;

      # aq sources sync: the one unit of these that reaches beyond loopback (URL sources, through the SSRF guard).
      ai-sync-knowledge-sources =
        base {
          # Relaxation: it downloads the registry's URL sources; the SSRF guard and allowHosts decide what it may fetch.
          internet = true;
        }
        // oneshot;

      # aq eval: the suite against the running stack, after start-up and weekly.
      ai-eval = base { } // oneshot;

      # aq proposals generate: the weekly job of the learning loop.
      ai-learning-proposals = base { } // oneshot;

      # aq continuous-learning: follows the coordinator's telemetry.
      ai-continuous-learning = base { } // {
        # Relaxation: the coordinator's dynamic user (DynamicUser units with the same User= share one UID), so it can read telemetry.jsonl in the coordinator's private state directory.
        User = "ai-coordinator";
        StateDirectory = [
          "ai-coordinator"
          "ai-continuous-learning"
        ];
        StateDirectoryMode = "0700";
        Restart = "on-failure";
        RestartSec = "30s";
        # 3: another instance holds the lock (continuous_learning_already_running); 2: a bad setting or checkpoint.
        RestartPreventExitStatus = "2 3";
      };
    };

  # [Timer] of each timed unit. Persistent: a run missed while the machine was off happens at the next boot.
  learningTimers = {
    ai-gc = {
      OnCalendar = "weekly";
      Persistent = true;
      RandomizedDelaySec = "1h";
    };
    ai-sync-knowledge-sources = {
      OnCalendar = "weekly";
      Persistent = true;
      RandomizedDelaySec = "1h";
    };
    # After start-up (the "warn at start-up" check), then weekly.
    ai-eval = {
      OnBootSec = "10min";
      OnCalendar = "weekly";
      Persistent = true;
    };
    # Monday early morning: the window is the 7 days before.
    ai-learning-proposals = {
      OnCalendar = "Mon 04:00";
      Persistent = true;
    };
  };
in
{
  inherit learningUnitConfigs learningTimers;
  learningUnitNames = builtins.attrNames (learningUnitConfigs { tier = "micro"; });
}
