import type { FastifyReply } from "fastify";

/** Writes a server-sent-events response on a hijacked reply. */
export class SseWriter {
  private begun = false;

  constructor(
    private readonly reply: FastifyReply,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** Whether the headers went out. */
  get started(): boolean {
    return this.begun;
  }

  get open(): boolean {
    return !this.reply.raw.destroyed && !this.reply.raw.writableEnded;
  }

  start(): void {
    if (this.begun) return;
    this.begun = true;
    this.reply.hijack();
    const headers = this.reply.getHeaders() as Record<string, string>;
    this.reply.raw.writeHead(200, {
      ...headers,
      ...this.extraHeaders,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
  }

  /** One `data:` event with a JSON payload. */
  send(payload: unknown): void {
    this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** Text already in SSE framing, passed through unchanged. */
  write(chunk: string | Uint8Array): void {
    this.start();
    if (this.open) this.reply.raw.write(chunk);
  }

  /** Ends with `data: [DONE]`. */
  end(): void {
    this.write("data: [DONE]\n\n");
    if (this.open) this.reply.raw.end();
  }
}
