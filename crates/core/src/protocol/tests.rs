//! Tests of the response rules (protocol.rs).
use super::*;

fn parse(s: &str) -> ParsedStdout {
    parse_stdout(s.as_bytes())
}

#[test]
fn whole_stdout_is_the_response_even_when_pretty_printed() {
    let text = "{\n  \"success\": true,\n  \"output\": {\"b\": 1, \"a\": [1,2]}\n}\n";
    let p = parse(text);
    let r = p.response.unwrap();
    assert!(r.success);
    let out = r.output.unwrap();
    assert!(matches!(out, OutputAt::Range(..)), "the whole-stdout output is not copied");
    assert_eq!(out.text(text.as_bytes()), "{\"b\": 1, \"a\": [1,2]}");
    assert!(p.stdout_logs.is_empty());
}

#[test]
fn last_line_is_the_response_and_earlier_lines_are_logs() {
    let p = parse("debug one\n\nsecond\n{\"success\":true,\"output\":42}\n\n");
    assert_eq!(p.response.unwrap().output.unwrap().text(b""), "42");
    let msgs: Vec<_> = p.stdout_logs.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs, ["debug one", "second"]);
    assert!(p.stdout_logs.iter().all(|l| l.source == LogSource::Stdout));
}

#[test]
fn no_response_cases() {
    for s in [
        "",
        "   \n",
        "hello",
        "{\"success\":\"yes\"}",
        "[{\"success\":true}]",
        "{\"output\":1}",
        "{\"success\":true}\ntrailing",
        "{\"success\":tr",
    ] {
        assert!(parse(s).response.is_none(), "{s:?}");
    }
}

fn nested(levels: usize) -> String {
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

#[test]
fn details_and_log_data_nested_a_thousand_levels_keep_the_response() {
    // `details` and `data` are objects: {"d": …} plus 999 levels = 1,000.
    let deep = nested(MAX_DEPTH - 1);
    let text = format!(
        r#"{{"success":false,"error":{{"code":"E","message":"m","details":{{"d":{deep}}}}},"logs":[{{"level":"info","message":"x","data":{{"d":{deep}}}}}]}}"#
    );
    let p = parse(&text);
    let r = p.response.expect("a 1,000-level response is kept");
    assert_eq!(r.error.unwrap().code, "E");
    assert!(r.logs[0].data.is_some());
    let out = format!(r#"{{"success":true,"output":{}}}"#, nested(MAX_DEPTH));
    assert!(parse(&out).response.is_some());
}

#[test]
fn deeper_than_the_limit_is_rejected_as_too_deep() {
    let text = format!(r#"{{"success":true,"output":{}}}"#, nested(MAX_DEPTH + 10));
    let p = parse(&text);
    assert!(p.response.is_none());
    assert_eq!(p.rejection, Some(Rejection::TooDeep));
    // A million levels must not overflow the stack either.
    assert_eq!(parse(&nested(1_000_000)).rejection, Some(Rejection::NotJson));
    let huge = format!(r#"{{"success":true,"output":{}}}"#, nested(1_000_000));
    assert_eq!(parse(&huge).rejection, Some(Rejection::TooDeep));
}

#[test]
fn nesting_depth_skips_brackets_inside_strings() {
    assert_eq!(nesting_depth(br#"{"a":"[[[{{\"]]","b":[1]}"#), 2);
    assert_eq!(nesting_depth(b"1"), 0);
}

#[test]
fn rejection_says_which_rule_failed() {
    assert_eq!(parse("").rejection, Some(Rejection::Empty));
    assert_eq!(parse(" \n\n").rejection, Some(Rejection::Empty));
    assert_eq!(parse("hello").rejection, Some(Rejection::NotJson));
    assert_eq!(parse("{\"success\":tr").rejection, Some(Rejection::NotJson));
    assert_eq!(parse("{\"output\":1}").rejection, Some(Rejection::NoSuccess));
    assert_eq!(parse("log\n{\"success\":\"yes\"}").rejection, Some(Rejection::NoSuccess));
    assert!(Rejection::NoSuccess.describe().contains("boolean `success`"));
    assert!(parse("{\"success\":true}").rejection.is_none());
}

#[test]
fn a_byte_order_mark_before_the_response_is_ignored() {
    let text = "\u{feff}{\"success\":true,\"output\":{\"a\":1}}";
    let r = parse(text).response.expect("BOM ignored");
    assert_eq!(r.output.unwrap().text(text.as_bytes()), "{\"a\":1}");
    let line = "log\n\u{feff}{\"success\":true,\"output\":2}";
    assert_eq!(parse(line).response.unwrap().output.unwrap().text(b""), "2");
}

#[test]
fn function_error_is_kept_with_code_and_details() {
    let p = parse(r#"{"success":false,"error":{"code":"VALIDATION_ERROR","message":"bad","details":{"field":"x"}}}"#);
    let e = p.response.unwrap().error.unwrap();
    assert_eq!(e.code, "VALIDATION_ERROR");
    assert_eq!(e.message, "bad");
    assert_eq!(e.details.unwrap()["field"], "x");
}

#[test]
fn loose_errors_still_produce_a_code() {
    let e = parse(r#"{"success":false,"error":"nope"}"#).response.unwrap().error.unwrap();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("FUNCTION_ERROR", "nope"));
    let e = parse(r#"{"success":false}"#).response.unwrap().error.unwrap();
    assert_eq!(e.code, "FUNCTION_ERROR");
}

#[test]
fn response_logs_are_parsed() {
    let p = parse(r#"{"success":true,"output":null,"logs":[{"level":"warn","message":"w","data":{"k":1}},"plain",7]}"#);
    let logs = p.response.unwrap().logs;
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].level, LogLevel::Warn);
    assert_eq!(logs[0].source, LogSource::Response);
    assert_eq!(logs[1].message, "plain");
}

#[test]
fn request_has_function_alias_and_context() {
    let input = b"{\"name\":\"W\"}";
    let env = Map::from_iter([("K".to_string(), Value::from("v"))]);
    let req = Request {
        request_id: "r1",
        function_name: "hello",
        function: "hello",
        context: Context { auth: None, env: &env, alyx_url: "http://x", internal_token: "t", deadline_ms: 5 },
    };
    let v: Value = serde_json::from_slice(&req.to_bytes(input)).unwrap();
    assert_eq!(v["function"], "hello");
    assert_eq!(v["function_name"], "hello");
    assert_eq!(v["input"]["name"], "W");
    assert_eq!(v["context"]["auth"], Value::Null);
    assert_eq!(v["context"]["env"]["K"], "v");
    assert_eq!(v["context"]["deadline_ms"], 5);
}

/// The byte-by-byte scan `nesting_depth` replaced: the reference it must agree with.
fn nesting_depth_bytewise(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

proptest::proptest! {
    #[test]
    fn nesting_depth_agrees_with_a_bytewise_scan(text in proptest::collection::vec(
        proptest::sample::select(b"[]{}\"\\ax".to_vec()), 0..200)) {
        proptest::prop_assert_eq!(nesting_depth(&text), nesting_depth_bytewise(&text));
    }
}

#[test]
fn nesting_depth_of_a_trailing_escape_or_open_string() {
    assert_eq!(nesting_depth(br#"["a\"#), 1);
    assert_eq!(nesting_depth(br#"[["abc"#), 2);
    assert_eq!(nesting_depth(br#"[["a\\"],[[]]]"#), 3);
}

#[test]
fn a_large_response_reads_the_same_through_the_fast_scan() {
    let big = "y".repeat(span::FAST_FROM);
    let text = format!("\u{FEFF}{{\"success\":false,\"output\":[\"{big}\"],\"error\":{{\"code\":\"E\",\"message\":\"m\"}},\"logs\":[{{\"message\":\"hi\"}}]}}\n");
    let r = parse(&text).response.unwrap();
    assert!(!r.success);
    assert_eq!(r.output.unwrap().text(text.as_bytes()), format!("[\"{big}\"]"));
    assert_eq!((r.error.unwrap().code, r.logs.len()), ("E".to_string(), 1));
    let null = format!("{{\"success\":true,\"output\":null,\"pad\":\"{big}\"}}");
    assert!(parse(&null).response.unwrap().output.is_none());
    let no_success = format!("{{\"output\":\"{big}\"}}");
    assert_eq!(parse(&no_success).rejection, Some(Rejection::NoSuccess));
    let control = format!("{{\"success\":true,\"output\":\"{big}\u{1}\"}}");
    assert_eq!(parse(&control).rejection, Some(Rejection::NotJson));
    let deep = format!(
        "{{\"success\":true,\"output\":{}\"{big}\"{}}}",
        "[".repeat(MAX_DEPTH + ENVELOPE_DEPTH),
        "]".repeat(MAX_DEPTH + ENVELOPE_DEPTH)
    );
    assert_eq!(parse(&deep).rejection, Some(Rejection::TooDeep));
}
