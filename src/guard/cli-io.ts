/**
 * Terminal input and output for the human-facing commands. Everything printed,
 * prompts included, passes the sanitizer (sanitize.ts) once more as a last
 * line of defence: an escape sequence in a message body or a flag reason must
 * not be able to rewrite what the human sees. (Callers sanitize each field
 * too, so that one-line fields stay one line.) Hidden input (the passphrase)
 * switches the TTY to raw mode so nothing is echoed.
 */
import { visibleText } from "../text/sanitize.js";

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** True only when stdin and stdout are an interactive terminal. */
  isTTY: boolean;
}

export class PromptAborted extends Error {}

type RawCapable = NodeJS.ReadableStream & { setRawMode?: (raw: boolean) => unknown; isTTY?: boolean };

export class Prompter {
  private buffer = "";
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer | string) => {
    this.buffer += chunk.toString();
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake?.();
  };

  constructor(private readonly io: CommandIo) {
    io.stdin.on("data", this.onData);
    io.stdin.on("end", this.onEnd);
  }

  /** One line of input; undefined at end of input. Throws PromptAborted on Ctrl-C. */
  async line(prompt: string, options: { hidden?: boolean } = {}): Promise<string | undefined> {
    const stdin = this.io.stdin as RawCapable;
    const raw = options.hidden === true && typeof stdin.setRawMode === "function";
    if (options.hidden && !raw) throw new PromptAborted("Cannot read a passphrase without echo: stdin is not a terminal.");
    // Echo goes off before the prompt shows: a human (or a script) answering the
    // prompt the instant it appears must never see the passphrase echoed.
    if (raw) stdin.setRawMode!(true);
    this.io.stdout.write(visibleText(prompt));
    try {
      let typed = "";
      for (;;) {
        while (this.buffer.length > 0) {
          const c = this.buffer[0]!;
          this.buffer = this.buffer.slice(1);
          if (c === "\r" || c === "\n") {
            if (c === "\r" && this.buffer[0] === "\n") this.buffer = this.buffer.slice(1);
            if (raw) this.io.stdout.write("\n");
            return typed;
          }
          if (c === "\u0003") throw new PromptAborted("Interrupted.");
          if (c === "\u007f" || c === "\b") typed = typed.slice(0, -1);
          else if (c === "\u0004" && typed === "") return undefined;
          else typed += c;
        }
        if (this.ended) return typed === "" ? undefined : typed;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      if (raw) stdin.setRawMode!(false);
    }
  }

  async yes(prompt: string): Promise<boolean> {
    const answer = await this.line(`${prompt} [y/N] `);
    return answer !== undefined && /^(y|yes)$/i.test(answer.trim());
  }

  close(): void {
    this.io.stdin.off("data", this.onData);
    this.io.stdin.off("end", this.onEnd);
    this.io.stdin.pause();
  }
}

export function writeLine(stream: NodeJS.WritableStream, text = ""): void {
  stream.write(`${visibleText(text)}\n`);
}
