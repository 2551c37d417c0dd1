// Shared formatting for the report: numbers, labels, markdown tables, cell lookup.
import { cellKey } from './plan.mjs'

export const f = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—')
export const ratio = (a, b) => (a > 0 && b > 0 ? a / b : NaN)
export const LANG = { c: 'C echo', node: 'Node echo', python: 'Python echo', go: 'Go echo (cached)', gorun: 'Go echo via `go run`' }
export const IMPL = { ours: '@alyx/runtime', sbx: '@alyx/runtime, sandbox: true', cp: 'child_process', floor: 'floor (C harness)' }

/** An invoke cell; a cell with failed invocations reads as missing. */
export const get = (agg, o) => {
  const r = agg.get(cellKey({ kind: 'invoke', mb: undefined, ...o }))
  return r && !r.failures ? r : undefined
}
export const eldText = (r) => (r ? `${f(r.eldMax, 1)} / ${f(r.eldP99, 1)}${r.gcMax >= 1 ? ` (GC ${f(r.gcMax, 0)})` : ''}` : '—')

export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}
