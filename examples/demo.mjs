#!/usr/bin/env node
// `npm run demo`: runs every example function through the runtime and prints
// a table of function, runtime, outcome and time. Exits non-zero when an
// example does not do what it should — or, under CI=true, when a runtime is
// missing (locally a missing runtime is a loud row, not a failure).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FunctionRuntime } from "../index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const functionsDir = path.join(here, "functions");
// Deno and Bun come as dev dependencies; find them without a global install.
process.env.PATH = `${path.join(here, "..", "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`;

// A sensible input per example; anything unlisted gets { name: "World" }.
const INPUTS = {
  "validate-signup": { email: "not-an-email", password: "short" },
  todos: { method: "POST", title: "Try the demo" },
};
// Examples that exist to show a failure: the code they must fail with.
const EXPECTED_ERRORS = { "validate-signup": "VALIDATION_ERROR" };

const CI = process.env.CI === "true";
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = (t) => paint(32, t);
const red = (t) => paint(31, t);
const yellow = (t) => paint(33, t);

const rt = new FunctionRuntime({ functionsDir, timeoutMs: 120_000 });
const available = new Map((await rt.runtimes()).map((r) => [r.name, r]));

const rows = [];
const missing = new Map(); // runtime name → install hint
let failures = 0;
let notRun = 0;
for (const fn of rt.list()) {
  const runtime = available.get(fn.runtime);
  if (runtime && !runtime.available) {
    missing.set(runtime.name, runtime.installHint);
    notRun++;
    rows.push([fn.name, fn.runtime, (CI ? red : yellow)("!! MISSING RUNTIME !!"), "-"]);
    continue;
  }
  const res = await rt.invoke(fn.name, INPUTS[fn.name] ?? { name: "World" });
  const expected = EXPECTED_ERRORS[fn.name];
  const outcome = res.success ? "ok" : res.error.code;
  const asExpected = expected ? outcome === expected : res.success;
  if (!asExpected) failures++;
  const shown = asExpected ? green(expected ? `${outcome} (expected)` : outcome) : red(`${outcome}${expected ? ` (expected ${expected})` : ""}`);
  rows.push([fn.name, fn.runtime, shown, String(res.durationMs)]);
  if (!asExpected && !res.success) console.error(red(`${fn.name}: ${res.error.message}`));
}
for (const d of rt.diagnostics()) {
  failures++;
  rows.push([d.name, "?", red(`skipped: ${d.message}`), "-"]);
}
await rt.close();

printTable(["function", "runtime", "outcome", "time ms"], rows);
for (const [name, hint] of missing) console.log((CI ? red : yellow)(`\n!! runtime "${name}" is missing: ${hint}`));
if (CI) failures += notRun;
if (failures) console.log(red(`\n${failures} failure(s)${CI && missing.size ? " (under CI=true a missing runtime is a failure)" : ""}`));
else if (notRun) console.log(yellow(`\n${rows.length - notRun} examples behaved as expected; ${notRun} NOT RUN (missing runtime)`));
else console.log(green(`\nall ${rows.length} examples behaved as expected`));
process.exitCode = failures ? 1 : 0;

function printTable(header, rows) {
  // Pad by visible width: colour codes take no room on screen.
  const visible = (s) => s.replace(/\x1b\[\d+m/g, "").length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i]))));
  const line = (cells) => cells.map((c, i) => c + " ".repeat(widths[i] - visible(c))).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
}
