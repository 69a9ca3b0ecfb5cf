import type { z } from "zod";

export interface FieldIssue {
  path: string;
  message: string;
}

/** Flattens zod issues into `{path, message}` pairs with dotted paths. */
export function formatZodIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    const parts = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)));
    let path = parts.reduce<string>((acc, p) => (p.startsWith("[") ? acc + p : acc ? `${acc}.${p}` : p), "");
    if (prefix) path = path ? `${prefix}.${path}` : prefix;
    return { path: path || "(root)", message: issue.message };
  });
}
