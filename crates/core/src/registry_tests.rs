//! Tests of the runtime registry (registry.rs).
use super::*;

#[test]
fn defaults_cover_the_contract_runtimes() {
    let r = Registry::with_defaults();
    for name in ["deno", "node", "bun", "python", "go", "ruby", "binary"] {
        assert!(r.get(name).is_some(), "{name}");
    }
    assert_eq!(r.get("deno").unwrap().args, ["run", "-A"]);
    assert_eq!(r.get("bun").unwrap().args, ["run"]);
    assert_eq!(r.get("python").unwrap().programs, ["python3", "python"]);
    assert_eq!(r.by_extension(".ts").unwrap().name, "deno");
    assert_eq!(r.by_extension(".cjs").unwrap().name, "node");
    assert_eq!(r.by_extension(".rb").unwrap().name, "ruby");
    assert!(r.by_extension(".txt").is_none());
}

#[test]
fn custom_runtime_splits_command_and_adds_extensions() {
    let custom: BTreeMap<String, RuntimeSpec> = serde_json::from_str(
        r#"{"py-fast": {"command": ["python3", "-S"], "args": ["-u"], "extensions": ["pyx"]},
            "node": {"command": "/usr/bin/env", "args": ["node"]}}"#,
    )
    .unwrap();
    let r = Registry::new(&custom).unwrap();
    let py = r.get("py-fast").unwrap();
    assert_eq!(py.programs, ["python3"]);
    assert_eq!(py.args, ["-S", "-u"]);
    assert_eq!(r.by_extension(".pyx").unwrap().name, "py-fast");
    let node = r.get("node").unwrap();
    assert_eq!(node.extensions, [".js", ".mjs", ".cjs", ".cts"], "an override keeps the default's extensions");
    assert_eq!(node.programs, ["/usr/bin/env"]);
    assert_eq!(node.host_env, ["NODE_PATH"]);
}

#[test]
fn overriding_a_command_keeps_the_default_args_unless_args_are_given() {
    let custom: BTreeMap<String, RuntimeSpec> = serde_json::from_str(
        r#"{"deno": {"command": "/opt/deno"}, "bun": {"command": ["/opt/bun", "--smol"]},
            "python": {"command": "python3.12", "args": []}}"#,
    )
    .unwrap();
    let r = Registry::new(&custom).unwrap();
    assert_eq!(r.get("deno").unwrap().args, ["run", "-A"]);
    assert_eq!(r.get("bun").unwrap().args, ["--smol", "run"]);
    let python = r.get("python").unwrap();
    assert!(python.args.is_empty());
    assert_eq!(python.sdk_path_var.as_deref(), Some("PYTHONPATH"), "an override keeps Python's extras");
    assert!(python.real_path_query.is_some());
    assert!(python.memory_args.is_empty() && python.custom);
}

#[test]
fn overriding_go_keeps_its_compile_step() {
    let custom: BTreeMap<String, RuntimeSpec> =
        serde_json::from_str(r#"{"go": {"command": "/opt/go/bin/go"}}"#).unwrap();
    let r = Registry::new(&custom).unwrap();
    assert_eq!(r.get("go").unwrap().launch, Launch::GoBuild);
    assert_eq!(r.by_extension(".go").unwrap().name, "go");
}

#[test]
fn empty_custom_command_is_refused() {
    let custom: BTreeMap<String, RuntimeSpec> = serde_json::from_str(r#"{"x": {"command": []}}"#).unwrap();
    assert!(Registry::new(&custom).unwrap_err().contains("runtimes.x.command"));
}
