/**
 * Scenarios and studies written by the user, in TypeScript (or JavaScript),
 * loaded at run time: `iosim run ./my-scenario.ts`, `iosim report --study
 * ./my-study.ts`.
 *
 * A `.ts` file is first type-checked with the TypeScript compiler (the
 * project's own rules: ES modules, NodeNext resolution, strict), so a type
 * error is one line naming the file, line and column, as the CLI prints
 * every bad input (exit 2). It is then loaded through ts-node's ESM loader
 * in transpile-only mode (the check is done). ts-node's own type errors do
 * not survive the trip back from Node 20's off-thread loader (they arrive
 * as an empty object), hence the separate check.
 *
 * The file imports iosim like any package (`import {Host} from "iosim"`),
 * so it lives in this repository (`examples/`) or in a project that has
 * iosim installed. In a folder whose package.json does not say
 * `"type": "module"`, name it `.mts`.
 */
import {existsSync} from "node:fs";
import {createRequire, register} from "node:module";
import {dirname, relative, resolve} from "node:path";
import {pathToFileURL} from "node:url";
import {InputError} from "../errors.js";
import {checkParamSpecs} from "../params/ParamSpec.js";
import type {Scenario} from "../scenarios/scenario.js";
import type {StudyEntry} from "../studies/index.js";
import type {StudyResult} from "../studies/study.js";

/** Whether a scenario or study argument names a file rather than a built-in. */
export function isUserFile(name: string): boolean {
  return /\.(m|c)?(ts|js)$/.test(name) || name.startsWith("./") || name.startsWith("../") || name.startsWith("/");
}

/** An error in the user's file: one line, exit 2, like every bad input. */
export class UserFileError extends InputError {
  constructor(param: string, file: string, detail: string) {
    super(param, file, detail);
    this.message = `${param} ${file}: ${detail}`;
    this.name = "UserFileError";
  }
}

let tsLoaderRegistered = false;

/**
 * Returns the folder holding Node's type definitions as iosim itself
 * resolves them (`…/node_modules/@types`), so a file checked from any
 * working folder sees them; undefined when they are not installed.
 */
function nodeTypeRoots(): string[] | undefined {
  try {
    return [dirname(dirname(createRequire(import.meta.url).resolve("@types/node/package.json")))];
  } catch {
    return undefined;
  }
}

/** Type-checks *file* (absolute) and throws a {@link UserFileError} naming the first error's line. */
async function typeCheck(param: string, file: string, shown: string): Promise<void> {
  const ts = (await import("typescript")).default;
  const typeRoots = nodeTypeRoots();
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    // Node's types from where iosim finds them, not from the working folder (which may have none).
    ...(typeRoots ? {typeRoots, types: ["node"]} : {types: []}),
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length === 0) return;
  const d = diagnostics[0];
  const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
  let where = shown;
  if (d.file && d.start !== undefined) {
    const {line, character} = d.file.getLineAndCharacterOfPosition(d.start);
    where = `${relative(process.cwd(), d.file.fileName) || d.file.fileName}:${line + 1}:${character + 1}`;
  }
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
  throw new UserFileError(param, shown, `type error at ${where}: ${text} (TS${d.code})${more}`);
}

/** Imports the user's *path* (relative to the current folder) after checking it; returns its exports. */
async function importUserFile(param: string, path: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserFileError(param, path, "no such file");
  if (/\.(m|c)?ts$/.test(file)) {
    await typeCheck(param, file, path);
    if (!tsLoaderRegistered) {
      // The check is done: the loader only strips types. Resolved from iosim's own node_modules.
      process.env.TS_NODE_TRANSPILE_ONLY = "true";
      // ES modules whatever folder it runs from: without a tsconfig.json up the tree, ts-node's defaults for
      // Node 20 pair module NodeNext with the old resolution, which TypeScript refuses (TS5109).
      process.env.TS_NODE_COMPILER_OPTIONS ??= JSON.stringify({module: "NodeNext", moduleResolution: "NodeNext"});
      register("ts-node/esm", import.meta.url);
      tsLoaderRegistered = true;
    }
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const detail = err instanceof Error && err.message ? err.message.split("\n")[0] : "it could not be loaded (run it with node to see why)";
    throw new UserFileError(param, path, `failed to load: ${detail}`);
  }
}

/**
 * Returns the scenario exported by *path*: `export default` or `export
 * const scenario`, an object with `name`, `description`, `params` and
 * `run` (see {@link Scenario}); `estimateEvents` and `sizeParams` are
 * optional (without them `--max-events` stops the run, but no estimate
 * refuses it up front).
 */
export async function loadUserScenario(path: string): Promise<Scenario> {
  const mod = await importUserFile("scenario", path);
  const s = (mod.scenario ?? mod.default) as Partial<Scenario> | undefined;
  const missing = s && typeof s === "object" ? (["name", "description", "params", "run"] as const).filter((k) => s[k] === undefined) : [];
  if (!s || typeof s !== "object" || missing.length > 0)
    throw new UserFileError(
      "scenario",
      path,
      s && typeof s === "object"
        ? `its scenario has no ${missing.join(", ")}; expected {name, description, params, run}`
        : "no `export default` or `export const scenario`; expected a scenario object {name, description, params, run}",
    );
  if (typeof s.run !== "function" || !Array.isArray(s.params)) throw new UserFileError("scenario", path, "expected run to be a function and params an array");
  // Its parameter declarations, checked as the built-in ones are: each field, no name twice, every default valid.
  try {
    checkParamSpecs(s.params);
  } catch (err) {
    if (err instanceof InputError) throw new UserFileError("scenario", path, `its parameters: ${err.message}`);
    throw err;
  }
  return s as Scenario;
}

/**
 * Returns the study exported by *path* as the report runs it: `export
 * default` or `export const study`, either a function from parameters to a
 * {@link StudyResult} or an entry `{id, title, run}`.
 */
export async function loadUserStudy(path: string): Promise<StudyEntry> {
  const mod = await importUserFile("--study", path);
  const s = (mod.study ?? mod.default) as StudyEntry | ((params?: Record<string, unknown>) => StudyResult) | undefined;
  if (typeof s === "function") {
    // The report needs the id and title before it runs the study: run it once and keep that result for the default run.
    const first = s();
    checkStudyResult(path, first);
    return {id: first.id, title: first.title, run: (params) => (params && Object.keys(params).length > 0 ? s(params) : first)};
  }
  if (s && typeof s === "object" && typeof s.run === "function" && typeof s.id === "string" && typeof s.title === "string") return s;
  throw new UserFileError("--study", path, "no `export default` or `export const study`; expected a function returning {id, title, question, params, tables, charts, notes}, or {id, title, run}");
}

function checkStudyResult(path: string, r: unknown): asserts r is StudyResult {
  const o = r as Partial<StudyResult> | null;
  const missing = o && typeof o === "object" ? (["id", "title", "question", "params", "tables", "charts", "notes"] as const).filter((k) => o[k] === undefined) : ["a result"];
  if (missing.length > 0) throw new UserFileError("--study", path, `its study returned no ${missing.join(", ")}; expected {id, title, question, params, tables, charts, notes}`);
}
