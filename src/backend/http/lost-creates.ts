/**
 * Creates whose answer was lost, remembered for a short while, so that the
 * agent's retry of the same create (same user, playbook and channel) does
 * not make a second intervention. The retry reuses the lost attempt's
 * Idempotency-Key, and before sending it looks for the intervention the lost
 * attempt may have made, for an upstream that ignores the header. Only an
 * ambiguous failure is remembered: after a success or a clear refusal, the
 * next create is a new one.
 */
import { randomUUID } from "node:crypto";
import type { CreateRequest, DetailedIntervention } from "../../api/schemas.js";

/** How long after a lost answer a retry counts as the same create. */
export const LOST_CREATE_WINDOW_MS = 10 * 60_000;
/** Clock difference tolerated between us and the API when matching planned_at. */
const CLOCK_SLACK_MS = 2 * 60_000;
/** Ids this process created, never mistaken for a lost one. */
const MADE_KEPT = 1000;

interface Lost {
  key: string;
  /** When the first lost attempt was sent. */
  since: number;
  expiresAt: number;
}

export interface CreateAttempt {
  key: string;
  since: number;
  /** A retry after a lost answer. */
  retry: boolean;
}

function fingerprint({ user_id, playbook_id, channel }: CreateRequest): string {
  return JSON.stringify([user_id, playbook_id, channel]);
}

export class LostCreates {
  private readonly lost = new Map<string, Lost>();
  private readonly made: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** The key and start time for this create: a lost one's, within the window, or fresh ones. */
  attempt(request: CreateRequest): CreateAttempt {
    const lost = this.lost.get(fingerprint(request));
    if (lost && lost.expiresAt > this.now()) return { key: lost.key, since: lost.since, retry: true };
    return { key: `rtmcp_${randomUUID()}`, since: this.now(), retry: false };
  }

  answerLost(request: CreateRequest, attempt: CreateAttempt): void {
    this.lost.set(fingerprint(request), { key: attempt.key, since: attempt.since, expiresAt: this.now() + LOST_CREATE_WINDOW_MS });
  }

  /** The create is settled (made, found, or refused for sure): the next one is a new create. */
  settled(request: CreateRequest, createdId?: string): void {
    this.lost.delete(fingerprint(request));
    if (createdId === undefined) return;
    this.made.push(createdId);
    if (this.made.length > MADE_KEPT) this.made.shift();
  }

  /** Among the newest interventions, the one a lost attempt begun at `since` may have made. */
  findLost(request: CreateRequest, since: number, newest: readonly DetailedIntervention[]): DetailedIntervention | undefined {
    return newest.find(
      (item) =>
        item.user_id === request.user_id &&
        item.playbook_id === request.playbook_id &&
        item.channel === request.channel &&
        Date.parse(item.planned_at) >= since - CLOCK_SLACK_MS &&
        !this.made.includes(item.id),
    );
  }
}
