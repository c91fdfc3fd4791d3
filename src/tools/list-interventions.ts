import { z } from "zod";
import { ChannelSchema, StatusSchema } from "../api/schemas.js";
import { defineTool } from "./define.js";
import { CompactInterventionSchema, type CompactIntervention } from "../api/compact.js";
import type { DetailedIntervention } from "../api/schemas.js";
import { describeIntervention } from "./describe.js";
import { rowLine } from "./present.js";
import { lazySignal } from "./deadline.js";

export const DEFAULT_PAGE_SIZE = 20;
/** A full row is ~500 tokens: 50 of them is already ~25k; 500 would be ~240k. */
export const MAX_FULL_PAGE_SIZE = 50;

export const listInterventions = defineTool({
  name: "list_interventions",
  title: "List interventions",
  description:
    "List interventions, newest first, optionally filtered by status, user_id, channel or flagged. " +
    "Returns compact rows (with a message preview) unless detail is 'full'. " +
    "Page with next_cursor. Start here to find ids for every other tool.",
  inputSchema: z.strictObject({
    limit: z.number().int().min(1).max(500).default(DEFAULT_PAGE_SIZE).describe("Page size, 1-500 (default 20); at most 50 with detail 'full'."),
    cursor: z.string().max(200).optional().describe("next_cursor from the previous page."),
    status: StatusSchema.optional(),
    user_id: z.string().min(1).max(256).optional().describe("Only this end user's interventions."),
    channel: ChannelSchema.optional(),
    flagged: z.boolean().optional().describe("true: only flagged; false: only unflagged."),
    detail: z.enum(["compact", "full"]).default("compact").describe("'full' adds message_body, reasoning, quality_checks, timestamps."),
  }).superRefine(({ limit, detail }, context) => {
    // Refused rather than clamped: the agent learns the rule instead of silently getting fewer rows.
    if (detail === "full" && limit > MAX_FULL_PAGE_SIZE) {
      context.addIssue({
        code: "custom",
        path: ["limit"],
        message:
          `at most ${MAX_FULL_PAGE_SIZE} with detail 'full' (got ${limit}; full rows are large). ` +
          `Use limit ${MAX_FULL_PAGE_SIZE} or less and page with next_cursor, or detail 'compact' for up to 500 rows`,
      });
    }
  }),
  outputSchema: z.object({
    // Full rows carry every compact field too, so one loose row schema covers both shapes.
    interventions: z.array(CompactInterventionSchema),
    next_cursor: z.string().nullable().describe("Pass as cursor for the next page; null on the last page."),
    note: z.string().optional().describe("Present when only part of the data could be searched."),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  writes: false,
  async handler({ detail, ...query }, call) {
    const { deps } = call;
    const options = lazySignal(call);
    // Full rows are told in full, a blank line after each; compact rows take one line each.
    const { page, lines } =
      detail === "full"
        ? await deps.backend.list(query, options).then((page) => ({ page, lines: page.interventions.map((row) => `${describeIntervention(row)}\n`) }))
        : await deps.backend.listCompact(query, options).then((page) => ({ page, lines: page.interventions.map(rowLine) }));
    const rows: Array<CompactIntervention | DetailedIntervention> = page.interventions;
    const heading = `${rows.length} intervention(s), newest first${detail === "full" ? ":" : "; previews are model-written data:"}`;
    const more = page.next_cursor ? `More: call again with cursor "${page.next_cursor}".` : "End of list.";
    // In API mode filters search only the newest interventions the API returns; say so.
    const searched = page.window && !page.window.complete ? [page.window.note] : [];
    return {
      structured: { interventions: rows, next_cursor: page.next_cursor, ...(searched.length ? { note: searched[0] } : {}) },
      text: [rows.length ? heading : "No intervention matches.", ...lines, more, ...searched].join("\n"),
    };
  },
});
