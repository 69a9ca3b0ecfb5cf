import type { FastifyReply } from "fastify";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { dashboardCss } from "./assets/dashboardCss.js";
import { dashboardHtml } from "./assets/dashboardHtml.js";
import { dashboardJs } from "./assets/dashboardJs.js";
import { faviconSvg } from "./assets/faviconSvg.js";

/** Everything from this origin, nothing inline, no framing. */
export const DASHBOARD_CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const assets: Record<string, { type: string; body: string }> = {
  "/dashboard": { type: "text/html; charset=utf-8", body: dashboardHtml },
  "/dashboard/app.js": { type: "text/javascript; charset=utf-8", body: dashboardJs },
  "/dashboard/app.css": { type: "text/css; charset=utf-8", body: dashboardCss },
  "/dashboard/favicon.svg": { type: "image/svg+xml", body: faviconSvg },
};

function send(reply: FastifyReply, asset: { type: string; body: string }) {
  return reply
    .header("content-type", asset.type)
    .header("content-security-policy", DASHBOARD_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-cache")
    .send(asset.body);
}

/**
 * GET /dashboard and its assets: plain HTML, CSS and JS compiled into the
 * bundle as strings (nothing read from disk, nothing from a CDN).
 */
export async function dashboardRoute(app: KernelApp) {
  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, { logLevel: "warn" }, async (_request, reply) => send(reply, asset));
  }
  app.get("/dashboard/", { logLevel: "warn" }, async (_request, reply) => reply.redirect("/dashboard"));
}
