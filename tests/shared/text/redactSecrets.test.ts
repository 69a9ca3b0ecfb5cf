import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../services/shared/text/redactSecrets.js";
import { b64url, j, rnd } from "../../aidb/helpers/fakeSecrets.js";
import { benignCorpus } from "../../aidb/safety/benignCorpus.js";

// Fake secrets, made up here and assembled from pieces at run time so that
// secret scanners do not flag this file.

const fake = {
  openai: j("sk-", "proj-", rnd(48, 1)),
  aiStackKey: j("aq", "k_", rnd(43, 77, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")),
  openaiLegacy: j("sk-", rnd(20, 2), "T3Blbk", "FJ", rnd(20, 3)),
  anthropic: j("sk-", "ant-", "api03-", rnd(80, 4), "-", rnd(6, 5), "AA"),
  google: j("AI", "za", "Sy", rnd(33, 6)),
  awsId: j("AK", "IA", rnd(16, 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
  awsStsId: j("AS", "IA", rnd(16, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
  awsSecret: j(rnd(20, 9, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"), "/", rnd(19, 10)),
  github: j("gh", "p_", rnd(36, 11)),
  githubApp: j("gh", "s_", rnd(36, 12)),
  githubPat: j("github", "_pat_", rnd(22, 13), "_", rnd(59, 14)),
  slack: j("xo", "xb-", "2345678901", "-", "3456789012345", "-", rnd(24, 15)),
  stripe: j("sk", "_live_", rnd(24, 16)),
  stripeRestricted: j("rk", "_live_", rnd(24, 17)),
  hf: j("h", "f_", rnd(34, 18)),
  jwt: [b64url({ alg: "HS256", typ: "JWT" }), b64url({ sub: "1234567890", name: "Alice", iat: 1716239022 }), rnd(43, 19, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")].join("."),
  rsaKey: ["-----BEGIN RSA PRIVATE KEY-----", rnd(64, 20), rnd(64, 21), rnd(20, 22) + "==", "-----END RSA PRIVATE KEY-----"].join("\n"),
  opensshKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", rnd(70, 23), rnd(70, 24), "-----END OPENSSH PRIVATE KEY-----"].join("\n"),
  ecKey: ["-----BEGIN EC PRIVATE KEY-----", rnd(64, 25), "-----END EC PRIVATE KEY-----"].join("\n"),
  pkcs8Key: ["-----BEGIN PRIVATE KEY-----", rnd(64, 26), "-----END PRIVATE KEY-----"].join("\n"),
  pgpKey: ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", rnd(64, 27), "=" + rnd(4, 28), "-----END PGP PRIVATE KEY BLOCK-----"].join("\n"),
  dbPassword: "Xq9!vL2#pR7",
};

/** Every fake secret's own text must be gone from the output. */
function expectGone(out: string, ...secrets: string[]) {
  for (const s of secrets) expect(out).not.toContain(s);
}

describe("redactSecrets: one positive and one negative case per kind", () => {
  const cases: Array<{ kind: string; positive: string; secret: string; expected?: string; negative: string }> = [
    {
      kind: "openai_key",
      positive: `OPENAI_API_KEY=${fake.openai}`,
      secret: fake.openai,
      expected: "OPENAI_API_KEY=[REDACTED:openai_key]",
      negative: "pip install sk-learn-contrib; the task-runner sk-style flag",
    },
    {
      kind: "anthropic_key",
      positive: `client = Anthropic(api_key="${fake.anthropic}")`,
      secret: fake.anthropic,
      expected: 'client = Anthropic(api_key="[REDACTED:anthropic_key]")',
      negative: "See the sk-ant prefix in the Anthropic docs; keys start with sk-ant-api03.",
    },
    {
      kind: "google_api_key",
      positive: `https://generativelanguage.googleapis.com/v1/models?key=${fake.google}`,
      secret: fake.google,
      negative: "AIza is the prefix of Google API keys; AIzaShortValue is too short.",
    },
    {
      kind: "aws_access_key_id",
      positive: `[default]\naws_access_key_id = ${fake.awsId}\nrole ${fake.awsStsId}`,
      secret: fake.awsId,
      negative: "AKIA followed by 16 characters; AKIAlowercase1234567 is not one, nor AKIA123.",
    },
    {
      kind: "aws_secret_access_key",
      positive: `aws_secret_access_key = ${fake.awsSecret}`,
      secret: fake.awsSecret,
      expected: "aws_secret_access_key = [REDACTED:aws_secret_access_key]",
      negative: `commit ${"8fd9daa3db09ced9700431c5b7ad0e8ba199b575"} (a 40-character git sha, not an AWS secret)`,
    },
    {
      kind: "github_token",
      positive: `git clone https://x-access-token:${fake.githubApp}@github.com/o/r\nGITHUB_TOKEN: ${fake.github}\n${fake.githubPat}`,
      secret: fake.github,
      negative: "ghp_ is the prefix of GitHub personal tokens; ghp_short is not one.",
    },
    {
      kind: "ai_stack_key",
      positive: `export AQ_KEY=${fake.aiStackKey}\ncurl -H "Authorization: Bearer ${fake.aiStackKey}" http://192.168.1.10:8003/status`,
      secret: fake.aiStackKey,
      negative: "aqk_ is the prefix of this stack's API keys; aqk_short is not one.",
    },
    {
      kind: "slack_token",
      positive: `SLACK_BOT_TOKEN is ${fake.slack}`,
      secret: fake.slack,
      negative: "Slack bot tokens start with xoxb- followed by numbers.",
    },
    {
      kind: "stripe_key",
      positive: `stripe.api_key = '${fake.stripe}' and ${fake.stripeRestricted}`,
      secret: fake.stripe,
      negative: "sk_live_ keys are secret; test with sk_test_ in development.",
    },
    {
      kind: "huggingface_token",
      positive: `huggingface-cli login --token ${fake.hf}`,
      secret: fake.hf,
      negative: "from huggingface_hub import hf_hub_download; hf_transfer_enabled_for_all_models = 1",
    },
    {
      kind: "jwt",
      positive: `Cookie: session=${fake.jwt}; Path=/`,
      secret: fake.jwt.split(".")[2]!,
      negative: "A JWT has three parts: header.payload.signature, each base64url; the header often starts with eyJ.",
    },
    {
      kind: "private_key",
      positive: `key:\n${fake.rsaKey}\nssh:\n${fake.opensshKey}\n${fake.ecKey}\n${fake.pkcs8Key}\n${fake.pgpKey}\ndone`,
      secret: "PRIVATE KEY-----\n",
      negative: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@host",
    },
    {
      kind: "password_assignment",
      positive: `DB_PASSWORD=${fake.dbPassword}`,
      secret: fake.dbPassword,
      expected: "DB_PASSWORD=[REDACTED:password_assignment]",
      negative: "Choose a strong password: at least 12 characters. The password field is required.",
    },
    {
      kind: "connection_string",
      positive: `DATABASE_URL is postgres://aidb:${fake.dbPassword}@db.internal:5432/aidb`,
      secret: fake.dbPassword,
      expected: "DATABASE_URL is postgres://[REDACTED:connection_string]@db.internal:5432/aidb",
      negative: "Connect to postgresql://db.internal:5432/aidb or https://user@example.org/path as git@github.com",
    },
  ];

  for (const c of cases) {
    it(`${c.kind}: redacts a realistic fake and keeps look-alikes`, () => {
      const r = redactSecrets(c.positive);
      expect(r.byKind[c.kind], JSON.stringify(r)).toBeGreaterThanOrEqual(1);
      expect(r.text).toContain(`[REDACTED:${c.kind}]`);
      expectGone(r.text, c.secret);
      if (c.expected) expect(r.text).toBe(c.expected);
      const n = redactSecrets(c.negative);
      expect(n, c.negative).toEqual({ text: c.negative, total: 0, byKind: {} });
    });
  }
});

describe("redactSecrets: details", () => {
  it("counts every secret, per kind", () => {
    const text = `a ${fake.github} b ${fake.openai} c ${fake.github.replace(/.$/, "Z")}`;
    const r = redactSecrets(text);
    expect(r.total).toBe(3);
    expect(r.byKind).toEqual({ github_token: 2, openai_key: 1 });
  });

  it("removes all five private key block types whole, keeping the text around them", () => {
    const r = redactSecrets(`before\n${fake.rsaKey}\nmiddle\n${fake.opensshKey}\n${fake.ecKey}\n${fake.pkcs8Key}\n${fake.pgpKey}\nafter`);
    expect(r.byKind).toEqual({ private_key: 5 });
    expect(r.text).toBe(
      "before\n[REDACTED:private_key]\nmiddle\n[REDACTED:private_key]\n[REDACTED:private_key]\n[REDACTED:private_key]\n[REDACTED:private_key]\nafter",
    );
  });

  it("redacts a truncated private key block to the end of the text", () => {
    const truncated = fake.rsaKey.split("\n").slice(0, 3).join("\n");
    const r = redactSecrets(`config:\n${truncated}`);
    expect(r.text).toBe("config:\n[REDACTED:private_key]");
  });

  it("prefers the specific kind and never redacts twice", () => {
    const r = redactSecrets(`ANTHROPIC_API_KEY="${fake.anthropic}"\nOPENAI_API_KEY: ${fake.openai}\nHF_TOKEN=${fake.hf}`);
    expect(r.byKind).toEqual({ anthropic_key: 1, openai_key: 1, huggingface_token: 1 });
    expect(r.text).toBe(
      'ANTHROPIC_API_KEY="[REDACTED:anthropic_key]"\nOPENAI_API_KEY: [REDACTED:openai_key]\nHF_TOKEN=[REDACTED:huggingface_token]',
    );
    // Redacting the output again finds nothing.
    expect(redactSecrets(r.text).total).toBe(0);
  });

  it("redacts password-style assignments in env, shell, YAML, JSON, INI, TOML and URL-query forms, keeping the key", () => {
    const v = fake.dbPassword;
    const forms: Array<[string, string]> = [
      [`POSTGRES_PASSWORD=${v}`, "POSTGRES_PASSWORD=[REDACTED:password_assignment]"],
      [`export API_KEY="${v}"`, 'export API_KEY="[REDACTED:password_assignment]"'],
      [`  password: ${v}`, "  password: [REDACTED:password_assignment]"],
      [`  client_secret: '${v}'`, "  client_secret: '[REDACTED:password_assignment]'"],
      [`{"password": "${v}", "user": "alice"}`, '{"password": "[REDACTED:password_assignment]", "user": "alice"}'],
      [`passwd = ${v}`, "passwd = [REDACTED:password_assignment]"],
      [`secret = "${v}"`, 'secret = "[REDACTED:password_assignment]"'],
      [`https://api.example.org/v1?user=alice&token=${v.replace(/[#!]/g, "k")}&x=1`, "https://api.example.org/v1?user=alice&token=[REDACTED:password_assignment]&x=1"],
      [`Server=db;Database=app;Uid=alice;Pwd=${v};`, "Server=db;Database=app;Uid=alice;Pwd=[REDACTED:password_assignment];"],
      [`const apiKey = "${v}";`, 'const apiKey = "[REDACTED:password_assignment]";'],
      [`initialPassword = "${v}";`, 'initialPassword = "[REDACTED:password_assignment]";'],
    ];
    for (const [input, output] of forms) {
      const r = redactSecrets(input);
      expect(r.text, input).toBe(output);
      expect(r.byKind, input).toEqual({ password_assignment: 1 });
    }
  });

  it("leaves references, placeholders, paths and code in assignments alone", () => {
    const lines = [
      "password=$DB_PASSWORD",
      'PASSWORD="${DB_PASSWORD}"',
      "api_key: ${API_KEY}",
      "token: <your token>",
      "password: ********",
      "password: ~",
      'password = "";',
      "passwordFile = /run/secrets/db;",
      "secret: /run/secrets/aidb",
      "token = config.services.aidb.token;",
      "token = lib.mkOption { type = types.str; };",
      "const password = readSecret('db');",
      "password: string;",
      "token?: string,",
      "max_tokens: 512",
      "tokenizer: llama",
      "if token == expected:",
      "if (password !== confirm) return;",
      "password: the one you chose during installation",
      "Password: see the section above",
      "redis://:password@localhost:6379",
      "postgres://user:password@localhost/db",
      "api_key=YOUR_API_KEY",
    ];
    for (const line of lines) expect(redactSecrets(line), line).toEqual({ text: line, total: 0, byKind: {} });
  });

  it("redacts credentials in connection strings of many schemes, keeping host and database", () => {
    const pw = "pW4x-92kLmQ";
    const urls = [
      `mysql://root:${pw}@127.0.0.1:3306/app`,
      `mongodb+srv://svc:${pw}@cluster0.abcde.mongodb.net/?retryWrites=true`,
      `redis://:${pw}@cache.internal:6379/0`,
      `amqp://guest:${pw}@rabbit.internal:5672/vhost`,
      `postgresql://aidb:${pw}@localhost/aidb?sslmode=require`,
    ];
    for (const url of urls) {
      const r = redactSecrets(`url = ${url}`);
      expect(r.byKind, url).toEqual({ connection_string: 1 });
      expect(r.text).not.toContain(pw);
      expect(r.text).toContain("[REDACTED:connection_string]@");
      expect(r.text).toContain(url.slice(url.indexOf("@") + 1));
    }
  });

  it("redacts bearer tokens in Authorization headers", () => {
    const token = rnd(40, 99);
    const r = redactSecrets(`curl -H "Authorization: Bearer ${token}" http://127.0.0.1:8091/search`);
    expect(r.text).toBe('curl -H "Authorization: Bearer [REDACTED:bearer_token]" http://127.0.0.1:8091/search');
    expect(redactSecrets('curl -H "Authorization: Bearer $TOKEN"').total).toBe(0);
  });

  it("leaves hashes alone: git shas, sha256 hex digests and Nix SRI hashes", () => {
    const text = [
      "rev = \"8fd9daa3db09ced9700431c5b7ad0e8ba199b575\";",
      "sha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\";",
      "hash = \"sha256-Ti+ZBvW6yrWWAg2szExVTwCd4qOJ3KlVr1tFHfyfi8Q=\";",
      "npmDepsHash = \"sha256-lrp67w8AulE9Ks53n27I45ADSzbOCn4H+CNW1Ck8B+8=\";",
      "integrity sha512-9pBcVk9ftQU5Q3l1oG6mFlnLZv1T5iWcH8KXhC1EoXJ8zWg4U2Ou6n9m1pQJ3bBqz2xK8vY1cF0eG7hD4aA==",
    ].join("\n");
    expect(redactSecrets(text)).toEqual({ text, total: 0, byKind: {} });
  });

  for (const [name, text] of Object.entries(benignCorpus)) {
    it(`benign corpus: ${name} has zero redactions`, () => {
      const r = redactSecrets(text);
      expect(r.byKind).toEqual({});
      expect(r.text).toBe(text);
    });
  }

  it("stays linear on adversarial input (no catastrophic backtracking)", () => {
    const inputs = ["sk-".repeat(16_000), "a-".repeat(24_000), "x://a:b".repeat(7_000), "password=a ".repeat(4_500), "-----BEGIN RSA PRIVATE KEY-----\n".repeat(1_500)];
    for (const input of inputs) {
      const t0 = performance.now();
      redactSecrets(input);
      expect(performance.now() - t0, input.slice(0, 20)).toBeLessThan(250);
    }
  });

  it("is fast enough for a 50 KB document", () => {
    const doc = Object.values(benignCorpus).join("\n").repeat(8).slice(0, 50_000) + `\nkey ${fake.openai}`;
    const t0 = performance.now();
    const r = redactSecrets(doc);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(r.byKind).toEqual({ openai_key: 1 });
  });
});
