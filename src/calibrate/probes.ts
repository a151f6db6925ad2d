/**
 * The C probes: found beside the package, compiled once with the system's C
 * compiler, run one subcommand at a time.
 *
 * Like a thermometer that must be built on site: iosim ships the recipe
 * (`probes/iosim-probe.c`), and the machine's own compiler builds the
 * instrument, so it measures this kernel with this libc and nothing in
 * between. Node or Python would add their own overhead to every call.
 */
import {execFile} from "node:child_process";
import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import {InputError} from "../errors.js";

/** The probes' C source (`probes/iosim-probe.c` at the package root). */
export const probeSourcePath = fileURLToPath(new URL("../../../probes/iosim-probe.c", import.meta.url));

/** What to install when the compiler is missing or cannot build the probes. */
const installHint = "install gcc or clang (Debian/Ubuntu: apt install gcc libc6-dev; Fedora: dnf install gcc; Alpine: apk add build-base), or set CC";

/** Flags the probes are built with: optimised, warnings on, POSIX threads. */
const cflags = ["-O2", "-Wall", "-pthread"];

/** Returns `{status, stdout, stderr}` of *file args*, or the spawn error (ENOENT: no such program). */
function run(
  file: string,
  args: string[],
  options: {timeoutMs?: number; env?: NodeJS.ProcessEnv} = {},
): Promise<{status: number | null; signal: string | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException}> {
  return new Promise((resolve) => {
    execFile(file, args, {timeout: options.timeoutMs, maxBuffer: 16 << 20, encoding: "utf8", env: options.env}, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & {code?: string | number; signal?: string | null}) | null;
      // A spawn failure has a string code (ENOENT); an exit status is a number.
      if (err && typeof err.code === "string") resolve({status: null, signal: null, stdout, stderr, error: err});
      else resolve({status: err ? (typeof err.code === "number" ? err.code : null) : 0, signal: err?.signal ?? null, stdout, stderr});
    });
  });
}

/** Throws an {@link InputError} unless this is Linux: the probes measure Linux system calls. */
export function checkPlatform(platform: string = process.platform): void {
  if (platform !== "linux") throw new InputError("platform", platform, "Linux: iosim calibrate measures Linux system calls (sendfile, epoll, O_DIRECT); run it on the Linux machine to calibrate");
}

/**
 * Returns the path of the compiled probe program, building it with *cc*
 * (default `$CC`, else `cc`) into a per-user cache folder under the
 * temporary folder the first time; later calls reuse it until the source or
 * the compiler changes. A missing compiler, or one that cannot build the
 * probes, is an {@link InputError} saying what to install.
 */
export async function compileProbes(cc: string = process.env.CC || "cc"): Promise<string> {
  checkPlatform();
  const [compiler, ...ccArgs] = cc.trim().split(/\s+/);
  if (!compiler) throw new InputError("C compiler", JSON.stringify(cc), `a C compiler: ${installHint}`);
  const source = readFileSync(probeSourcePath);
  const hash = createHash("sha256").update(source).update(cc).update(cflags.join(" ")).digest("hex").slice(0, 16);
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const dir = join(tmpdir(), `iosim-probes-${uid}`, hash);
  const binary = join(dir, "iosim-probe");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, {recursive: true, mode: 0o700});
  // Built under a private name, then renamed: two calibrations at once never run a half-written program.
  const temp = `${binary}.${process.pid}.tmp`;
  const r = await run(compiler, [...ccArgs, ...cflags, "-o", temp, probeSourcePath, "-lm"], {timeoutMs: 120_000});
  if (r.error) {
    const why = r.error.code === "ENOENT" ? "not found" : r.error.code ?? r.error.message;
    throw new InputError("C compiler", `${cc} (${why})`, `a C compiler to build the probes: ${installHint}`);
  }
  if (r.status !== 0) {
    rmSync(temp, {force: true});
    const first = r.stderr.split("\n").find((l) => /error/i.test(l)) ?? r.stderr.split("\n")[0] ?? "";
    throw new InputError("C compiler", `${cc} (it failed: ${first.trim()})`, `a C compiler and C library headers that build ${probeSourcePath}: ${installHint}`);
  }
  renameSync(temp, binary);
  return binary;
}

/** One line of a probe's output: a quantity with the median of each run, or why it could not be measured. */
export interface ProbeLine {
  /** The probe (`memcpy`, `syscall`, ...). */
  probe: string;
  /** What was measured (`64MiB`, `null`, `select 100 fds`, ...). */
  case: string;
  /** Unit of the values: `ns`, `ns/call`, `bytes/ns`. */
  unit: string;
  /** The median of each run's samples (null: the run produced no finite number). */
  runs?: Array<number | null>;
  /** Samples taken over all runs. */
  samples?: number;
  /** Why the machine could not measure it (e.g. O_DIRECT on tmpfs). */
  unsupported?: string;
}

/** What a probe printed: its quantities, and facts about the machine (`info` lines) merged. */
export interface ProbeOutput {
  lines: ProbeLine[];
  info: Record<string, number | string>;
}

/** Settings every probe gets. */
export interface ProbeSettings {
  /** Runs per quantity. */
  runs: number;
  /** Sampling time per run, ms. */
  runMs: number;
  /** Folder of the temporary test file. */
  dir: string;
  /** Size of the test file, bytes. */
  fileBytes: number;
  /** Kill the probe after this long, ms. */
  timeoutMs: number;
}

/** Returns what probe *name* of *binary* measured; a probe that fails or overruns its time is an Error. */
export async function runProbe(binary: string, name: string, settings: ProbeSettings): Promise<ProbeOutput> {
  const args = [name, String(settings.runs), String(settings.runMs), settings.dir, String(settings.fileBytes)];
  const r = await run(binary, args, {timeoutMs: settings.timeoutMs});
  if (r.error) throw new Error(`probe ${name}: ${r.error.message}`);
  if (r.signal) throw new Error(`probe ${name} stopped by ${r.signal}${r.signal === "SIGTERM" ? ` after its ${settings.timeoutMs / 1000} s limit` : ""}`);
  if (r.status !== 0) throw new Error(`probe ${name} failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0] ?? ""}`);
  const out: ProbeOutput = {lines: [], info: {}};
  for (const text of r.stdout.split("\n")) {
    if (text.trim() === "") continue;
    let obj: ProbeLine | {info: Record<string, number | string>};
    try {
      obj = JSON.parse(text) as ProbeLine | {info: Record<string, number | string>};
    } catch {
      throw new Error(`probe ${name} printed a line that is not JSON: ${text.slice(0, 120)}`);
    }
    if ("info" in obj) Object.assign(out.info, obj.info);
    else out.lines.push(obj);
  }
  return out;
}
