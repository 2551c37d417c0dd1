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

/// The stdout buffer as read: 64 KiB of room or more, `output` inside it.
fn stdout_with(output: &[u8], capacity: usize) -> Output {
    let mut buf = Vec::with_capacity(capacity);
    buf.extend_from_slice(br#"{"success":true,"output":"#);
    let start = buf.len();
    buf.extend_from_slice(output);
    let end = buf.len();
    buf.extend_from_slice(b"}");
    Output::Stdout { buf, start, end }
}

#[test]
fn a_small_output_leaves_its_read_buffer_behind_and_a_large_one_is_not_copied() {
    // Small: the result owns a buffer of its own size, so the 64 KiB read
    // buffer is freed where the result was made, not on the JS thread.
    let small = result(Some(stdout_with(br#"{"i":1}"#, 64 * 1024)));
    let json = small.into_json();
    assert!(json.buf.capacity() < 1024, "capacity {}", json.buf.capacity());
    assert!(json.as_bytes().starts_with(br#"{"output":{"i":1},"success":true"#));
    // Large: written around in place (the same allocation).
    let big = vec![b'1'; 200 * 1024];
    let out = stdout_with(&big, 256 * 1024);
    let Output::Stdout { buf, .. } = &out else { unreachable!() };
    let at = buf.as_ptr();
    let json = result(Some(out)).into_json();
    assert_eq!(json.buf.as_ptr(), at);
    assert_eq!(&json.as_bytes()[r#"{"output":"#.len()..][..big.len()], &big[..]);
}
