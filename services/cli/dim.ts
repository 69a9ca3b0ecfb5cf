/** Dim text on a terminal (unless NO_COLOR), plain text otherwise. */
export function dim(text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY && !process.env.NO_COLOR ? `\x1b[2m${text}\x1b[22m` : text;
}
