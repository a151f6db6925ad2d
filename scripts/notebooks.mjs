// Executes the notebooks headless on the tslab kernel and writes
// reports/notebooks/<name>.html. `npm run notebooks` builds first (the
// notebooks import ../dist/src/index.js), then runs this script.
//
//   node scripts/notebooks.mjs                   every notebooks/*.ipynb
//   node scripts/notebooks.mjs 01-dma            a subset, by name (with or without .ipynb)
//   node scripts/notebooks.mjs path/to/x.ipynb   a notebook elsewhere (the tests' fixtures)
//
// Every run executes a copy with its outputs cleared; the .ipynb is never written.
//
// Options: --timeout <s> per cell (default 300), --out <dir> (default reports/notebooks).
//
// The tslab kernelspec is registered inside the repository (.jupyter/), so
// nothing is installed globally; Jupyter finds it through JUPYTER_PATH. A
// small nbclient runner executes each notebook with Debian's /usr/bin/python3
// (the first python3 on PATH may have no Jupyter). tslab reports a failing
// cell only as stderr text (the error reply just says "<Error>:"), so on
// failure the runner prints that stderr text, the cell's number and source,
// and this script exits non-zero.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readdirSync} from "node:fs";
import {basename, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const python = process.env.IOSIM_PYTHON ?? "/usr/bin/python3";

/** The runner: executes one notebook with nbclient and exports HTML with nbconvert. */
const runner = String.raw`
import os, re, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbconvert import HTMLExporter

src, out_html, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
# Execute a clean copy: outputs saved in the .ipynb by an earlier run must never reach the HTML
# (nbclient clears only the cells it executes; an empty or skipped cell would keep stale output).
for cell in nb.cells:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
# record_timing=False keeps wall-clock timestamps out of the output: same notebook, same HTML.
client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", record_timing=False,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
failed = None
try:
    client.execute()
except (CellExecutionError, DeadKernelError, TimeoutError) as err:
    failed = err
except Exception as err:  # e.g. the kernel failed to start
    failed = err

def write_html():
    body, _ = HTMLExporter().from_notebook_node(nb)
    # Debian's nbconvert links require.js and MathJax from file:///usr/share/javascript: paths that exist
    # only on a machine with those packages. The notebooks use neither (charts are inline SVG), so drop
    # the links and the page opens the same anywhere.
    body = re.sub(r'<script src="file:///[^"]*">\s*</script>', "", body)
    tmp = out_html + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(tmp, out_html)

if failed is None:
    write_html()
    sys.exit(0)

# Find the failing cell: one with an error output, else the last code cell that ran
# (tslab puts its error text on stderr and sends no error output).
bad = None
for i, cell in enumerate(nb.cells):
    if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        bad = (i, cell)
        break
if bad is None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            bad = (i, cell)
sys.stderr.write("notebook failed: %s\n" % src)
if bad is not None:
    i, cell = bad
    sys.stderr.write("cell %d:\n" % (i + 1))
    for line in cell.source.splitlines()[:12]:
        sys.stderr.write("  | %s\n" % line)
    stderr_text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if stderr_text.strip():
        sys.stderr.write("kernel error (stderr):\n%s\n" % stderr_text.rstrip())
    for o in errors:
        if o.get("evalue") or o.get("traceback"):
            sys.stderr.write("%s: %s\n" % (o.get("ename", ""), o.get("evalue", "")))
    if not stderr_text.strip() and not errors:
        sys.stderr.write("%s\n" % failed)
else:
    sys.stderr.write("%s\n" % failed)
try:
    write_html()  # the partial notebook helps to see where it stopped
except Exception:
    pass
sys.exit(1)
`;

/** Returns the arguments after removing --timeout/--out and their values. */
function parseArgs(argv) {
  const names = [];
  let timeoutS = 300;
  let outDir = join(root, "reports", "notebooks");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--timeout") timeoutS = Number(argv[++i]);
    else if (argv[i] === "--out") outDir = resolve(argv[++i]);
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log("usage: node scripts/notebooks.mjs [--timeout SECONDS] [--out DIR] [NAME...]");
      process.exit(0);
    } else names.push(argv[i]);
  }
  if (!(Number.isFinite(timeoutS) && timeoutS > 0)) {
    console.error(`invalid --timeout: expected a number of seconds > 0`);
    process.exit(2);
  }
  return {names, timeoutS, outDir};
}

const {names, timeoutS, outDir} = parseArgs(process.argv.slice(2));
const notebooksDir = join(root, "notebooks");
const all = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();
/** Paths of the notebooks to run: names from notebooks/, or paths to .ipynb files that exist. */
let selected = all.map((f) => join(notebooksDir, f));
if (names.length) {
  const isPath = (n) => n.endsWith(".ipynb") && n.includes("/") && existsSync(resolve(n));
  const unknown = names.filter((n) => !isPath(n) && !all.includes(basename(n).replace(/\.ipynb$/, "") + ".ipynb"));
  if (unknown.length) {
    console.error(`unknown notebook: ${unknown.join(", ")}; expected one of ${all.join(", ")} or a path to an .ipynb file`);
    process.exit(2);
  }
  selected = names.map((n) => (isPath(n) ? resolve(n) : join(notebooksDir, basename(n).replace(/\.ipynb$/, "") + ".ipynb")));
}

if (!existsSync(python)) {
  console.error(`${python} not found: install Jupyter with apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel (or set IOSIM_PYTHON)`);
  process.exit(2);
}
const check = spawnSync(python, ["-c", "import nbclient, nbconvert, nbformat"], {encoding: "utf8"});
if (check.status !== 0) {
  console.error(`${python} cannot import nbclient/nbconvert: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel\n${check.stderr}`);
  process.exit(2);
}
if (!existsSync(join(root, "dist", "src", "index.js"))) {
  console.error("dist/src/index.js is missing: run npm run build first (npm run notebooks does)");
  process.exit(2);
}

// Register the tslab kernelspec inside the repository (idempotent).
const tslab = join(root, "node_modules", ".bin", "tslab");
const install = spawnSync(tslab, ["install", `--python=${python}`, `--binary=${tslab}`, `--prefix=${join(root, ".jupyter")}`], {cwd: root, encoding: "utf8"});
if (install.status !== 0) {
  console.error(`tslab install failed:\n${install.stdout}${install.stderr}`);
  process.exit(1);
}

mkdirSync(outDir, {recursive: true});
const env = {...process.env, JUPYTER_PATH: join(root, ".jupyter", "share", "jupyter")};
let failures = 0;
for (const path of selected) {
  const file = basename(path);
  const name = file.replace(/\.ipynb$/, "");
  const out = join(outDir, `${name}.html`);
  const t0 = performance.now();
  const r = spawnSync(python, ["-c", runner, path, out, String(timeoutS)], {cwd: root, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024});
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status === 0) {
    console.log(`ok   ${file} → ${out} (${seconds} s)`);
  } else {
    failures++;
    console.error(`FAIL ${file} (${seconds} s)\n${r.stderr || r.stdout || `exit ${r.status}${r.error ? ` ${r.error.message}` : ""}`}`);
  }
}
process.exit(failures ? 1 : 0);
