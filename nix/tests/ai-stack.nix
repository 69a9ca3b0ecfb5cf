# checks.<system>.vm-ai-stack: boot the whole stack in a VM.
#
# The `machine` node runs the stack on the micro tier with synthetic models
# that `aq models synth` writes at build time (no download). The `outside`
# node is a web server on the test network, to prove the services cannot
# reach it. Run with:  nix build .#checks.x86_64-linux.vm-ai-stack -L
{ pkgs, self }:
let
  inherit (pkgs) lib;
  aiLib = self.lib;
  aq = self.packages.${pkgs.stdenv.hostPlatform.system}.default;

  synth =
    name: preset:
    pkgs.runCommand "synthetic-${name}.gguf" { nativeBuildInputs = [ aq ]; } ''
      aq models synth --out "$out" --preset ${preset}
    '';
  chatModel = synth "chat" "tiny";
  rerankModel = synth "reranker" "reranker";

  tier = "micro";
  serviceUnits = [
    "ai-inference"
    "ai-embeddings"
    "ai-aidb"
    "ai-coordinator"
  ];
  bytes = mem: toString (aiLib.memoryToMiB mem * 1024 * 1024);
in
pkgs.testers.runNixOSTest {
  name = "ai-stack";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ self.nixosModules.default ];
      virtualisation = {
        memorySize = 4096;
        cores = 2;
        diskSize = 4096;
      };
      services.ai-stack = {
        enable = true;
        package = aq;
        facts = {
          systemRamGb = 4;
          cpuCores = 2;
        };
        hardwareTier = tier;
        modelFiles = {
          chat = "${chatModel}";
          embedding = "${chatModel}";
          rerank = "${rerankModel}";
        };
        modelDownload.enable = false;
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
        pkgs.iproute2
      ];
    };

  nodes.outside = {
    services.nginx = {
      enable = true;
      virtualHosts.outside.locations."/".return = "200 'outside'";
    };
    networking.firewall.allowedTCPPorts = [ 80 ];
  };

  testScript =
    { nodes, ... }:
    let
      cfg = nodes.machine.services.ai-stack;
      expectedMemory = lib.genAttrs serviceUnits (u: bytes cfg.internal.unitConfigs.${u}.MemoryMax);
      expectedHigh = lib.genAttrs serviceUnits (u: bytes cfg.internal.unitConfigs.${u}.MemoryHigh);
      expectedHeap = lib.genAttrs serviceUnits (u: toString cfg.internal.memoryBudget.units.${u}.heapMiB);
    in
    ''
      import json

      units = ${builtins.toJSON serviceUnits}
      expected_memory = json.loads('${builtins.toJSON expectedMemory}')
      expected_high = json.loads('${builtins.toJSON expectedHigh}')
      expected_heap = json.loads('${builtins.toJSON expectedHeap}')
      tier_memory = "${bytes aiLib.tiers.${tier}.memoryMax}"
      learning_jobs = ["ai-gc", "ai-sync-knowledge-sources", "ai-eval", "ai-learning-proposals"]
      aq = "${lib.getExe cfg.package}"
      coordinator = "http://127.0.0.1:${toString cfg.ports.coordinator}"
      aidb = "http://127.0.0.1:${toString cfg.ports.aidb}"
      # The outside node by address, so no name resolution can be what fails.
      outside = "http://${nodes.outside.networking.primaryIPAddress}/"
      curl = "${lib.getExe pkgs.curl}"
      # The units' address policy, applied to a one-off command.
      sandboxed = "systemd-run --wait --pipe --quiet -p IPAddressDeny=any -p IPAddressAllow=localhost"

      start_all()
      outside.wait_for_unit("nginx.service")
      machine.wait_for_unit("postgresql.service")
      for unit in units:
          machine.wait_for_unit(f"{unit}.service")
      machine.wait_for_open_port(${toString cfg.ports.coordinator})

      with subtest("the coordinator answers /status and /query"):
          machine.wait_until_succeeds(f"curl -sf {coordinator}/status | jq -e '.backends.local.healthy'", timeout=120)
          machine.succeed(
              f"curl -sf -X POST -H 'content-type: application/json' "
              f"-d '{{\"query\": \"What does the stack run on?\"}}' {coordinator}/query "
              "| jq -e '.interaction_id and (.response | type == \"string\") and .timings.total_ms > 0'"
          )

      with subtest("MemoryMax matches the tier"):
          for unit in units:
              got = machine.succeed(f"systemctl show -P MemoryMax {unit}.service").strip()
              assert got == expected_memory[unit], f"{unit}: MemoryMax={got}, expected {expected_memory[unit]}"
          for unit in ["ai-aidb", "ai-coordinator"]:
              assert expected_memory[unit] == tier_memory, f"{unit} is not capped at the ${tier} tier's memoryMax"

      with subtest("MemoryHigh and the V8 heap follow the memory budget"):
          for unit in units:
              got = machine.succeed(f"systemctl show -P MemoryHigh {unit}.service").strip()
              assert got == expected_high[unit], f"{unit}: MemoryHigh={got}, expected {expected_high[unit]}"
              env = machine.succeed(f"systemctl show -P Environment {unit}.service")
              assert f"NODE_OPTIONS=--max-old-space-size={expected_heap[unit]}" in env, f"{unit}: {env}"

      with subtest("services reach loopback only"):
          for unit in units:
              deny = machine.succeed(f"systemctl show -P IPAddressDeny {unit}.service").strip()
              allow = machine.succeed(f"systemctl show -P IPAddressAllow {unit}.service").strip()
              assert deny == "0.0.0.0/0 ::/0", f"{unit}: IPAddressDeny={deny!r}"
              assert set(allow.split()) == {"127.0.0.0/8", "::1/128"}, f"{unit}: IPAddressAllow={allow!r}"
          # Positive controls: the host itself reaches the outside node, and curl
          # runs under the units' address policy and reaches loopback there ...
          machine.succeed(f"{curl} -sf --max-time 5 {outside}")
          machine.succeed(f"{sandboxed} {curl} -sf --max-time 5 -o /dev/null {coordinator}/status")
          # ... but the same request to the outside node is refused by the address
          # filter: curl exit 7 (could not connect), not 127 (no curl), 6 (name
          # resolution) or 28 (timeout), which would also make a command fail.
          status, output = machine.execute(f"{sandboxed} {curl} -s --max-time 5 -o /dev/null {outside}")
          assert status == 7, f"egress under IPAddressDeny=any: curl exited {status}, expected 7 (connection refused by the filter): {output}"
          # No service holds a connection to a non-loopback peer.
          pids = {machine.succeed(f"systemctl show -P MainPID {u}.service").strip() for u in units}
          for line in machine.succeed("ss -Htnp state established").splitlines():
              if not any(f"pid={pid}," in line for pid in pids):
                  continue
              peer = line.split()[3]
              host = peer.rsplit(":", 1)[0].strip("[]")
              assert host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1"), f"non-loopback connection: {line}"

      with subtest("the learning loop's jobs run from their units"):
          timers = machine.succeed("systemctl list-timers --all --no-pager")
          for job in learning_jobs:
              assert f"{job}.timer" in timers, f"{job}.timer is not scheduled: {timers}"
          # Each oneshot runs to success: the eval prints its score, the job and the sync report what they did.
          machine.succeed("systemctl start ai-eval.service")
          machine.succeed("journalctl -u ai-eval.service --no-pager | grep -E 'score [0-9.]+ ?%'")
          for job in ["ai-learning-proposals", "ai-sync-knowledge-sources", "ai-gc"]:
              machine.succeed(f"systemctl start {job}.service")
          machine.wait_for_unit("ai-continuous-learning.service")
          # A second daemon on the same state directory is refused (exit 3, continuous_learning_already_running).
          status, output = machine.execute(
              "systemd-run --wait --pipe --quiet -p DynamicUser=yes -p User=ai-coordinator "
              "-p StateDirectory=ai-coordinator -p StateDirectory=ai-continuous-learning "
              f"{aq} continuous-learning --state-dir /var/lib/ai-continuous-learning "
              "--telemetry-file /var/lib/ai-coordinator/telemetry.jsonl 2>&1"
          )
          assert status != 0 and "continuous_learning_already_running" in output, f"a second daemon started: {status} {output}"

      with subtest("the audit trail belongs to its writer: services append through its socket and cannot open the file"):
          machine.wait_for_unit("ai-stack-audit.service")
          assert machine.succeed("stat -c '%U:%G %a' /var/lib/ai-audit").strip() == "ai-audit:ai-audit 700"
          assert machine.succeed("stat -c '%U:%G %a' /var/lib/ai-audit/audit.jsonl").strip() == "ai-audit:ai-audit 600"
          assert machine.succeed("stat -c '%U:%G %a' /run/ai-audit/audit.sock").strip() == "ai-audit:ai-audit 660"
          # A high-risk call through aidb (no keys here: recorded without a key name) is appended and chained.
          machine.succeed(f"curl -sf -X POST -H 'content-type: application/json' -d '{{\"dry_run\": true}}' {aidb}/gc")
          machine.wait_until_succeeds("grep -q '\"route\":\"/gc\"' /var/lib/ai-audit/audit.jsonl", timeout=30)
          machine.succeed(f"{aq} audit verify /var/lib/ai-audit/audit.jsonl")
          # A process with a service's identity (a dynamic user in the writer's group) may reach the socket but not open the file.
          as_service = "systemd-run --wait --pipe --quiet -p DynamicUser=yes -p SupplementaryGroups=ai-audit"
          machine.succeed(f"{as_service} test -w /run/ai-audit/audit.sock")
          status, output = machine.execute(f"{as_service} sh -c 'echo forged >> /var/lib/ai-audit/audit.jsonl' 2>&1")
          assert status != 0 and "Permission denied" in output, f"a service process could write the audit file: {status} {output}"

      with subtest("systemd-analyze security"):
          for unit in units + learning_jobs + ["ai-continuous-learning", "ai-stack-audit"]:
              report = machine.succeed(f"systemd-analyze security --no-pager {unit}.service")
              print(report)
              overall = [l for l in report.splitlines() if "Overall exposure level" in l][0]
              score = float(overall.split(":")[1].split()[0])
              assert score <= 2.0, f"{unit}: exposure {score} > 2.0"
    '';
}
