// Lint: typescript-eslint's recommended rules, plus the project's hard rules:
// server code never writes to stdout (it carries JSON-RPC in stdio mode), and
// each room of src/ imports only what its role allows (the rooms below).
import tseslint from "typescript-eslint";

const SDK = { group: ["@modelcontextprotocol/sdk", "@modelcontextprotocol/sdk/**"], message: "only the MCP adapter (src/mcp/, src/tools/, src/transport/, src/guard/'s form channel) speaks MCP." };
const MCP = { group: ["**/mcp/**"], message: "the MCP adapter sits on top; nothing below it may depend on it." };
const TOOLS = { group: ["**/tools/**"], message: "tools are the top of the call; nothing below them may depend on them." };
const GUARD = { group: ["**/guard/**"], message: "the guard sits above the store and the backends." };
const BACKENDS = { group: ["**/backend/**"], message: "reach a backend through the InterventionsBackend interface the caller is given." };
const STORE = { group: ["**/store/**"], message: "this room does not touch storage." };
const TRANSPORT = { group: ["**/transport/**", "**/rest/**"], message: "transports and the REST server sit on top." };
// Outside src/store/, storage is the port (store/port.ts) opened by store/index.ts; engines and their SQL stay inside.
const ENGINES = {
  group: ["**/store/sqlite/**", "**/store/postgres/**", "**/store/ops/**", "**/store/sql.js", "**/store/store.js"],
  message: "outside src/store/, use the port: import from store/index.js or store/port.js.",
};

const STORE_ROOM = [SDK, MCP, TOOLS, GUARD, BACKENDS, TRANSPORT, { group: ["**/writer/**"], message: "the store keeps data; it does not write messages." }];

/** One room: which folders it covers and the import groups it may not use. */
const room = (files, ...patterns) => ({ files, rules: { "no-restricted-imports": ["error", { patterns }] } });

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/results/", "reports/", ".stryker-tmp/", ".scratch/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli.ts", "src/cli-*.ts"],
    rules: {
      "no-console": "error",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "stdout", message: "stdout belongs to JSON-RPC; log to stderr through the logger." },
      ],
    },
  },
  // The rooms, innermost first. Each lists what it may NOT import; a later block for the same file would replace it, so the folders do not overlap.
  room(["src/domain/**/*.ts", "src/api/**/*.ts", "src/text/**/*.ts"], SDK, MCP, TOOLS, GUARD, BACKENDS, STORE, TRANSPORT, { group: ["**/writer/**"], message: "domain knowledge depends on nothing above it." }),
  { ...room(["src/store/**/*.ts"], ...STORE_ROOM), ignores: ["src/store/ops/**"] },
  // The operations are written once for both engines, against sql.ts alone; the port lists them, so they never import it.
  room(["src/store/ops/**/*.ts"], ...STORE_ROOM, {
    group: ["**/port.js", "**/store.js", "**/index.js", "**/sqlite/**", "**/postgres/**"],
    message: "an operation sees only its transaction (sql.ts), the domain and its sibling operations.",
  }),
  room(["src/writer/**/*.ts"], SDK, MCP, TOOLS, GUARD, BACKENDS, STORE, TRANSPORT),
  room(["src/backend/**/*.ts"], SDK, MCP, TOOLS, GUARD, TRANSPORT, ENGINES),
  room(["src/guard/**/*.ts"], MCP, TOOLS, TRANSPORT, ENGINES, { group: ["**/backend/local/**", "**/backend/http*"], message: "the guard releases through the InterventionsBackend interface." }),
  room(["src/tools/**/*.ts"], MCP, TRANSPORT, ENGINES, { group: ["**/backend/local/**", "**/backend/http*", "**/backend/read-only*", "**/store/index.js"], message: "tools reach the backend through ToolDeps, never an engine or a concrete backend; storage types come from store/port.js." }),
  room(["src/mcp/**/*.ts"], TRANSPORT, ENGINES, { group: ["**/backend/local/**", "**/backend/http*"], message: "the MCP adapter reads through the backend's interface and its catalog capability." }),
  room(["src/transport/**/*.ts", "src/rest/**/*.ts"], ENGINES),
);
