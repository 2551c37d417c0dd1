//! `InvokeResult::into_json` (outcome.rs) says what `to_json` says.
use super::*;

fn result(output: Option<Output>) -> InvokeResult {
    InvokeResult { success: true, output, ..InvokeResult::failed("id-1".into(), ErrorInfo::new(Code::Timeout, "x")) }
}

fn text(r: InvokeResult) -> (String, String) {
    let old = r.to_json();
    (old, String::from_utf8(r.into_json().as_bytes().to_vec()).unwrap())
}

#[test]
fn into_json_matches_to_json_for_every_kind_of_output() {
    let stdout = br#"{"success":true,"output":{"a":[1,"\u00e9"]},"logs":[]} trailing"#.to_vec();
    let start = stdout.iter().position(|&b| b == b':').unwrap() + 1 + "true,\"output\":".len();
    let end = start + r#"{"a":[1,"\u00e9"]}"#.len();
    let in_place = Output::Stdout { buf: stdout, start, end };
    let raw = Output::Raw(serde_json::value::RawValue::from_string("[1,2]".into()).unwrap());
    // An output too near the start of its buffer to write the head before it.
    let near = Output::Stdout { buf: b"\"s\"".to_vec(), start: 0, end: 3 };
    for output in [Some(in_place), Some(raw), Some(near), None] {
        let (old, new) = text(result(output));
        assert_eq!(old, new);
        serde_json::from_str::<serde_json::Value>(&new).unwrap();
    }
}
