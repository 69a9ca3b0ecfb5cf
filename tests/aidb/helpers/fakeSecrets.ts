// Fake secrets of every kind aidb redacts, made up here and assembled from
// pieces at run time so that secret scanners do not flag this file.
export function rnd(n: number, seed: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"): string {
  let x = seed * 2654435761 + 777;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length];
  }
  return out;
}
export const j = (...parts: string[]) => parts.join("");
export const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** [kind, the secret's own text, a line that carries it]. */
export const fakeSecrets: Array<[string, string, string]> = (() => {
  const s = {
    openai: j("sk-", "proj-", rnd(48, 101)),
    anthropic: j("sk-", "ant-", "api03-", rnd(80, 102), "-", rnd(6, 103), "AA"),
    google: j("AI", "za", "Sy", rnd(33, 104)),
    awsId: j("AK", "IA", rnd(16, 105, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
    awsSecret: j(rnd(20, 106, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"), "/", rnd(19, 107)),
    github: j("gh", "p_", rnd(36, 108)),
    jwt: [b64url({ alg: "HS256", typ: "JWT" }), b64url({ sub: "42", name: "Bob", iat: 1716239022 }), rnd(43, 109, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")].join("."),
    key: ["-----BEGIN RSA PRIVATE KEY-----", rnd(64, 110), rnd(64, 111), "-----END RSA PRIVATE KEY-----"].join("\n"),
    password: j("Zk4", "!qW", "8#rT", "2vN"),
    dbPassword: j("pg", "Secr", "et9", "Q7"),
  };
  return [
    ["openai_key", s.openai, `OPENAI_API_KEY=${s.openai}`],
    ["anthropic_key", s.anthropic, `export ANTHROPIC_API_KEY="${s.anthropic}"`],
    ["google_api_key", s.google, `maps key ${s.google} in the config`],
    ["aws_access_key_id", s.awsId, `aws_access_key_id = ${s.awsId}`],
    ["aws_secret_access_key", s.awsSecret, `aws_secret_access_key = ${s.awsSecret}`],
    ["github_token", s.github, `git clone https://x:${s.github}@example.invalid/repo`],
    ["jwt", s.jwt, `Authorization: Bearer ${s.jwt}`],
    ["private_key", s.key, s.key],
    ["password_assignment", s.password, `password=${s.password}`],
    ["connection_string", s.dbPassword, `DATABASE_URL=postgres://admin:${s.dbPassword}@db.example.invalid:5432/app`],
  ];
})();
