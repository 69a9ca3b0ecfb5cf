# The hardening baseline for every ai-stack unit, as NixOS `serviceConfig`
# attributes. Pure: builtins only.
#
#   (import ./hardened-service.nix) { memoryMax; ipAddressAllow ? [ "localhost" ];
#                                     internet ? false; gpuDevices ? [ ]; staticUser ? null; }
#   (import ./hardened-service.nix).relaxationReasons
#
# The strict baseline scores 1.1 with `systemd-analyze security` (lower is
# better). Every relaxation below says why it is there; `relaxationReasons`
# (exported from lib/default.nix) repeats those reasons for docs and tests.
let
  relaxationReasons = {
    MemoryDenyWriteExecute = "Node's V8 JIT needs writable-then-executable memory; with MemoryDenyWriteExecute=yes node does not start.";
    IPAddressAllow = "Each unit may reach loopback only; ai-coordinator additionally reaches the configured remote LLM address.";
    IPAddressDeny = "ai-model-download and ai-sync-knowledge-sources download from the internet (models; URL sources through the SSRF guard), so they alone have no IP address filter.";
    ProtectHome = "ai-sync-knowledge-sources reads a local_directory source under /home or /root read-only, only when the registry names one there.";
    User = "ai-continuous-learning runs as the coordinator's dynamic user (same User=, one UID) to read telemetry.jsonl in the coordinator's private state directory.";
    PrivateDevices = "llama.cpp needs the GPU device nodes (/dev/dri for AMD/Intel, /dev/nvidia* for NVIDIA) to offload layers.";
    DeviceAllow = "Only the listed GPU device nodes are opened up when PrivateDevices is off.";
    DynamicUser = "ai-model-download owns the model store under a static user, so the inference units can read it across restarts without re-chowning.";
    UMask = "Model weights are public files that the inference units (other users) must read, so the downloader creates them world-readable.";
    LimitMEMLOCK = "Inference may mlock the model so it is never paged out; the unit's MemoryMax still caps the total.";
  };

  isList = builtins.isList;

  hardenedService =
    {
      memoryMax,
      ipAddressAllow ? [ "localhost" ],
      internet ? false,
      gpuDevices ? [ ],
      staticUser ? null,
    }:
    assert builtins.isString memoryMax || throw "hardenedService: memoryMax must be a string such as \"512M\"";
    assert isList ipAddressAllow || throw "hardenedService: ipAddressAllow must be a list";
    assert isList gpuDevices || throw "hardenedService: gpuDevices must be a list";
    {
      # Identity: a transient, unprivileged user per unit.
      DynamicUser = staticUser == null;
      PrivateUsers = true;
      NoNewPrivileges = true;
      CapabilityBoundingSet = "";
      AmbientCapabilities = "";
      RestrictSUIDSGID = true;
      RemoveIPC = true;

      # File system: read-only OS, no homes, private /tmp, 0077 for new files.
      PrivateTmp = true;
      ProtectSystem = "strict";
      ProtectHome = true;
      UMask = "0077";
      ProtectProc = "invisible";
      ProcSubset = "pid";

      # Kernel and devices.
      ProtectKernelTunables = true;
      ProtectKernelModules = true;
      ProtectKernelLogs = true;
      ProtectControlGroups = true;
      ProtectClock = true;
      ProtectHostname = true;
      PrivateDevices = gpuDevices == [ ];
      DevicePolicy = "closed";
      LockPersonality = true;
      RestrictRealtime = true;
      RestrictNamespaces = true;

      # System calls. Blocked calls fail with EPERM instead of killing the process:
      # node raises its file-descriptor limit (setrlimit) at start-up and treats a
      # refusal as harmless, and libuv/ggml thread priority calls degrade the same way.
      SystemCallFilter = [
        "@system-service"
        "~@privileged @resources"
      ];
      SystemCallArchitectures = "native";
      SystemCallErrorNumber = "EPERM";

      # Network: loopback only unless a caller widens it.
      RestrictAddressFamilies = [
        "AF_UNIX"
        "AF_INET"
        "AF_INET6"
      ];

      # Resources.
      MemoryMax = memoryMax;

      # Relaxation: V8's JIT writes, then executes, its code pages; node does not start with MemoryDenyWriteExecute=yes.
      MemoryDenyWriteExecute = false;
    }
    // (
      if internet then
        {
          # Relaxation: ai-model-download fetches the weights, so it alone has no IP filter.
        }
      else
        {
          IPAddressDeny = "any";
          IPAddressAllow = ipAddressAllow;
        }
    )
    // (
      if gpuDevices == [ ] then
        { }
      else
        {
          # Relaxation: llama.cpp opens the GPU device nodes; only these are allowed.
          DeviceAllow = map (d: "${d} rw") gpuDevices;
        }
    )
    // (
      if staticUser == null then
        { }
      else
        {
          # Relaxation: a static owner for the model store, readable by the DynamicUser inference units.
          User = staticUser;
          Group = staticUser;
        }
    );
in
{
  inherit relaxationReasons;
  # Callable: (import ./hardened-service.nix) { memoryMax = "512M"; }
  __functor = _: hardenedService;
}
