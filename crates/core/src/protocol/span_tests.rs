use super::*;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

/// What serde makes of `doc`: `None` if it rejects it, else the `output`
/// text it would keep (`null` reads as none, as in `RawResponse`).
fn serde_output(doc: &[u8]) -> Option<Option<String>> {
    #[derive(Deserialize)]
    struct Doc<'a> {
        #[serde(default, borrow)]
        output: Option<&'a RawValue>,
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(doc).ok()?;
    let parsed: Doc = serde_json::from_slice(doc).ok()?;
    Some(parsed.output.map(|raw| raw.get().to_string()))
}

fn text_of(doc: &[u8], span: Option<(usize, usize)>) -> Option<String> {
    let (start, end) = span?;
    let text = std::str::from_utf8(&doc[start..end]).unwrap().to_string();
    (text != "null").then_some(text)
}

#[test]
fn a_long_string_output_is_found_and_the_envelope_around_it_kept() {
    let big = "x".repeat(3 * STEP + 17);
    let doc = format!(
        r#" {{"success": true, "logs": [1, -2.5e+3, {{"a": [null, false]}}], "output" : {{"data":"{big}","n":0.25}} }}"#
    );
    let span = output_span(doc.as_bytes(), 1000).expect("valid").expect("has output");
    assert_eq!(&doc[span.0..span.1], format!(r#"{{"data":"{big}","n":0.25}}"#));
    assert_eq!(output_span(br#"{"success":true}"#, 1000), Some(None));
    assert_eq!(output_span(br#"{}"#, 1000), Some(None));
    assert!(output_span(br#"{"output":[[[1]]]}"#, 4).is_some(), "four levels are allowed");
}

#[test]
fn escapes_are_skipped_and_checked() {
    let doc = br#"{"output":"a\"b\\c\/\b\f\n\r\t\u00e9\uD83D\uDE00 end"}"#;
    assert_eq!(text_of(doc, output_span(doc, 1000).unwrap()), serde_output(doc).unwrap());
    for bad in [&br#"{"output":"\x"}"#[..], br#"{"output":"\u12G4"}"#, br#"{"output":"\u12"}"#] {
        assert_eq!(output_span(bad, 1000), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn anything_unsure_goes_to_serde() {
    let cases: &[&[u8]] = &[
        b"{\"output\":\"a\x01b\"}",    // a raw control character
        br#"{"output":1,"output":2}"#, // a second output
        br#"{"outp\u0075t":1}"#,       // an escaped key
        br#"{"output":01}"#,           // a leading zero
        br#"{"output":1.}"#,           // no fraction digits
        br#"{"output":-}"#,            // no digits
        br#"{"output":1e}"#,           // no exponent digits
        br#"{"output":[1,]}"#,         // a trailing comma
        br#"{"output":tru}"#,          // a cut literal
        br#"{"output":"open}"#,        // an open string
        br#"{"output":1} x"#,          // text after the object
        br#"[{"output":1}]"#,          // not an object
        br#"{"output" 1}"#,            // no colon
    ];
    for case in cases {
        assert_eq!(output_span(case, 4), None, "{}", String::from_utf8_lossy(case));
    }
}

/// JSON text with a top-level `output`, from a few building blocks.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        "[a-z\u{e9}\u{1F600}\"\\\\/\n\t]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(" , "))),
            proptest::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(|m| {
                let members: Vec<String> = m.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{ {} }}", members.join(","))
            }),
        ]
    })
}

proptest! {
    /// Sound: whenever the scanner answers, serde accepts the same text and
    /// finds the same output; valid text is mostly answered.
    #[test]
    fn agrees_with_serde(
        output in json_value(),
        other in json_value(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"\"\\{}[],:0-.eE+ \n\x01tfnu".to_vec())), 0..3),
    ) {
        let mut doc = format!(r#"{{"success":true,"other":{other},"output":{output}}}"#).into_bytes();
        let valid = edits.is_empty();
        for (at, byte) in edits {
            let i = at.index(doc.len());
            doc[i] = byte;
        }
        let scanned = output_span(&doc, 1000);
        if valid {
            prop_assert!(scanned.is_some(), "valid text left to serde: {}", String::from_utf8_lossy(&doc));
        }
        if let Some(span) = scanned {
            prop_assert_eq!(Some(text_of(&doc, span)), serde_output(&doc), "{}", String::from_utf8_lossy(&doc));
        }
    }
}
