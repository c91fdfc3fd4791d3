/**
 * Which failures of the SQLite file are the operator's to fix (a read-only
 * file or folder, a full disk, a damaged file), and how to say so: one line
 * naming the file and the cause, for the log, the CLI and the agent alike.
 * Everything else stays what it is (a bug, reported as unexpected).
 */
import { StoreUnavailableError } from "../../errors.js";

/** SQLite's primary result codes (extended codes such as SQLITE_IOERR_WRITE start with one) and Node's fs codes. */
const CAUSES: Record<string, string> = {
  SQLITE_READONLY: "the file or its folder is read-only for this process",
  SQLITE_CANTOPEN: "it cannot be opened (its folder is missing or not writable, or access is denied)",
  SQLITE_PERM: "access to it is denied",
  SQLITE_FULL: "the disk is full",
  SQLITE_NOTADB: "it is not a SQLite database (damaged, or another kind of file)",
  SQLITE_CORRUPT: "the database file is damaged",
  SQLITE_IOERR: "the disk reported an I/O error",
  EACCES: "access is denied",
  EPERM: "the operation is not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
};

function primaryCode(code: string): string {
  if (!code.startsWith("SQLITE_")) return code;
  const [, primary] = /^(SQLITE_[A-Z]+?)(?:_[A-Z_]+)?$/.exec(code) ?? [];
  return primary && primary in CAUSES ? primary : code;
}

/** A StoreUnavailableError for an operator-fixable fault of `file`, else undefined. */
export function storeFaultOf(error: unknown, file: string): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const cause = CAUSES[primaryCode(code)];
  return cause ? new StoreUnavailableError(file, `${cause} (${code})`) : undefined;
}
