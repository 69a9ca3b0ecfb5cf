import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { formatZodIssues, type FieldIssue } from "../formatZodIssues.js";
import { HttpError } from "./HttpError.js";
import { isOpenAiRoute, openAiError } from "./openAiError.js";

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
 * its internals from the client (the log keeps them). Under /v1/ the same
 * errors take OpenAI's shape, `{error: {message, type, param, code, ...details}}`
 * (openAiError), so OpenAI clients show them.
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const send = (status: number, code: string, message: string, details: Record<string, unknown> = {}) =>
    reply.code(status).send(isOpenAiRoute(request.url) ? openAiError(status, code, message, details) : { error: code, message, ...details });
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? "body";
    const fields: FieldIssue[] = error.validation.map((v) => ({
      path: instancePathToField(context, v.instancePath),
      message: v.message ?? "invalid",
    }));
    return sendValidation(send, fields);
  }
  if (error instanceof z.ZodError) {
    return sendValidation(send, formatZodIssues(error, "body"));
  }
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
    reply.headers(error.headers);
    return send(error.statusCode, error.code, error.message, error.details);
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = fastifyClientCodes[(error as FastifyError).code ?? ""] ?? "bad_request";
    return send(status, code, error.message);
  }
  request.log.error({ err: error }, "request failed");
  return send(status >= 500 ? status : 500, "internal_error", "internal server error");
}

function sendValidation(send: (status: number, code: string, message: string, details: Record<string, unknown>) => FastifyReply, fields: FieldIssue[]) {
  const message = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  return send(400, "validation_error", message, { fields });
}

function instancePathToField(context: string, instancePath: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  let path = context;
  for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  return path;
}
