/**
 * Finds common secret formats in text and replaces each with
 * `[REDACTED:<kind>]`, before the text is chunked, embedded or stored.
 *
 * Rules run in order: whole private-key blocks first, then tokens with a
 * recognisable prefix (most specific first: `sk-ant-` before `sk-`), then
 * secrets recognised by their context (AWS secret keys, bearer tokens,
 * credentials in URLs), and generic `password=` style assignments last. A
 * later rule never touches an earlier rule's `[REDACTED:...]` marker, so
 * nothing is redacted twice.
 *
 * The rules aim at few false positives on technical text: git and sha256
 * hex digests, Nix SRI hashes (`sha256-...=`), URLs without credentials,
 * the word "password" in prose, `passwordFile = ...` options and
 * references such as `$DB_PASSWORD` or `config.foo.token` are left alone.
 */

export type SecretKind =
  | "private_key"
  | "anthropic_key"
  | "openai_key"
  | "stripe_key"
  | "github_token"
  | "ai_stack_key"
  | "slack_token"
  | "huggingface_token"
  | "google_api_key"
  | "aws_access_key_id"
  | "jwt"
  | "aws_secret_access_key"
  | "bearer_token"
  | "connection_string"
  | "password_assignment";

export interface RedactionResult {
  text: string;
  /** Number of secrets replaced. */
  total: number;
  /** Replacements per kind; kinds with none are absent. */
  byKind: Record<string, number>;
}

export const redactionMarker = (kind: string) => `[REDACTED:${kind}]`;

interface Rule {
  kind: SecretKind;
  pattern: RegExp;
  /**
   * Returns the replacement for a match, or undefined to keep the match as
   * it is (a look-alike that is not a secret).
   */
  replace: (match: string, groups: string[]) => string | undefined;
}

const hasDigit = (s: string) => /[0-9]/.test(s);
const hasLetter = (s: string) => /[A-Za-z]/.test(s);
const hasUpper = (s: string) => /[A-Z]/.test(s);
const hasLower = (s: string) => /[a-z]/.test(s);
/** Random tokens mix character classes; identifiers and words rarely do. */
const looksRandom = (s: string) =>
  (hasDigit(s) && hasLetter(s)) || (hasUpper(s) && hasLower(s) && /[A-Z].*[A-Z].*[A-Z]/.test(s));

/** Replace the whole match when `ok` accepts it. */
const whole =
  (kind: SecretKind, ok: (m: string, g: string[]) => boolean = () => true) =>
  (m: string, g: string[]) =>
    ok(m, g) ? redactionMarker(kind) : undefined;

// The end of a token: not followed by more token characters.
const END = "(?![A-Za-z0-9_-])";
const START = "(?<![A-Za-z0-9_-])";

/** Key names whose values are secrets, matched at the end of a key. */
const SECRET_KEY_WORDS =
  "password|passwd|passphrase|pwd|secret|client[_-]?secret|secret[_-]?key|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|token|private[_-]?key";

/** Values that are placeholders, references or code, never literal secrets. */
function isNonSecretValue(value: string, quoted: boolean, after: string, spacedSeparator: boolean): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (v.startsWith("[REDACTED")) return true;
  if (/^(?:null|nil|none|true|false|yes|no|on|off|undefined|~|string|number|boolean|any|unknown|optional|required|str|bytes)$/i.test(v))
    return true;
  // Shell, Nix, template and printf references: $X, ${X}, $(cmd), {{ x }}, %(x)s, <placeholder>
  if (/^(?:\$|\{\{|%\(|<[^>]*>$|@)/.test(v)) return true;
  // Masked or dummy values: ***, xxxxx, ..., ••••, and the placeholders of
  // documentation examples (user:password@host, YOUR_API_KEY, <token>).
  if (/^(.)\1*$/u.test(v) || /^[.*•x]+$/i.test(v)) return true;
  if (/^(?:password|passwd|pass|pwd|secret|value|token|example|placeholder|redacted|hidden|dummy|changeit)$/i.test(v)) return true;
  if (/^(?:your|my|the|some|example)[_-]?[a-z_-]*$/i.test(v) && /[_-]/.test(v)) return true;
  // A path to a secret is not the secret: /run/secrets/db, ./token.txt, ~/.key
  if (/^(?:\/|\.\.?\/|~\/)/.test(v)) return true;
  if (!quoted) {
    // Code: function calls, objects, arrays, dotted references such as
    // config.services.x.token, lib.mkOption, process.env.TOKEN.
    if (/[(){}[\]]/.test(v)) return true;
    if (/^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+[;,]?$/.test(v)) return true;
    // `token = value;` / `password: value,` with an identifier is a variable
    // in code; ODBC `Pwd=secret;` (no spaces) is still redacted.
    if (spacedSeparator && /^[A-Za-z_]\w*[;,]$/.test(v)) return true;
    if (/^[A-Za-z_]\w*$/.test(v) && /^\s*[;,)]/.test(after) && spacedSeparator) return true;
    // Numbers (ports, counts, sizes) are not secrets.
    if (/^-?\d+(?:\.\d+)?[;,]?$/.test(v)) return true;
  }
  return false;
}

const rules: Rule[] = [
  {
    // Whole PEM/OpenSSH/PGP private key blocks; an unterminated block is
    // redacted to the end of the text (a truncated key is still a key).
    kind: "private_key",
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$(?![\s\S]))/g,
    replace: whole("private_key"),
  },
  {
    kind: "anthropic_key",
    pattern: new RegExp(`${START}sk-ant-(?:[a-z]+\\d*-)?[A-Za-z0-9_-]{20,}${END}`, "g"),
    replace: whole("anthropic_key"),
  },
  {
    // sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...
    kind: "openai_key",
    pattern: new RegExp(`${START}sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}${END}`, "g"),
    replace: whole("openai_key", (m) => looksRandom(m.slice(3))),
  },
  {
    kind: "stripe_key",
    pattern: new RegExp(`${START}(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}${END}`, "g"),
    // Publishable keys (pk_) are public by design.
    replace: whole("stripe_key", (m) => !m.startsWith("pk_")),
  },
  {
    kind: "github_token",
    pattern: new RegExp(`${START}(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})${END}`, "g"),
    replace: whole("github_token"),
  },
  {
    // This stack's own API keys (aq keys create): aqk_ and 43 base64url characters.
    kind: "ai_stack_key",
    pattern: new RegExp(`${START}aqk_[A-Za-z0-9_-]{43}${END}`, "g"),
    replace: whole("ai_stack_key"),
  },
  {
    kind: "slack_token",
    pattern: new RegExp(`${START}xox[abprse]-(?:[0-9]+-)*[A-Za-z0-9-]{10,}${END}`, "g"),
    replace: whole("slack_token", (m) => hasDigit(m)),
  },
  {
    kind: "huggingface_token",
    pattern: new RegExp(`${START}hf_[A-Za-z0-9]{30,}${END}`, "g"),
    replace: whole("huggingface_token", (m) => looksRandom(m.slice(3))),
  },
  {
    kind: "google_api_key",
    pattern: new RegExp(`${START}AIza[0-9A-Za-z_-]{35}${END}`, "g"),
    replace: whole("google_api_key"),
  },
  {
    kind: "aws_access_key_id",
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g,
    replace: whole("aws_access_key_id"),
  },
  {
    // header.payload.signature, each base64url; header and payload are
    // JSON objects, so both start with "eyJ" ('{"').
    kind: "jwt",
    pattern: new RegExp(`${START}eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*${END}`, "g"),
    replace: whole("jwt"),
  },
  {
    // aws_secret_access_key = <40 chars>, AWS_SECRET_ACCESS_KEY="...",
    // "SecretAccessKey": "..."; the key name is kept.
    kind: "aws_secret_access_key",
    pattern:
      /((?:aws_?)?secret_?access_?key|aws_?secret_?key)(["']?\s*(?::=|=>|[:=])\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    replace: (_m, [key, sep, value]) =>
      hasDigit(value!) && hasLetter(value!) ? `${key}${sep}${redactionMarker("aws_secret_access_key")}` : undefined,
  },
  {
    // Authorization: Bearer <token>; the scheme word is kept.
    kind: "bearer_token",
    pattern: /(\bBearer\s+)([A-Za-z0-9._~+/-]{20,}=*)(?![A-Za-z0-9._~+/=-])/g,
    replace: (_m, [prefix, token]) => (looksRandom(token!) ? `${prefix}${redactionMarker("bearer_token")}` : undefined),
  },
  {
    // scheme://user:password@host — the credentials are replaced, the
    // scheme and host kept (postgres, mysql, mongodb+srv, redis, amqp, ...).
    kind: "connection_string",
    pattern: /(\b[a-z][a-z0-9+.-]{0,30}:\/\/)([^\s:/@"'`<>]{0,256}:[^\s/@"'`<>]{1,256})@(?=[^\s/@"'`<>]{0,256}[A-Za-z0-9])/gi,
    replace: (_m, [scheme, creds]) => {
      const password = creds!.slice(creds!.indexOf(":") + 1);
      if (isNonSecretValue(password, true, "", false)) return undefined;
      return `${scheme}${redactionMarker("connection_string")}@`;
    },
  },
  {
    // KEY=value, KEY: value, "key": "value", key = "value", key := value,
    // where the key ends with a secret word (DB_PASSWORD, client_secret,
    // apiKey, GITHUB_TOKEN, pwd). The key and quotes are kept.
    kind: "password_assignment",
    pattern: new RegExp(
      [
        `(?<![A-Za-z0-9_.-])`,
        `(["']?)`, // 1: opening quote of the key (JSON)
        `([A-Za-z0-9_.-]{0,60}?(?:${SECRET_KEY_WORDS}))`, // 2: key
        `(\\1)`, // 3: closing quote of the key
        `([ \\t]*(?::=|=>|=(?!=)|:(?!:))[ \\t]*)`, // 4: separator
        `(?:`,
        `"([^"\\n]*)"`, // 5: double-quoted value
        `|'([^'\\n]*)'`, // 6: single-quoted value
        `|([^\\s"'\`&;,]+[;,]?)(?=([^\\n]{0,200}))`, // 7: bare value, 8: start of the rest of the line
        `)`,
      ].join(""),
      "gi",
    ),
    replace: (_m, [q1, key, q2, sep, dq, sq, bare, rest]) => {
      const quoted = dq !== undefined || sq !== undefined;
      const value = dq ?? sq ?? bare ?? "";
      const spaced = /\s/.test(sep!);
      const isColon = sep!.trim() === ":";
      const after = rest ?? "";
      if (!quoted) {
        // "Password: see below" is prose; a YAML/INI value is the whole
        // rest of its line (or ends at a flow separator).
        if (isColon && !/^\s*(?:[,}#]|$)/.test(after)) return undefined;
        // `password = value # comment` and `password=value other words`
        if (!isColon && !/^(?:\s*(?:[;&,#}]|$)|[;&,])/.test(after)) {
          if (spaced) return undefined;
        }
      }
      if (isNonSecretValue(value, quoted, after, spaced)) return undefined;
      const marker = redactionMarker("password_assignment");
      if (dq !== undefined) return `${q1}${key}${q2}${sep}"${marker}"`;
      if (sq !== undefined) return `${q1}${key}${q2}${sep}'${marker}'`;
      const trail = /[;,]$/.test(bare!) ? bare!.slice(-1) : "";
      return `${q1}${key}${q2}${sep}${marker}${trail}`;
    },
  },
];

/** Replaces every detected secret with `[REDACTED:<kind>]`. */
export function redactSecrets(text: string): RedactionResult {
  const byKind: Record<string, number> = {};
  let total = 0;
  let out = text;
  for (const rule of rules) {
    out = out.replace(rule.pattern, (match: string, ...args: unknown[]) => {
      // replace() passes the groups, then offset, whole string and (with
      // named groups) an object; keep only the capture groups.
      const firstNonGroup = args.findIndex((a) => typeof a === "number");
      const groups = args.slice(0, firstNonGroup) as (string | undefined)[];
      const replacement = rule.replace(match, groups as string[]);
      if (replacement === undefined) return match;
      byKind[rule.kind] = (byKind[rule.kind] ?? 0) + 1;
      total += 1;
      return replacement;
    });
  }
  return { text: out, total, byKind };
}
