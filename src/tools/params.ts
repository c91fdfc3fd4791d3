/** Parameter schemas shared by several tools, each described for the model. */
import { z } from "zod";
import { InterventionIdSchema, ReasonSchema } from "../api/schemas.js";

export const interventionIdParam = InterventionIdSchema.describe(
  "Intervention id, e.g. int_abc123, from list_interventions.",
);

export const requiredReasonParam = ReasonSchema.describe("Why, in a sentence; stored and audited.");

export const statusResultSchema = z.object({
  id: z.string(),
  status: z.string().describe("Status after the call."),
});
