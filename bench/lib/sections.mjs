// The sections of BENCHMARKS.md that one script owns (bench/http.mjs,
// bench/sandbox.mjs, bench/warm.mjs) or that are written by hand (the
// invocation pipeline's), each between its own markers; a full
// `npm run bench` keeps them as they are (bench/run.mjs).
import fs from 'node:fs'

/** The start and end markers of section `name`. */
export const markers = (name) => [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`]

/** Section `name` of `text`, markers included; '' when it has none. */
export function sectionOf(text, name) {
  const [start, end] = markers(name)
  const at = text.indexOf(start)
  return at < 0 ? '' : text.slice(at, text.indexOf(end) + end.length)
}

/** Replaces section `name` of `file` with `md` (markers included), or appends it. */
export function writeSection(file, name, md) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  const current = sectionOf(old, name)
  fs.writeFileSync(file, current ? old.replace(current, () => md) : `${old.trimEnd()}\n\n${md}\n`)
}
