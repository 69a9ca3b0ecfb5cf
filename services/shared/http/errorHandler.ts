import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { formatZodIssues, type FieldIssue } from "../formatZodIssues.js";
import { HttpError } from "./HttpError.js";

const fastifyClientCodes: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_content_length",
};

/**
 * Validation failures become 400 `{error, message, fields:[{path, message}]}`;
 * HttpErrors pass through with their code and details; any other 5xx hides
 * its internals from the client (the log keeps them).
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? "body";
    const fields: FieldIssue[] = error.validation.map((v) => ({
      path: instancePathToField(context, v.instancePath),
      message: v.message ?? "invalid",
    }));
    return sendValidation(reply, fields);
  }
  if (error instanceof z.ZodError) {
    return sendValidation(reply, formatZodIssues(error, "body"));
  }
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
    return reply
      .code(error.statusCode)
      .headers(error.headers)
      .send({ error: error.code, message: error.message, ...error.details });
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = fastifyClientCodes[(error as FastifyError).code ?? ""] ?? "bad_request";
    return reply.code(status).send({ error: code, message: error.message });
  }
  request.log.error({ err: error }, "request failed");
  return reply.code(status >= 500 ? status : 500).send({ error: "internal_error", message: "internal server error" });
}

function sendValidation(reply: FastifyReply, fields: FieldIssue[]) {
  const message = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  return reply.code(400).send({ error: "validation_error", message, fields });
}

function instancePathToField(context: string, instancePath: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  let path = context;
  for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  return path;
}
