/**
 * Ordinary technical text that must pass through redaction untouched and
 * score well below the injection threshold: NixOS modules, a flake, shell
 * scripts, systemd units, TypeScript, Markdown docs and plain prose.
 */
export const benignCorpus: Record<string, string> = {
  nixosModule: `{ config, lib, pkgs, ... }:
let
  cfg = config.services.ai-stack.aidb;
  inherit (lib) mkOption mkEnableOption mkIf types;
  format = pkgs.formats.json { };
in
{
  options.services.ai-stack.aidb = {
    enable = mkEnableOption "the aidb knowledge store";
    port = mkOption {
      type = types.port;
      default = 8091;
      description = "Port aidb listens on (127.0.0.1 only).";
    };
    passwordFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/aidb-db-password";
      description = ''
        File holding the database password. The password is read at start
        through LoadCredential= and never written to the Nix store.
      '';
    };
    token = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Use tokenFile instead; a token here ends up in the store.";
    };
    tokenFile = mkOption { type = types.nullOr types.path; default = null; };
    settings = mkOption {
      type = types.submodule { freeformType = format.type; };
      default = { };
    };
  };

  config = mkIf cfg.enable {
    assertions = [{
      assertion = cfg.enable -> cfg.token == null;
      message = "services.ai-stack.aidb.token would be world-readable; set services.ai-stack.aidb.tokenFile instead.";
    }];
    users.users.aidb = { isSystemUser = true; group = "aidb"; hashedPasswordFile = null; };
    users.groups.aidb = { };
    systemd.services.aidb = {
      description = "aidb knowledge store";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" "postgresql.service" "redis-aidb.service" ];
      environment = {
        REDIS_URL = "redis://127.0.0.1:6380";
        DATABASE_URL = "postgresql:///aidb?host=/run/postgresql";
        AIDB_CONFIG = format.generate "aidb.json" cfg.settings;
      };
      serviceConfig = {
        ExecStart = "\${pkgs.ai-stack}/bin/aq serve aidb --port \${toString cfg.port}";
        LoadCredential = lib.optional (cfg.passwordFile != null) "db-password:\${cfg.passwordFile}";
        DynamicUser = false;
        User = "aidb";
        MemoryDenyWriteExecute = false; # V8 JIT needs W+X pages
        ProtectSystem = "strict";
      };
    };
    services.postgresql = {
      enable = true;
      extensions = ps: [ ps.pgvector ];
      ensureDatabases = [ "aidb" ];
      ensureUsers = [{ name = "aidb"; ensureDBOwnership = true; }];
    };
  };
}
`,
  flake: `{
  description = "A personal AI stack for NixOS";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils, ... }:
    let
      system = "x86_64-linux";
      pkgs = import nixpkgs { inherit system; };
    in {
      nixosModules.default = ./nix/modules/ai-stack.nix;
      packages.\${system}.default = pkgs.buildNpmPackage {
        pname = "ai-stack";
        version = "0.1.0";
        src = ./.;
        npmDepsHash = "sha256-Ti+ZBvW6yrWWAg2szExVTwCd4qOJ3KlVr1tFHfyfi8Q=";
        outputHash = "sha256-lrp67w8AulE9Ks53n27I45ADSzbOCn4H+CNW1Ck8B+8=";
      };
      checks.\${system}.lib-eval = pkgs.runCommand "lib-eval" { } "touch $out";
    };
}
`,
  flakeLock: `{
  "nodes": {
    "nixpkgs": {
      "locked": {
        "lastModified": 1778430510,
        "narHash": "sha256-Ti+ZBvW6yrWWAg2szExVTwCd4qOJ3KlVr1tFHfyfi8Q=",
        "owner": "NixOS",
        "repo": "nixpkgs",
        "rev": "8fd9daa3db09ced9700431c5b7ad0e8ba199b575",
        "type": "github"
      },
      "original": { "owner": "NixOS", "ref": "nixos-25.11", "repo": "nixpkgs", "type": "github" }
    }
  },
  "root": "root",
  "version": 7
}
`,
  shellScript: `#!/usr/bin/env bash
set -euo pipefail
# Fetch a model and check it against the registry's sha256.
url="$1"; dest="$2"; expected="$3"
token="\${HF_TOKEN:-}"
password="$(systemd-creds cat db-password)"
export PGPASSWORD="$password"
auth=()
if [[ -n "$token" ]]; then auth=(-H "Authorization: Bearer $token"); fi
curl -fL --retry 3 "\${auth[@]}" -o "$dest.part" "$url"
actual="$(sha256sum "$dest.part" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "sha256 mismatch: got $actual, want $expected" >&2
  exit 1
fi
mv "$dest.part" "$dest"
git -C /var/lib/ai-stack log -1 --format=%H   # e.g. 5b41d96a0c6e2f1d8b7a9c3e4f5a6b7c8d9e0f1a
read -r -s -p "Password: " pw
echo "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
`,
  systemdUnit: `[Unit]
Description=aidb knowledge store
After=network.target postgresql.service
Requires=postgresql.service

[Service]
Type=simple
ExecStart=/nix/store/4f3h5k7n0p2r4t6v8x0z2b4d6f8h0j2l-ai-stack-0.1.0/bin/aq serve aidb
Environment=REDIS_URL=redis://127.0.0.1:6380
LoadCredential=db-password:/run/secrets/aidb-db-password
DynamicUser=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
SystemCallFilter=@system-service
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
# MemoryDenyWriteExecute stays off: V8 JIT needs W+X pages.

[Install]
WantedBy=multi-user.target
`,
  typescript: `import { z } from "zod";

export const configSchema = z.object({
  databaseUrl: z.string().url().optional(),
  redisUrl: z.string().optional(),
  apiKey: z.string().min(1).optional(),
  password: z.string().optional(),
});

interface Credentials {
  user: string;
  password: string;
  token?: string;
}

export function connect(creds: Credentials, system: SystemInfo) {
  const password = readSecret("db-password");
  const token = creds.token ?? process.env.AIDB_TOKEN;
  const systemPrompt = buildSystemPrompt(system);
  const messages = [{ role: "system", content: systemPrompt }, { role: "user", content: question }];
  const apiKey = config.apiKey;
  if (token === undefined) throw new Error("token missing: set AIDB_TOKEN");
  return { password, token, messages, apiKey, systemName: system.name };
}
`,
  markdownDocs: `# Deploying aidb

## Secrets

The database password never goes into \`settings\`: it would end up in the
world-readable Nix store. Put it in a file and point \`passwordFile\` at it:

\`\`\`nix
services.ai-stack.aidb.passwordFile = "/run/secrets/aidb-db-password";
\`\`\`

Connection strings without credentials are fine in the config, for example
\`postgresql:///aidb?host=/run/postgresql\` or \`redis://127.0.0.1:6380/0\`.
A URL such as \`postgres://user:password@localhost/db\` is only a placeholder;
replace user and password with your own through the environment file.

Set \`OPENAI_API_KEY=$OPENAI_API_KEY\` or \`api_key: \${API_KEY}\` to read keys
from the environment, and \`token: <your token>\` is just a placeholder too.

## Installing Nix

Follow the instructions in the manual. On a non-NixOS machine:

\`\`\`sh
curl -L https://nixos.org/nix/install | sh -s -- --daemon
\`\`\`

Then follow the instructions above to enable flakes, and read the
instructions in the previous section before upgrading. The system will ask for
your password when sudo runs. Forget about manual steps: the module does it.

## Tokens and context length

The embedding model reads at most 512 tokens; \`max_tokens: 512\` in the
request caps the answer. \`token_type: bearer\` is what the API returns.
See https://nixos.org/manual/nixos/stable/#sec-nix-gc and
https://github.com/NixOS/nixpkgs/blob/nixos-25.11/nixos/modules/services/misc/ollama.nix.
Commit 8fd9daa3db09ced9700431c5b7ad0e8ba199b575 pins nixpkgs.
`,
  yamlConfig: `services:
  aidb:
    port: 8091
    password_file: /run/secrets/aidb
    token_file: /run/secrets/aidb-token
    secret: /run/secrets/aidb-secret
    redis:
      url: redis://127.0.0.1:6380
    max_tokens: 512
    require_password: true
    password: ~
    api_key: null
    system: x86_64-linux
`,
  prose: `Passwords should be long and unique. A password manager keeps them safe,
and you should never share your password or token with anyone. The system
administrator can reset a password if you forget it. Secrets such as API keys
belong in an environment file. This guide gives step-by-step instructions for
configuring the system; previous versions of these instructions assumed
channels instead of flakes. If something goes wrong, the system journal
(journalctl -u aidb) tells you why.
`,
};

/** Benign text that mentions instructions, systems and chat formats in prose. */
export const benignInjectionCorpus: Record<string, string> = {
  ...benignCorpus,
  readmeInstructions: `# Contributing

Please read these instructions before opening a pull request. The build
instructions are in docs/build.md; previous instructions for Nix 2.3 are
obsolete. You can ignore warnings from the linter about vendored files, and
you can ignore the deprecation notice printed by npm. Follow the system
requirements listed above. Developers should run \`npm test\` first.
`,
  chatTemplateProse: `## Chat templates

Instruction-tuned models expect their input in a chat template. ChatML wraps
every message between an im_start and an im_end special token, and the first
message usually carries the system role, which sets the assistant's behaviour.
Llama 2 wraps user turns in INST tags and puts the system prompt inside a SYS
block. The inference service applies the template stored in the GGUF file, so
clients only send a list of messages with roles system, user and assistant.
The system prompt is configurable per request.
`,
  systemIdentifiers: `const systemConfig = loadSystemConfig();
// system: the Nix system double, e.g. x86_64-linux
function systemPromptFor(role: string): string {
  return role === "admin" ? adminPrompt : defaultPrompt;
}
export const SYSTEM_ROLE = "system";
if (os.system === "Linux") console.log("system: " + os.release());
`,
  bugReport: `### Bug report

System: NixOS 25.11 (x86_64-linux)
Kernel: 6.12.8
GPU: none

Steps: enable services.ai-stack.aidb, run nixos-rebuild switch, then
curl http://127.0.0.1:8091/ready. Expected 200, got 503 because Redis was not
running. After starting redis the service recovered.
`,
  tutorial: `## Your first deployment

You are now ready to deploy. From now on, you can use flakes for every host.
Pretend you are a new user and follow the tutorial from the start. Press i:
you are now in insert mode. nginx can act as a reverse proxy for port 8080,
and sudo lets an administrator act as root for one command. To test the web
UI, enable developer mode in Chromium. Don't tell the user their password in
log messages. Send the logs to https://logs.example.org through rsyslog.
`,
  securityDoc: `## Threat model

aidb scores each document for prompt injection. Attackers try phrases that
tell the model to drop its rules, or they hide turn markers in a document.
Such documents are quarantined and not returned unless a caller asks for
them. Scores are stored per document, and the threshold is configurable.
`,
};
