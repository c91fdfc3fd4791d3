/**
 * The contract cases against LocalBackend directly, on a temp SQLite file,
 * serving the 'test' data set with simulated deliveries as the REST server does.
 */
import { join } from "node:path";
import { defineContractCases } from "./cases.js";
import { localContractHarness } from "./harness.js";

defineContractCases("LocalBackend", () => localContractHarness((dir) => ({ RETIVO_DB: join(dir, "local.db") })));
