import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { coordinatorEnvAliases, coordinatorEnvPrefix } from "../loadCoordinatorConfig.js";
import { maskConfig } from "./maskConfig.js";

/**
 * GET /config/env: the effective configuration (file, environment and flags
 * merged, defaults applied) and the coordinator's environment variables,
 * with every secret masked: secret-named values, credentials in URLs. Key
 * files are shown by path; their content never is.
 */
export async function configEnvRoute(app: KernelApp, { runtime: rt, env = process.env }: { runtime: CoordinatorRuntime; env?: NodeJS.ProcessEnv }) {
  app.get("/config/env", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    const names = Object.keys(env)
      .filter((k) => k.startsWith(coordinatorEnvPrefix) || k in coordinatorEnvAliases || k === "AI_STACK_CONFIG")
      .sort();
    const config = maskConfig(rt.config);
    const environment = maskConfig(Object.fromEntries(names.map((k) => [k, env[k]])));
    return {
      config: config.value,
      environment: environment.value,
      masked: [...config.masked, ...environment.masked.map((p) => `env.${p}`)],
    };
  });
}
