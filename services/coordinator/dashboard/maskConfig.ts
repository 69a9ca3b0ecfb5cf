export const MASK = "[MASKED]";

/**
 * Whether a setting's value is a secret, by its name: anything mentioning a
 * password or secret, or whose last word is key, token, credential or auth
 * (`apiKey`, `ACCESS_TOKEN`; not `maxTokens` or `contextTokenBudget`).
 * Names ending in `File` or `Path` hold a path to a secret, not the secret,
 * and are shown (`remoteLlmKeyFile`).
 */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_.\-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (last === "file" || last === "path" || last === "dir") return false;
  if (words.some((w) => /password|passwd|secret|apikey/.test(w))) return true;
  return ["key", "token", "credential", "credentials", "auth", "pass", "pwd"].includes(last);
}

/**
 * A URL with its user-info and any secret-named query parameters masked
 * (`redis://:pw@host` → `redis://[MASKED]@host`). A string that is not a URL
 * is returned as it is.
 */
export function maskUrl(value: string): string {
  let out = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, `$1${MASK}@`);
  const q = out.indexOf("?");
  if (q >= 0) {
    const [head, rest] = [out.slice(0, q), out.slice(q + 1)];
    const hash = rest.indexOf("#");
    const query = hash >= 0 ? rest.slice(0, hash) : rest;
    const tail = hash >= 0 ? rest.slice(hash) : "";
    const masked = query
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        const key = eq >= 0 ? pair.slice(0, eq) : pair;
        return eq >= 0 && isSecretName(decodeURIComponent(key)) ? `${key}=${MASK}` : pair;
      })
      .join("&");
    out = `${head}?${masked}${tail}`;
  }
  return out;
}

/**
 * A copy of a configuration object safe to show: secret-named values
 * replaced by "[MASKED]", credentials in URLs masked, nested objects and
 * arrays walked. `masked` lists the paths of what was hidden.
 */
export function maskConfig(config: unknown): { value: unknown; masked: string[] } {
  const masked: string[] = [];
  const walk = (v: unknown, path: string, name: string): unknown => {
    if (name && isSecretName(name) && v !== undefined && v !== null && v !== "") {
      masked.push(path);
      return MASK;
    }
    if (typeof v === "string") {
      const m = maskUrl(v);
      if (m !== v) masked.push(path);
      return m;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, ""));
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x, path ? `${path}.${k}` : k, k)]));
    }
    return v;
  };
  const value = walk(config, "", "");
  return { value, masked };
}
