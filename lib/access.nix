# Where the stack's access pieces live on a host, and the loopback rule.
# Pure: builtins only.
{
  # The audit writer (ai-stack-audit) runs as this user; its group may reach
  # its socket. The services get the group as a supplementary group.
  auditUser = "ai-audit";
  auditGroup = "ai-audit";
  # RuntimeDirectory ai-audit (0750, the writer's): the socket, 0660.
  auditSocket = "/run/ai-audit/audit.sock";
  # StateDirectory ai-audit (0700, the writer's): the hash-chained records, 0600.
  auditFile = "/var/lib/ai-audit/audit.jsonl";
  # Made once by ai-stack-internal-key (root, 0600); units get it with LoadCredential.
  internalKeyFile = "/var/lib/ai-stack-keys/internal-key";

  # Whether an address is loopback (127.0.0.0/8, ::1, localhost): the same
  # rule as the services' isLoopbackAddress.
  isLoopback =
    address:
    address == "localhost"
    || address == "::1"
    || builtins.match "0*:(0*:){1,6}0*1" address != null
    || builtins.match "127\\.[0-9]+\\.[0-9]+\\.[0-9]+" address != null;
}
