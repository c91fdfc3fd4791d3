/**
 * The schema the SDK checks each tool result against. The SDK validates
 * structured content with zod's asynchronous parse, which in zod 4 costs
 * about seven times the synchronous one on our results (a default list page:
 * 24 µs against 3.5 µs, most of a list call's own work), though no output
 * schema of ours has an asynchronous step. So the SDK is handed a schema that
 * runs the tool's own synchronously and reports each of its issues at its
 * path: the same results pass and fail. tools/list publishes the tool's own
 * schema (publish.ts), never this one.
 */
import { z } from "zod";

export function checkedSynchronously(schema: z.ZodObject): z.ZodObject {
  return z.looseObject({}).superRefine((value, context) => {
    const result = schema.safeParse(value);
    if (result.success) return;
    for (const issue of result.error.issues) context.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });
}
