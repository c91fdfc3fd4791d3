/**
 * `retivo-mcp db init`: sets up a PostgreSQL store so that the database
 * itself keeps the guard: an owner role, the MCP server's role (which can
 * neither forge an approval nor rewrite the audit log), the schema, and the
 * first operator passphrase, typed twice without echo (or, from a pipe, the
 * first line of stdin), and the demo data sets of an empty store. Prints the
 * RETIVO_DATABASE_URL for the server.
 * `--print-sql` prints the SQL instead and connects nowhere.
 */
import { randomBytes } from "node:crypto";
import type { Config } from "./config.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./guard/cli-io.js";
import { MIN_PASSPHRASE_LENGTH } from "./guard/passphrase.js";
import { ensureSeeded } from "./backend/local/seed.js";
import { openStore } from "./store/index.js";

/** The data sets `serve` and `api` use; seeded here, as the owner, since the server's role may only insert planned interventions. */
const TENANTS = ["live", "test"];

class NoPassphrase extends Error {}

async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}

/** The passphrase, typed twice at a terminal or piped in; refused when short or mistyped. */
async function passphraseFrom(io: CommandIo): Promise<string> {
  let passphrase: string | undefined;
  if (io.isTTY) {
    const prompter = new Prompter(io);
    try {
      passphrase = await prompter.line(`Operator passphrase for approvals (at least ${MIN_PASSPHRASE_LENGTH} characters): `, { hidden: true });
      if (passphrase && passphrase.length >= MIN_PASSPHRASE_LENGTH && (await prompter.line("Repeat it: ", { hidden: true })) !== passphrase) {
        throw new NoPassphrase("The two entries differ; the schema and roles are in place, no passphrase was stored. Run 'retivo-mcp db init' again.");
      }
    } finally {
      prompter.close();
    }
  } else {
    passphrase = await firstLineOf(io.stdin);
  }
  if (!passphrase || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new NoPassphrase(`The operator passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters; the schema and roles are in place, no passphrase was stored. Run 'retivo-mcp db init' again.`);
  }
  return passphrase;
}

export async function runDbInitCommand(config: Readonly<Config>, io: CommandIo): Promise<number> {
  const init = config.databaseInit!;
  const roles = { owner: init.ownerRole, server: init.serverRole };
  // Loaded only here: no other command of the embedded path pays for `pg`.
  const { databaseInitSql, initDatabase } = await import("./store/postgres/db-init.js");
  if (init.printSql) {
    io.stdout.write(databaseInitSql(roles));
    return 0;
  }
  const password = init.serverPassword ?? randomBytes(24).toString("base64url");
  try {
    const result = await initDatabase(init.adminUrl!, roles, password, () => passphraseFrom(io));
    const store = await openStore({ dbPath: "", databaseUrl: init.adminUrl! });
    try {
      for (const tenant of TENANTS) await ensureSeeded(store, tenant, config.seed);
    } finally {
      await store.close();
    }
    writeLine(io.stderr, `Roles ${roles.owner} (owns the store) and ${roles.server} (the MCP server's) are set up; the schema is current.`);
    writeLine(io.stderr, result.passphraseSet ? "Operator passphrase stored in the database (bcrypt; the server's role cannot read it)." : "An operator passphrase was already stored; kept ('retivo-mcp approvals passphrase' changes it).");
    writeLine(io.stderr, "Run the server with this URL (its password is shown only now):");
    writeLine(io.stdout, `RETIVO_DATABASE_URL=${result.serverUrl}`);
    return 0;
  } catch (error) {
    if (error instanceof NoPassphrase || error instanceof PromptAborted) {
      writeLine(io.stderr, error.message);
      return 1;
    }
    throw error;
  }
}
