import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  // .flashbak-tmp-*: scratch output of tests (the bundle test builds one) and interrupted runs
  { ignores: ["dist/**", "node_modules/**", "images/**/*.py", "coverage/**", ".flashbak-tmp-*/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // Plain JavaScript entry points run on Node.
    files: ["**/*.js"],
    languageOptions: { globals: { process: "readonly", URL: "readonly", console: "readonly" } },
  },
  {
    // bin/ is CommonJS (bin/package.json): an ES module entry loads Node's ES module loader
    files: ["bin/**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["firmware-sim/**/*.ts"],
    rules: {
      // The simulator core is host-independent: no console, no process, no real timers.
      "no-console": "error",
      "no-restricted-globals": ["error", "process", "setTimeout", "setInterval", "setImmediate"],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            "fs",
            "node:fs",
            "fs/promises",
            "node:fs/promises",
            "process",
            "node:process",
            "timers",
            "node:timers",
          ],
          patterns: ["node:timers/*"],
        },
      ],
    },
  },
);
