/**
 * The OpenAPI 3.1 document of the REST server, generated from the contract's
 * zod schemas with z.toJSONSchema (JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is). Only the operation table below is written by hand; no field.
 */
import { z } from "zod";
import {
  CreateRequestSchema,
  CreateResponseSchema,
  DetailedInterventionSchema,
  DryRunRequestSchema,
  DryRunResponseSchema,
  ErrorResponseSchema,
  FlagRequestSchema,
  FlagResponseSchema,
  InterventionIdSchema,
  InterventionSchema,
  ListQueryWireSchema,
  ListResponseSchema,
  RejectRequestSchema,
  RollbackRequestSchema,
  StatusResponseSchema,
} from "../api/schemas.js";
import { VERSION } from "../version.js";
import { PASSPHRASE_HEADER } from "./operator.js";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const COMPONENTS = {
  Intervention: jsonSchema(InterventionSchema, "output"),
  DetailedIntervention: jsonSchema(DetailedInterventionSchema, "output"),
  ListResponse: jsonSchema(ListResponseSchema, "output"),
  CreateRequest: jsonSchema(CreateRequestSchema, "input"),
  CreateResponse: jsonSchema(CreateResponseSchema, "output"),
  StatusResponse: jsonSchema(StatusResponseSchema, "output"),
  RejectRequest: jsonSchema(RejectRequestSchema, "input"),
  RollbackRequest: jsonSchema(RollbackRequestSchema, "input"),
  FlagRequest: jsonSchema(FlagRequestSchema, "input"),
  FlagResponse: jsonSchema(FlagResponseSchema, "output"),
  DryRunRequest: jsonSchema(DryRunRequestSchema, "input"),
  DryRunResponse: jsonSchema(DryRunResponseSchema, "output"),
  Error: jsonSchema(ErrorResponseSchema, "output"),
};
type ComponentName = keyof typeof COMPONENTS;

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: ComponentName) => ({ "application/json": { schema: ref(name) } });

const ERRORS: Record<string, string> = {
  "400": "Invalid input (the message names the field) or malformed JSON",
  "401": "Missing or unknown API key",
  "404": "Unknown intervention, user or playbook",
  "409": "The action is not allowed from the intervention's current status",
  "429": "Per-key rate limit exceeded; see Retry-After",
};

function responses(success: { code: string; description: string; schema: ComponentName }, errors: string[]): Json {
  const out: Json = { [success.code]: { description: success.description, content: json(success.schema) } };
  for (const code of errors) {
    out[code] = {
      description: ERRORS[code],
      content: json("Error"),
      ...(code === "429" ? { headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } } } : {}),
    };
  }
  return out;
}

const idParameter = {
  name: "id",
  in: "path",
  required: true,
  description: "Intervention id, e.g. int_abc123",
  schema: jsonSchema(InterventionIdSchema, "input"),
};

/** Our extension: approve and rollback need the operator passphrase when the store has one. */
const passphraseParameter = {
  name: PASSPHRASE_HEADER,
  in: "header",
  required: false,
  description: "Operator passphrase; required for approve and rollback when one is set (retivo-mcp approvals passphrase)",
  schema: { type: "string" },
};

function action(
  operationId: string,
  summary: string,
  body: ComponentName | undefined,
  success: ComponentName,
  bodyRequired = true,
  operatorOnly = false,
): Json {
  return {
    operationId,
    summary,
    parameters: operatorOnly ? [idParameter, passphraseParameter] : [idParameter],
    ...(body ? { requestBody: { required: bodyRequired, content: json(body) } } : {}),
    responses: responses({ code: "200", description: "Done (a repeat on an intervention already there changes nothing)", schema: success }, [
      "400",
      "401",
      "404",
      "409",
      "429",
    ]),
  };
}

export function buildOpenApiDocument(): Json {
  const limit = (jsonSchema(ListQueryWireSchema, "input").properties as Json).limit;
  return {
    openapi: "3.1.0",
    info: {
      title: "Retivo Interventions API (served by retivo-mcp over its local store)",
      version: VERSION,
      description:
        "The eight Interventions API operations with the contract's paths, bodies and status codes. " +
        "Test keys (rt_test_) see a separate test data set whose deliveries are simulated. " +
        "GET /api/interventions/{id} is an extension of this server; the Retivo API has no get-by-id.",
      license: { name: "MIT", identifier: "MIT" },
    },
    // Relative: whatever address serves this document (by default http://127.0.0.1:3000, or behind a proxy).
    servers: [{ url: "/", description: "The retivo-mcp api server that serves this document" }],
    security: [{ bearerAuth: [] }],
    paths: {
      "/api/interventions": {
        get: {
          operationId: "listInterventions",
          summary: "List interventions, newest first",
          parameters: [{ name: "limit", in: "query", required: false, description: "How many (1..500, default 50); a string on the wire", schema: limit }],
          responses: responses({ code: "200", description: "The most recent interventions", schema: "ListResponse" }, ["400", "401", "429"]),
        },
        post: {
          operationId: "createIntervention",
          summary: "Create a manual intervention (status planned)",
          requestBody: { required: true, content: json("CreateRequest") },
          responses: responses({ code: "201", description: "Created", schema: "CreateResponse" }, ["400", "401", "404", "429"]),
        },
      },
      "/api/interventions/dry-run": {
        post: {
          operationId: "dryRunIntervention",
          summary: "What the decision engine would do for a user; persists nothing",
          requestBody: { required: true, content: json("DryRunRequest") },
          responses: responses({ code: "200", description: "The decision", schema: "DryRunResponse" }, ["400", "401", "429"]),
        },
      },
      "/api/interventions/{id}": {
        get: {
          operationId: "getIntervention",
          summary: "One intervention by id (extension of this server)",
          "x-retivo-extension": true,
          parameters: [idParameter],
          responses: responses({ code: "200", description: "The intervention", schema: "DetailedIntervention" }, ["400", "401", "404", "429"]),
        },
      },
      "/api/interventions/{id}/approve": {
        put: action("approveIntervention", "Approve (planned or paused → approved)", undefined, "StatusResponse", true, true),
      },
      "/api/interventions/{id}/pause": { put: action("pauseIntervention", "Pause (planned or approved → paused)", undefined, "StatusResponse") },
      "/api/interventions/{id}/reject": { put: action("rejectIntervention", "Reject with a reason (terminal)", "RejectRequest", "StatusResponse") },
      "/api/interventions/{id}/rollback": {
        put: action("rollbackIntervention", "Roll back a sent or delivered intervention", "RollbackRequest", "StatusResponse", false, true),
      },
      "/api/interventions/{id}/flag": {
        put: action("flagIntervention", "Flag for review (an approved, unsent one is paused)", "FlagRequest", "FlagResponse"),
      },
      "/api/openapi.json": {
        get: {
          operationId: "getOpenApiDocument",
          summary: "This document",
          security: [],
          responses: { "200": { description: "OpenAPI 3.1 document", content: { "application/json": { schema: { type: "object" } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An rt_live_… or rt_test_… key from RETIVO_API_KEYS" },
      },
      schemas: COMPONENTS,
    },
  };
}
