import modelsJson from "../../lib/models.json" with { type: "json" };
import { modelRegistrySchema, type ModelRegistry } from "./modelRegistrySchema.js";

/** lib/models.json, validated. Throws a ZodError naming the field when the file is invalid. */
export function loadModelRegistry(json: unknown = modelsJson): ModelRegistry {
  return modelRegistrySchema.parse(json);
}
