/**
 * Argument keys that the SDK's own parsing of a request silently drops: an
 * own `__proto__` key survives JSON.parse but not the copy the SDK makes of
 * `arguments` before a handler sees it. A guarded tool must refuse and audit
 * it like any other forged argument, so the raw message is looked at first,
 * on the transport (the SDK calls a transport's existing `onmessage` before
 * its own), and the keys are handed to the call by its request id.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const DROPPED = ["__proto__"] as const;

export class DroppedArgumentKeys {
  private readonly byRequest = new Map<string | number, string[]>();

  /** Watches `transport` for tools/call requests whose arguments carry keys the SDK would drop. */
  watch(transport: Transport): void {
    const previous = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      this.note(message);
      previous?.(message, extra);
    };
  }

  /** The dropped keys of one call, forgotten once read. */
  take(requestId: string | number): string[] {
    const keys = this.byRequest.get(requestId) ?? [];
    this.byRequest.delete(requestId);
    return keys;
  }

  private note(message: JSONRPCMessage): void {
    if (!("method" in message) || message.method !== "tools/call" || !("id" in message)) return;
    const args = (message.params as { arguments?: unknown } | undefined)?.arguments;
    if (args === null || typeof args !== "object") return;
    const keys = DROPPED.filter((key) => Object.hasOwn(args, key));
    // Bounded: an id is taken by its own call; a client that never lets a call run cannot grow this much.
    if (keys.length > 0 && this.byRequest.size < 1000) this.byRequest.set(message.id, [...keys]);
  }
}
