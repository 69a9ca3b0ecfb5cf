/**
 * Renders a NixOS `serviceConfig` attribute set to a systemd unit file the
 * way NixOS does (nixos/lib/systemd-lib.nix attrsToSection): booleans become
 * "true"/"false", a list becomes one `Key=value` line per element, "" stays
 * an empty assignment (`CapabilityBoundingSet=` clears the set).
 */
export function renderUnit(name: string, serviceConfig: Record<string, unknown>): string {
  const lines = ["[Unit]", `Description=${name}`, "", "[Service]"];
  const config = { ExecStart: "/usr/bin/true", ...serviceConfig };
  for (const [key, value] of Object.entries(config)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === "boolean") lines.push(`${key}=${v ? "true" : "false"}`);
      else if (typeof v === "string" || typeof v === "number") lines.push(`${key}=${v}`);
      else throw new Error(`${name}: cannot render ${key}=${JSON.stringify(v)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
