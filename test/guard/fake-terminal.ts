/**
 * A terminal for the human-facing commands run in-process (runApprovalsCommand,
 * runAuditCommand): stdin with raw mode like a TTY's, stdout with a width, and
 * a script of answers typed as each prompt appears. The pseudo-terminal tests
 * drive the built CLI; these drive the same code where coverage and mutation
 * testing can see it.
 */
import { PassThrough } from "node:stream";
import type { CommandIo } from "../../src/guard/cli-io.js";

export interface TypedAnswer {
  /** Wait until the output since the previous answer matches this. */
  expect: RegExp;
  send: string;
}

export interface FakeTerminal {
  io: CommandIo;
  /** Everything written to stdout and stderr, in order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Whether echo was off (raw mode) at the moment each prompt matching `prompt` was written. */
  rawWhen(prompt: RegExp): boolean[];
  /** Answers left untyped: a prompt the command never showed. */
  untyped(): TypedAnswer[];
}

export function fakeTerminal(answers: TypedAnswer[] = [], options: { isTTY?: boolean; columns?: number } = {}): FakeTerminal {
  const isTTY = options.isTTY ?? true;
  let raw = false;
  const stdin = Object.assign(new PassThrough(), {
    isTTY,
    ...(isTTY ? { setRawMode: (on: boolean) => ((raw = on), stdin) } : {}),
  });
  const stdout = Object.assign(new PassThrough(), { columns: options.columns ?? 80 });
  const stderr = new PassThrough();
  let all = "";
  let out = "";
  let err = "";
  let from = 0;
  const pending = [...answers];
  const prompts: { text: string; raw: boolean }[] = [];
  const advance = () => {
    while (pending.length > 0) {
      const match = pending[0]!.expect.exec(all.slice(from));
      if (!match) return;
      from += match.index + match[0].length;
      stdin.write(pending.shift()!.send);
    }
  };
  stdout.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    prompts.push({ text, raw });
    all += text;
    out += text;
    advance();
  });
  stderr.on("data", (chunk: Buffer) => {
    all += chunk.toString();
    err += chunk.toString();
    advance();
  });
  return {
    io: { stdin, stdout, stderr, isTTY },
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    rawWhen: (prompt) => prompts.filter((p) => prompt.test(p.text)).map((p) => p.raw),
    untyped: () => pending,
  };
}
