/**
 * Output formats of `iosim run`: an aligned table for people, JSON and CSV
 * for programs. Nested objects (cpuShare) become dotted columns in CSV and
 * the table.
 */

/** Returns *obj* flattened to dotted keys: `{cpuShare: {irq: 0.1}}` → `{"cpuShare.irq": 0.1}`. */
export function flatten(obj: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

/** Returns one CSV field, quoted when needed (RFC 4180). */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Returns *rows* as CSV with a header line, columns in first-seen order. */
export function toCsv(rows: Array<Record<string, unknown>>): string {
  const flat = rows.map((r) => flatten(r));
  const columns: string[] = [];
  for (const r of flat) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const lines = [columns.map(csvField).join(",")];
  for (const r of flat) lines.push(columns.map((c) => csvField(r[c])).join(","));
  return lines.join("\n") + "\n";
}

function show(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(1) : String(Number(v.toPrecision(6)));
  return String(v);
}

/** Returns *obj* as aligned `key  value` lines. */
export function toTable(obj: Record<string, unknown>): string {
  const flat = flatten(obj);
  const width = Math.max(...Object.keys(flat).map((k) => k.length));
  return Object.entries(flat).map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`).join("\n") + "\n";
}
