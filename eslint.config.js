// Lint: typescript-eslint's recommended rules, plus the project's one hard rule:
// server code never writes to stdout (it carries JSON-RPC in stdio mode).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/results/", "reports/", ".stryker-tmp/"] },
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
);
