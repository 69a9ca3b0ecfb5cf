/** Where a CLI command writes. Tests pass their own to capture output. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** A subcommand: takes the arguments after its name, returns an exit code. */
export type Command = (argv: string[], io: CommandIo) => Promise<number>;
