import { z } from "zod";

const jsonTypes = ["string", "number", "integer", "boolean", "null", "object", "array"] as const;

/**
 * The subset of JSON Schema that llama.cpp grammars enforce. Unknown types
 * would otherwise be accepted and silently not enforced, so they are refused
 * with the path of the offending keyword.
 */
export const supportedJsonSchema: z.ZodType<Record<string, unknown>, Record<string, unknown>> = z.lazy(() =>
  z
    .object({
      type: z.union([z.enum(jsonTypes), z.array(z.enum(jsonTypes)).min(1)]).optional(),
      properties: z.record(z.string(), supportedJsonSchema).optional(),
      items: z.union([supportedJsonSchema, z.boolean()]).optional(),
      prefixItems: z.array(supportedJsonSchema).optional(),
      anyOf: z.array(supportedJsonSchema).min(1).optional(),
      oneOf: z.array(supportedJsonSchema).min(1).optional(),
      allOf: z.array(supportedJsonSchema).min(1).optional(),
      additionalProperties: z.union([supportedJsonSchema, z.boolean()]).optional(),
      $defs: z.record(z.string(), supportedJsonSchema).optional(),
      definitions: z.record(z.string(), supportedJsonSchema).optional(),
      required: z.array(z.string()).optional(),
      enum: z.array(z.unknown()).min(1).optional(),
      minItems: z.number().int().min(0).optional(),
      maxItems: z.number().int().min(0).optional(),
      minLength: z.number().int().min(0).optional(),
      maxLength: z.number().int().min(0).optional(),
    })
    .passthrough(),
);
