/** Every tool, in the order clients list them. */
import type { AnyTool } from "./define.js";
import { approveIntervention } from "./approve-intervention.js";
import { createIntervention } from "./create-intervention.js";
import { dryRunIntervention } from "./dry-run-intervention.js";
import { flagIntervention } from "./flag-intervention.js";
import { getIntervention } from "./get-intervention.js";
import { listInterventions } from "./list-interventions.js";
import { pauseIntervention } from "./pause-intervention.js";
import { rejectIntervention } from "./reject-intervention.js";
import { rollbackIntervention } from "./rollback-intervention.js";

export const TOOLS: readonly AnyTool[] = [
  listInterventions,
  getIntervention,
  dryRunIntervention,
  createIntervention,
  approveIntervention,
  pauseIntervention,
  rejectIntervention,
  flagIntervention,
  rollbackIntervention,
];
