# PostgreSQL with pgvector (for ai-aidb) and Redis (for ai-coordinator), both
# on localhost only.
{ config, lib, ... }:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  tier = aiLib.tiers.${cfg.hardwareTier};
  # Redis takes "512mb"-style sizes; tiers.json has "512M"/"1G". The memory
  # budget (lib/memory-budget.nix) counts it, plus its own overhead.
  redisMaxMemory = "${toString (aiLib.memoryToMiB tier.redisMaxMemory)}mb";
in
{
  config = lib.mkIf cfg.enable {
    services.postgresql = {
      enable = true;
      # Unix socket and localhost only.
      enableTCPIP = false;
      settings.port = cfg.ports.postgres;
      extensions = ps: [ ps.pgvector ];
      ensureDatabases = [ "aidb" ];
      ensureUsers = [
        {
          name = "aidb";
          ensureDBOwnership = true;
        }
      ];
    };

    # pgvector is not a trusted extension, so the superuser creates it once.
    systemd.services.postgresql-setup.postStart = lib.mkAfter ''
      psql --port=${toString cfg.ports.postgres} -d aidb -tAc 'CREATE EXTENSION IF NOT EXISTS vector'
    '';

    services.redis.servers.ai-stack = {
      enable = true;
      bind = "127.0.0.1";
      port = cfg.ports.redis;
      settings = {
        # A cache: bounded by the tier's per-service memory, oldest keys go first.
        maxmemory = redisMaxMemory;
        maxmemory-policy = "allkeys-lru";
      };
    };
  };
}
