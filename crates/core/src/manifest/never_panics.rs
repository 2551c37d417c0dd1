//! Random manifests built from valid and hostile pieces: parsing returns
//! an error, never panics.

use super::*;

/// xorshift64: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn never_panics() {
    let atoms = [
        "0",
        "1",
        "9",
        ".",
        "-",
        "+",
        " ",
        "s",
        "m",
        "h",
        "ms",
        "µs",
        "kb",
        "gb",
        "e",
        "x",
        "€",
        "🦀",
        "\t",
        "99999999999999999999999",
        "1.5",
        "${",
        "}",
        "$",
        "_",
    ];
    let lines = [
        "name: f",
        "name:",
        "timeout: ",
        "memory: ",
        "routes:",
        "  - path: /a",
        "    methods: [",
        "GET]",
        "hooks:",
        "  - type: webhook",
        "    verification: {type: hmac-sha1",
        "schedules:",
        "  - {name: n, type: one_time, expression: ",
        "build: {command: c, output: o}",
        "env:",
        "  A: &a [*a]",
        "<<: *x",
        "? [a]\n: b",
        "---",
        "'",
        "\"\\u",
        "!!binary x",
        "- ",
        ":",
        "{",
        "&x [*x, *x]",
        "timezone: ",
        "    config: {timeout: ",
        "concurrency: ",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let mut word = String::new();
        for _ in 0..rng.next() % 8 {
            word.push_str(rng.pick(&atoms));
        }
        let _ = parse_duration(&word);
        let _ = parse_memory_mb(&word);
        let _ = expand_vars(&word, &|_| Some("v".into()));
        let _ = parse_manifest(&word);
        let mut doc = String::new();
        for _ in 0..rng.next() % 10 {
            doc.push_str(rng.pick(&lines));
            if rng.next().is_multiple_of(3) {
                doc.push_str(&word);
            }
            doc.push('\n');
        }
        if let Result::Ok(m) = parse_manifest(&doc) {
            let _ = (m.timeout_ms(), m.memory_mb(), serde_json::to_string(&m));
        }
    }
}
