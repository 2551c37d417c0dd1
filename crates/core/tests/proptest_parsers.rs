//! Property tests for every parser that reads text a function or a user
//! wrote: the stdout response parser, the stderr log-line parser, the
//! manifest parser and the duration / memory-size parsers. Each must never
//! panic on any input and must keep its invariants. Case counts are fixed so
//! `cargo test` stays fast (the whole file runs in a few seconds).

use std::time::Duration;

use alyx_core::manifest::{parse_duration, parse_manifest, parse_memory_mb, MAX_MEMORY_MB};
use alyx_core::parse_stderr_line;
use alyx_core::parse_stdout;
use alyx_core::{LogLevel, LogSource};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrunk failures are printed; do not write regression files into the tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

// ---------- generators ----------

/// Any JSON value, nested a few levels, with strings that may hold newlines,
/// quotes, braces and non-ASCII.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Quarters are exact in binary, so they survive a text round trip.
        (-4_000_000i64..4_000_000).prop_map(|n| Value::from(n as f64 / 4.0)),
        "\\PC{0,10}".prop_map(Value::String),
        "[{}\\[\\]\"\n\r\t\\\\ a-z:,\u{0}-\u{1f}]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof!["[a-z_]{0,6}", "\\PC{0,4}"], inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object with a boolean `success`, plus arbitrary other members
/// (`output`, `error`, `logs` of any shape, and unknown keys).
fn response_object() -> impl Strategy<Value = Map<String, Value>> {
    (
        any::<bool>(),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        prop::collection::btree_map("[a-z_]{1,8}", json_value(), 0..4),
    )
        .prop_map(|(success, output, error, logs, extra)| {
            let mut obj = Map::new();
            for (k, v) in extra {
                obj.insert(k, v);
            }
            obj.insert("success".into(), Value::Bool(success));
            if let Some(o) = output {
                obj.insert("output".into(), o);
            }
            if let Some(e) = error {
                obj.insert("error".into(), e);
            }
            if let Some(l) = logs {
                obj.insert("logs".into(), l);
            }
            obj
        })
}

/// A stdout line that is not JSON (does not start with `{` once trimmed,
/// holds no line break) — what a chatty function prints before its response.
fn noise_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,.:;!?()\\[\\]\"'#=+-]{0,40}",
        "[^{\n\r\u{0b}\u{0c}\u{85}\u{2028}\u{2029}][^\n\r]{0,40}",
        Just(String::new()),
        Just("   ".to_string()),
        Just("[1,2,3]".to_string()),
        Just("null".to_string()),
        Just("\"success\": true".to_string()),
    ]
    .prop_filter("not JSON-object looking, no line break", |l| {
        !l.trim_start().starts_with('{') && !l.contains('\n') && !l.contains('\r')
    })
}

/// The expected response fields of `obj`, as the parser should see them.
fn check_response_matches(obj: &Map<String, Value>, parsed: &alyx_core::ParsedStdout, stdout: &[u8]) {
    let resp = parsed.response.as_ref().expect("a response");
    let success = obj["success"].as_bool().unwrap();
    assert_eq!(resp.success, success);
    if success {
        assert!(resp.error.is_none());
        match (obj.get("output"), &resp.output) {
            (Some(expected), Some(raw)) => {
                let got: Value = serde_json::from_str(raw.text(stdout)).unwrap();
                assert_eq!(&got, expected);
            }
            (None, None) => {}
            (Some(Value::Null), None) => {}
            (e, g) => panic!("output mismatch: expected {e:?}, got {g:?}"),
        }
    } else {
        let err = resp.error.as_ref().expect("success:false always yields an error");
        assert!(!err.code.is_empty());
        if let Some(Value::Object(e)) = obj.get("error") {
            if let Some(Value::String(code)) = e.get("code") {
                if !code.is_empty() {
                    assert_eq!(&err.code, code, "a function's own code passes through");
                }
            }
            if let Some(Value::String(message)) = e.get("message") {
                assert_eq!(&err.message, message);
            }
        }
    }
    for log in &resp.logs {
        assert_eq!(log.source, LogSource::Response);
    }
}

// ---------- parse_stdout ----------

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn stdout_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let parsed = parse_stdout(&bytes);
        if parsed.response.is_none() {
            prop_assert!(parsed.stdout_logs.is_empty(), "no response → no stdout logs");
        }
        for log in &parsed.stdout_logs {
            prop_assert_eq!(log.source, LogSource::Stdout);
            prop_assert_eq!(log.level, LogLevel::Info);
            prop_assert!(!log.message.trim().is_empty());
        }
    }

    #[test]
    fn stdout_arbitrary_text_never_panics(text in "(?s).{0,300}") {
        let parsed = parse_stdout(text.as_bytes());
        if parsed.response.is_none() {
            prop_assert!(parsed.stdout_logs.is_empty());
        }
    }

    /// Near-misses of a response: JSON fragments, truncations, wrong types.
    #[test]
    fn stdout_jsonish_fragments_never_panic(
        obj in response_object(),
        cut in any::<prop::sample::Index>(),
        junk in "[{}\\[\\]\":,0-9a-z \n]{0,20}",
    ) {
        let full = serde_json::to_string(&Value::Object(obj)).unwrap();
        let mut end = cut.index(full.len() + 1);
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        let text = format!("{}{}", &full[..end], junk);
        let _ = parse_stdout(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// Rule 1: the whole of stdout is one JSON object with a boolean `success`,
    /// compact or pretty-printed, with surrounding whitespace.
    #[test]
    fn stdout_lone_response_is_found(
        obj in response_object(),
        pretty in any::<bool>(),
        lead in "[ \t\n]{0,3}",
        trail in "[ \t\n]{0,3}",
    ) {
        let body = if pretty {
            serde_json::to_string_pretty(&Value::Object(obj.clone())).unwrap()
        } else {
            serde_json::to_string(&Value::Object(obj.clone())).unwrap()
        };
        let stdout = format!("{lead}{body}{trail}");
        let parsed = parse_stdout(stdout.as_bytes());
        check_response_matches(&obj, &parsed, stdout.as_bytes());
        prop_assert!(parsed.stdout_logs.is_empty());
    }

    /// Rule 2: the last non-empty line is the response; the non-empty lines
    /// before it become stdout logs, in order and verbatim.
    #[test]
    fn stdout_last_line_response_after_noise(
        obj in response_object(),
        noise in prop::collection::vec(noise_line(), 1..8),
        crlf in any::<bool>(),
        trailing_blank in 0usize..3,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let body = serde_json::to_string(&Value::Object(obj.clone())).unwrap();
        let mut text = String::new();
        for line in &noise {
            text.push_str(line);
            text.push_str(eol);
        }
        text.push_str(&body);
        for _ in 0..trailing_blank {
            text.push_str(eol);
            text.push_str("  ");
        }
        text.push_str(eol);
        let parsed = parse_stdout(text.as_bytes());
        check_response_matches(&obj, &parsed, text.as_bytes());
        let expected: Vec<&str> = noise.iter().map(String::as_str).filter(|l| !l.trim().is_empty()).collect();
        let got: Vec<&str> = parsed.stdout_logs.iter().map(|l| l.message.as_str()).collect();
        prop_assert_eq!(got, expected);
    }

    /// A response followed by a non-empty non-JSON line is not a response.
    #[test]
    fn stdout_response_not_last_is_no_response(
        obj in response_object(),
        tail in "[a-zA-Z][a-zA-Z0-9 ]{0,20}",
    ) {
        let body = serde_json::to_string(&Value::Object(obj)).unwrap();
        let parsed = parse_stdout(format!("{body}\n{tail}\n").as_bytes());
        prop_assert!(parsed.response.is_none());
        prop_assert!(parsed.stdout_logs.is_empty());
    }

    /// An object whose `success` is not a boolean is never a response.
    #[test]
    fn stdout_non_boolean_success_is_no_response(
        success in json_value().prop_filter("not a bool", |v| !v.is_boolean()),
        noise in prop::collection::vec(noise_line(), 0..3),
    ) {
        let body = serde_json::to_string(&serde_json::json!({ "success": success, "output": 1 })).unwrap();
        let text = format!("{}{}\n", noise.iter().map(|l| format!("{l}\n")).collect::<String>(), body);
        prop_assert!(parse_stdout(text.as_bytes()).response.is_none());
    }
}

// ---------- parse_stderr_line ----------

const LEVELS: &[(&str, LogLevel)] = &[
    ("debug", LogLevel::Debug),
    ("TRACE", LogLevel::Debug),
    ("info", LogLevel::Info),
    ("Info", LogLevel::Info),
    ("warn", LogLevel::Warn),
    ("WARNING", LogLevel::Warn),
    ("error", LogLevel::Error),
    ("fatal", LogLevel::Error),
    ("something-else", LogLevel::Info),
];

proptest! {
    #![proptest_config(config(800))]

    #[test]
    fn stderr_arbitrary_line_never_panics(line in any::<String>()) {
        let entry = parse_stderr_line(&line);
        prop_assert_eq!(entry.source, LogSource::Stderr);
        if !line.trim().starts_with('{') {
            prop_assert_eq!(&entry.message, &line, "a non-JSON line is kept verbatim");
            prop_assert_eq!(entry.level, LogLevel::Info);
            prop_assert!(entry.data.is_none());
            prop_assert!(entry.timestamp.is_none());
        }
    }

    #[test]
    fn stderr_jsonish_line_never_panics(line in "[ ]{0,2}\\{[{}\\[\\]\":,a-z0-9 \\\\]{0,60}") {
        let entry = parse_stderr_line(&line);
        prop_assert_eq!(entry.source, LogSource::Stderr);
    }

    /// Any JSON that is not an object with both `level` and `message` stays a
    /// plain line, message as written.
    #[test]
    fn stderr_json_without_level_and_message_is_plain(v in json_value()) {
        let is_log = v.as_object().is_some_and(|o| o.contains_key("level") && o.contains_key("message"));
        prop_assume!(!is_log);
        let line = serde_json::to_string(&v).unwrap();
        let entry = parse_stderr_line(&line);
        prop_assert_eq!(&entry.message, &line);
        prop_assert_eq!(entry.level, LogLevel::Info);
        prop_assert!(entry.data.is_none());
    }

    /// A structured line keeps level, message, timestamp, data and extras.
    #[test]
    fn stderr_structured_line_round_trips(
        level in prop::sample::select(LEVELS),
        message in any::<String>(),
        data in prop::option::of(prop::collection::btree_map("[a-z]{1,6}", json_value(), 0..4)),
        timestamp in prop::option::of("20[0-9]{2}-0[1-9]-1[0-9]T0[0-9]:00:00Z"),
        extra in prop::option::of(json_value()),
        pad in "[ \t]{0,2}",
    ) {
        let mut obj = Map::new();
        obj.insert("level".into(), Value::from(level.0));
        obj.insert("message".into(), Value::from(message.clone()));
        if let Some(d) = &data {
            obj.insert("data".into(), Value::Object(d.clone().into_iter().collect()));
        }
        if let Some(t) = &timestamp {
            obj.insert("timestamp".into(), Value::from(t.clone()));
        }
        if let Some(x) = &extra {
            obj.insert("zz_extra".into(), x.clone());
        }
        let line = format!("{pad}{}{pad}", serde_json::to_string(&Value::Object(obj)).unwrap());
        let entry = parse_stderr_line(&line);
        prop_assert_eq!(entry.level, level.1);
        prop_assert_eq!(&entry.message, &message);
        prop_assert_eq!(&entry.timestamp, &timestamp);
        let got = entry.data.unwrap_or_default();
        if let Some(d) = &data {
            for (k, v) in d {
                prop_assert_eq!(got.get(k), Some(v));
            }
        }
        if let Some(x) = &extra {
            prop_assert_eq!(got.get("zz_extra"), Some(x), "unknown fields are kept under data");
        }
    }
}

// ---------- parse_manifest ----------

/// A YAML-ish scalar: numbers, durations, booleans, quoted and plain strings,
/// `${VAR}`, YAML specials (`~`, `&a`, `*a`, `!!tag`, `|`).
fn yaml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,10}",
        "[0-9]{1,6}(ms|s|m|h|mb|gb|kb|)",
        "-?[0-9]{1,3}(\\.[0-9]{1,3})?",
        Just("true".to_string()),
        Just("~".to_string()),
        Just("null".to_string()),
        Just("\"\"".to_string()),
        Just("${HOME}".to_string()),
        Just("&anchor x".to_string()),
        Just("*anchor".to_string()),
        Just("!!str 5".to_string()),
        Just("|".to_string()),
        Just("0x1F".to_string()),
        Just("01234".to_string()),
        "\"[^\"\\\\\n]{0,12}\"",
        "'[^'\n]{0,12}'",
        "[A-Za-z /:@*,.#-]{0,16}",
    ]
}

const KEYS: &[&str] = &[
    "name",
    "runtime",
    "entry",
    "entrypoint",
    "description",
    "timeout",
    "memory",
    "env",
    "dependencies",
    "concurrency",
    "routes",
    "hooks",
    "schedules",
    "build",
    "path",
    "methods",
    "type",
    "source",
    "action",
    "mode",
    "verification",
    "header",
    "secret",
    "config",
    "expression",
    "timezone",
    "command",
    "args",
    "output",
    "watch",
    "input",
    "unknown_key",
];

/// A YAML-ish document of known and unknown keys, nested maps and lists,
/// sometimes with broken indentation.
fn yaml_doc() -> impl Strategy<Value = String> {
    #[derive(Clone, Debug)]
    enum N {
        Scalar(String),
        Map(Vec<(String, N)>),
        Seq(Vec<N>),
        Flow(String),
    }
    fn render(n: &N, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match n {
            N::Scalar(s) | N::Flow(s) => {
                out.push(' ');
                out.push_str(s);
                out.push('\n');
            }
            N::Map(entries) => {
                out.push('\n');
                for (k, v) in entries {
                    out.push_str(&pad);
                    out.push_str(k);
                    out.push(':');
                    render(v, indent + 2, out);
                }
            }
            N::Seq(items) => {
                out.push('\n');
                for v in items {
                    out.push_str(&pad);
                    out.push('-');
                    render(v, indent + 2, out);
                }
            }
        }
    }
    let key = prop_oneof![prop::sample::select(KEYS).prop_map(str::to_string), "[a-z]{1,5}"];
    let leaf = prop_oneof![
        4 => yaml_scalar().prop_map(N::Scalar),
        1 => Just(N::Flow("[GET, post]".into())),
        1 => Just(N::Flow("{a: 1, b: [x, y]}".into())),
        1 => Just(N::Flow("[".into())),
    ];
    let node = leaf.prop_recursive(3, 20, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(
                (prop_oneof![prop::sample::select(KEYS).prop_map(str::to_string), "[a-z]{1,5}"], inner.clone()),
                1..5
            )
            .prop_map(N::Map),
            prop::collection::vec(inner, 1..4).prop_map(N::Seq),
        ]
    });
    (prop::collection::vec((key, node), 0..8), any::<bool>(), "[ \t]{0,2}").prop_map(|(entries, with_name, junk)| {
        let mut out = String::new();
        if with_name {
            out.push_str("name: fn\n");
        }
        for (k, v) in entries {
            out.push_str(&k);
            out.push(':');
            render(&v, 2, &mut out);
        }
        out.push_str(&junk);
        out
    })
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn manifest_arbitrary_text_never_panics(text in any::<String>()) {
        if let Err(e) = parse_manifest(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn manifest_yaml_ish_documents_never_panic(doc in yaml_doc()) {
        match parse_manifest(&doc) {
            Ok(m) => {
                // A manifest that parses is valid: its name is set, its
                // timeout and memory (when present) have a value.
                prop_assert!(!m.name.trim().is_empty());
                if m.timeout.is_some() {
                    prop_assert!(m.timeout_ms().is_some_and(|ms| ms > 0), "{:?}", m.timeout);
                }
                if m.memory.is_some() {
                    prop_assert!(m.memory_mb().is_some_and(|mb| mb > 0), "{:?}", m.memory);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("manifest.yaml: "), "{}", e),
        }
    }

    /// Valid documents built from known-good fields parse, and keep what was written.
    #[test]
    fn manifest_valid_documents_parse(
        // `null` would be YAML null, i.e. no name.
        name in "[a-z][a-z0-9_-]{0,12}".prop_filter("not YAML null", |n| n != "null"),
        timeout_s in 1u64..100_000,
        memory in 1u64..65_536,
        env in prop::collection::btree_map("[A-Z][A-Z0-9_]{0,8}", "[a-zA-Z0-9/:._-]{0,16}", 0..4),
        methods in prop::collection::vec(prop::sample::select(&["GET", "post", "Put", "DELETE"][..]), 1..4),
        unknown in "[a-z]{3,8}",
    ) {
        let mut doc = format!("name: {name}\ntimeout: {timeout_s}s\nmemory: {memory}mb\n{unknown}_x: whatever\n");
        if !env.is_empty() {
            doc.push_str("env:\n");
            for (k, v) in &env {
                doc.push_str(&format!("  {k}: \"{v}\"\n"));
            }
        }
        doc.push_str(&format!("routes:\n  - path: /{name}\n    methods: [{}]\n", methods.join(", ")));
        let m = parse_manifest(&doc).map_err(|e| TestCaseError::fail(format!("{e}\n{doc}")))?;
        prop_assert_eq!(&m.name, &name);
        prop_assert_eq!(m.timeout_ms(), Some(timeout_s * 1000));
        prop_assert_eq!(m.memory_mb(), Some(memory));
        prop_assert_eq!(&m.env, &env);
        prop_assert_eq!(m.routes.len(), 1);
        let upper: Vec<String> = methods.iter().map(|s| s.to_uppercase()).collect();
        prop_assert_eq!(&m.routes[0].methods, &upper);
    }
}

// ---------- parse_duration / parse_memory_mb ----------

/// Upper-cases a random subset of a string's ASCII letters.
fn mixed_case(s: &str, mask: u64) -> String {
    s.chars().enumerate().map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c }).collect()
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn duration_arbitrary_text_never_panics(s in any::<String>()) {
        match parse_duration(&s) {
            Ok(d) => {
                prop_assert!(d > Duration::ZERO);
                prop_assert!(d.as_nanos() <= i64::MAX as u128);
            }
            Err(e) => prop_assert!(e.starts_with("invalid duration "), "{}", e),
        }
    }

    #[test]
    fn duration_unit_soup_never_panics(s in "[ 0-9.\\-+eEnuµμsmhSMH]{0,16}") {
        if let Ok(d) = parse_duration(&s) {
            prop_assert!(d > Duration::ZERO);
        }
    }

    #[test]
    fn memory_arbitrary_text_never_panics(s in any::<String>()) {
        match parse_memory_mb(&s) {
            Ok(mb) => prop_assert!(mb > 0 && mb <= MAX_MEMORY_MB),
            Err(e) => prop_assert!(e.starts_with("invalid memory size "), "{}", e),
        }
    }

    #[test]
    fn memory_unit_soup_never_panics(s in "[ 0-9.\\-+eEkmgtbiKMGTBI]{0,16}") {
        if let Ok(mb) = parse_memory_mb(&s) {
            prop_assert!(mb > 0);
        }
    }

    /// `{n}ns|us|ms|s|m|h` and bare `{n}` (seconds), any case, padded.
    #[test]
    fn duration_generated_forms_round_trip(
        n in 1u64..1_000_000,
        unit in prop::sample::select(&["", "ns", "us", "ms", "s", "m", "h"][..]),
        mask in any::<u64>(),
        pad_l in "[ \t]{0,2}",
        pad_r in "[ \t\n]{0,2}",
    ) {
        let nanos_per: u128 = match unit {
            "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "" | "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => unreachable!(),
        };
        let text = format!("{pad_l}{n}{}{pad_r}", mixed_case(unit, mask));
        let d = parse_duration(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(d.as_nanos(), n as u128 * nanos_per, "{:?}", text);
    }

    /// Chained segments add up: "1h30m5s".
    #[test]
    fn duration_chained_segments_add_up(h in 0u64..100, m in 0u64..100, s in 1u64..100, ms in 0u64..1000) {
        let text = format!("{h}h{m}m{s}s{ms}ms");
        let d = parse_duration(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(d, Duration::from_secs(h * 3600 + m * 60 + s) + Duration::from_millis(ms));
    }

    /// Fractions are exact, never floats: "{a}.{b}s".
    #[test]
    fn duration_fractions_are_exact(a in 0u64..10_000, b in 0u32..1000) {
        prop_assume!(a > 0 || b > 0);
        let text = format!("{a}.{b:03}s");
        let d = parse_duration(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(d, Duration::from_secs(a) + Duration::from_millis(b as u64));
    }

    /// Zero in any unit is refused as "must be greater than 0".
    #[test]
    fn duration_zero_is_refused(unit in prop::sample::select(&["", "ms", "s", "m", "h"][..]), zeros in 1usize..4) {
        let text = format!("{}{unit}", "0".repeat(zeros));
        let e = parse_duration(&text).unwrap_err();
        prop_assert!(e.ends_with("must be greater than 0"), "{}", e);
    }

    /// `{n}kb|mb|gb|tb` (and the short and `i` forms) and bare `{n}` (MB),
    /// any case, padded; kilobytes round up to whole MB.
    #[test]
    fn memory_generated_forms_round_trip(
        n in 1u64..1_000_000,
        unit in prop::sample::select(&["", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gi", "t", "tb"][..]),
        mask in any::<u64>(),
        pad_l in "[ \t]{0,2}",
        pad_r in "[ \t\n]{0,2}",
    ) {
        let expected = match unit.chars().next() {
            Some('k') => n.div_ceil(1024),
            None | Some('m') => n,
            Some('g') => n * 1024,
            Some('t') => n * 1024 * 1024,
            _ => unreachable!(),
        };
        let text = format!("{pad_l}{n}{}{pad_r}", mixed_case(unit, mask));
        if expected > MAX_MEMORY_MB {
            let e = parse_memory_mb(&text).unwrap_err();
            prop_assert!(e.ends_with("too large (at most 1 TiB)"), "{}", e);
        } else {
            let mb = parse_memory_mb(&text).map_err(TestCaseError::fail)?;
            prop_assert_eq!(mb, expected, "{:?}", text);
        }
    }

    /// Zero or negative sizes are refused as "must be greater than 0".
    #[test]
    fn memory_zero_or_negative_is_refused(n in 0u64..1000, unit in prop::sample::select(&["", "mb", "gb"][..])) {
        let e = parse_memory_mb(&format!("-{n}{unit}")).unwrap_err();
        prop_assert!(e.ends_with("must be greater than 0"), "{}", e);
        let e = parse_memory_mb(&format!("0{unit}")).unwrap_err();
        prop_assert!(e.ends_with("must be greater than 0"), "{}", e);
    }
}
