import { z } from "zod";
import { formatModelInfo } from "../../models/formatModelInfo.js";
import { inspectModel } from "../../models/inspectModel.js";
import { resolveSynthSpec } from "../../models/resolveSynthSpec.js";
import { synthFlagsSchema } from "../../models/synthOptionsSchema.js";
import { synthModel } from "../../models/synthModel.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

const usage = [
  "usage: aq models synth --out FILE [--preset tiny|bench|reranker] [--quant f32|f16|q8_0] [--seed N]",
  "                       [--context-length N] [--answer-length N | --always-empty] [--template chatml|chatml-tools]",
  "       aq models inspect FILE [--json] [--sha256 HEX]",
].join("\n");

const inspectFlagsSchema = z.object({
  json: z.boolean().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters")
    .optional(),
});

/** `aq models synth|inspect`: write a synthetic GGUF model, or verify and describe a model file. */
export const modelsCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    io.out(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub === "synth") {
    const { flags } = parseFlags(rest, synthFlagsSchema, { booleans: ["alwaysEmpty"] });
    const { out, ...spec } = flags;
    const resolved = resolveSynthSpec(spec);
    const result = await synthModel({ out, ...spec });
    io.out(
      JSON.stringify({
        ...result,
        preset: resolved.preset,
        quant: resolved.quant,
        seed: resolved.seed,
        contextLength: resolved.contextLength,
        answerLength: resolved.answerLength,
        template: resolved.template,
      }),
    );
    return 0;
  }
  if (sub === "inspect") {
    const { flags, positionals } = parseFlags(rest, inspectFlagsSchema, { booleans: ["json"], allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError(`inspect takes exactly one model file, got ${positionals.length}\n\n${usage}`);
    const info = await inspectModel(positionals[0], { expectedSha256: flags.sha256 });
    io.out(flags.json ? JSON.stringify(info, null, 2) : formatModelInfo(info));
    return 0;
  }
  throw new UsageError(`unknown subcommand '${sub}'\n\n${usage}`);
};
