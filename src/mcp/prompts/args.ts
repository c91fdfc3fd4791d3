/**
 * Prompt arguments with completions. `completable` marks the schema object it
 * is given, so each server gets fresh schemas: sharing one across sessions
 * would try to mark it twice.
 */
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { z } from "zod";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { CHANNELS, type Channel, type Status } from "../../api/schemas.js";
import { safely, type IdLookups } from "../resources/lookups.js";

export function interventionIdArg(lookups: IdLookups, statuses?: readonly Status[]) {
  return completable(
    z.string().min(1).max(64).describe("Intervention id, e.g. int_abc123 (completes from recent ids)."),
    safely((prefix) => lookups.interventionIds(prefix, statuses)),
  );
}

export function optionalUserIdArg(lookups: IdLookups) {
  return completable(
    z.string().max(256).optional().describe("Only this end user (optional)."),
    (value) => safely((prefix) => lookups.userIds(prefix))(value ?? ""),
  );
}

// Plain optional strings, because some clients send "" for an argument the human left empty.
export function optionalChannelArg() {
  return completable(
    z.string().max(20).optional().describe(`Only this channel: ${CHANNELS.join(", ")} (optional).`),
    (value) => CHANNELS.filter((channel) => channel.startsWith(value ?? "")),
  );
}

/** "" and absent both mean "no filter". */
export function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function channelFilter(value: string | undefined): Channel | undefined {
  const channel = blankToUndefined(value);
  if (channel === undefined) return undefined;
  if ((CHANNELS as readonly string[]).includes(channel)) return channel as Channel;
  throw new McpError(ErrorCode.InvalidParams, `channel must be one of ${CHANNELS.join(", ")}; got '${channel}'.`);
}
