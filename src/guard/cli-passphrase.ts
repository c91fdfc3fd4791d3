/**
 * `retivo-mcp approvals passphrase`: sets or changes the operator passphrase,
 * typed twice without echo. Changing it requires the current one, so an agent
 * that can reach a terminal cannot simply replace it.
 */
import type { Store } from "../store/index.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./cli-io.js";
import { attemptPassphrase, hasPassphrase, MIN_PASSPHRASE_LENGTH, passphraseLockedUntil, setPassphrase } from "./passphrase.js";

export async function runPassphraseCommand(store: Store, io: CommandIo, onSet: (replaced: boolean) => Promise<void>): Promise<number> {
  if (!io.isTTY) {
    writeLine(io.stderr, "Refusing: 'approvals passphrase' needs an interactive terminal, so the passphrase is typed by a human and never echoed.");
    return 2;
  }
  const prompter = new Prompter(io);
  try {
    const replacing = await hasPassphrase(store);
    let current: string | undefined;
    if (replacing) {
      // The terminal's own throttle, as for approvals in the terminal.
      const lockedUntil = await passphraseLockedUntil(store, "cli");
      if (lockedUntil) {
        writeLine(io.stderr, `Too many wrong passphrases: attempts are refused until ${lockedUntil}. Nothing changed.`);
        return 1;
      }
      current = await prompter.line("Current operator passphrase: ", { hidden: true });
      const attempt = await attemptPassphrase(store, current, "cli");
      if (!attempt.ok) {
        const until = attempt.lockedUntil ? ` Further attempts are refused until ${attempt.lockedUntil}.` : "";
        writeLine(io.stderr, attempt.reason === "locked" ? `Too many wrong passphrases: attempts are refused until ${attempt.lockedUntil}. Nothing changed.` : `Wrong passphrase; nothing changed.${until}`);
        return 1;
      }
    }
    const first = await prompter.line(`New operator passphrase (at least ${MIN_PASSPHRASE_LENGTH} characters): `, { hidden: true });
    if (!first || first.length < MIN_PASSPHRASE_LENGTH) {
      writeLine(io.stderr, `Too short; nothing changed. Use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
      return 1;
    }
    if ((await prompter.line("Repeat it: ", { hidden: true })) !== first) {
      writeLine(io.stderr, "The two entries differ; nothing changed.");
      return 1;
    }
    await setPassphrase(store, first, new Date(), current);
    await onSet(replacing);
    writeLine(
      io.stdout,
      "Operator passphrase set. Every approval now needs it: on the approval page, in 'retivo-mcp approvals approve', and for approve/rollback on the local REST server; in-client forms no longer approve on their own.",
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PromptAborted)) throw error;
    writeLine(io.stderr, `${error.message} Nothing changed.`);
    return 1;
  } finally {
    prompter.close();
  }
}
