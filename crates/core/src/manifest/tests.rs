//! Table-driven cases, ported from Alyx's `manifest_test.go` and extended to
//! every rule of CONTRACT §5, plus serialization checks (no-panic checks:
//! `never_panics.rs`).

use super::*;

enum Want {
    /// Parses, and the check holds.
    Ok(fn(&Manifest) -> bool),
    /// Fails, and the error text contains this.
    Err(&'static str),
}
use Want::{Err, Ok};

const FULL: &str = r#"
name: on-user-created
runtime: node
entrypoint: ignored.js
entry: src/main.js
description: Syncs users
timeout: 30s
memory: 256mb
env:
  OPENAI_API_KEY: ${OPENAI_API_KEY}
  PORT: 8080
  DEBUG: true
  RATIO: 1.10
  EMPTY:
dependencies: [requests, flask]
concurrency: 4
routes:
  - path: /api/users/sync
    methods: [POST]
  - path: /api/users/{id}/avatar
    methods: [get, Put]
hooks:
  - type: database
    source: users
    action: insert
    mode: async
  - type: auth
    source: signup
    action: after
    mode: sync
    config:
      on_failure: reject
      timeout: 5s
  - type: webhook
    verification:
      type: hmac-sha256
      header: Stripe-Signature
      secret: ${STRIPE_WEBHOOK_SECRET}
schedules:
  - name: daily-cleanup
    type: cron
    expression: "0 2 * * *"
    timezone: UTC
    config:
      skip_if_running: true
  - name: health-check
    type: interval
    expression: 5m
    input: {deep: [1, "two"]}
  - name: launch
    type: one_time
    expression: 2030-01-01T00:00:00Z
build:
  command: tsc
  args: [-p, .]
  output: dist/main.js
  watch: ["src/**/*.ts"]
"#;

fn full_ok(m: &Manifest) -> bool {
    m.name == "on-user-created"
        && m.runtime.as_deref() == Some("node")
        && m.entry.as_deref() == Some("src/main.js")
        && m.description.as_deref() == Some("Syncs users")
        && m.timeout_ms() == Some(30_000)
        && m.memory_mb() == Some(256)
        && m.env["OPENAI_API_KEY"] == "${OPENAI_API_KEY}"
        && m.env["PORT"] == "8080"
        && m.env["DEBUG"] == "true"
        && m.env["RATIO"] == "1.10"
        && m.env["EMPTY"].is_empty()
        && m.dependencies == ["requests", "flask"]
        && m.concurrency == Some(4)
        && m.routes.len() == 2
        && m.routes[1].methods == ["GET", "PUT"]
        && m.hooks.len() == 3
        && m.hooks[1].config.as_ref().unwrap().timeout.as_deref() == Some("5s")
        && m.hooks[1].config.as_ref().unwrap().other["on_failure"] == "reject"
        && m.hooks[2].verification.as_ref().unwrap().header == "Stripe-Signature"
        && m.schedules.len() == 3
        && m.schedules[0].config.as_ref().unwrap()["skip_if_running"] == true
        && m.schedules[1].input == Some(serde_json::json!({"deep": [1, "two"]}))
        && m.build.as_ref().unwrap().args == ["-p", "."]
        && m.build.as_ref().unwrap().watch == ["src/**/*.ts"]
}

fn cases() -> Vec<(&'static str, &'static str, Want)> {
    vec![
        // Manifest basics (Alyx: TestManifest_Validate, _BackwardCompatibility).
        ("minimal", "name: fn", Ok(|m| m.name == "fn" && m.runtime.is_none() && m.routes.is_empty())),
        ("full", FULL, Ok(full_ok)),
        ("legacy python", "name: legacy\nruntime: python\ntimeout: 60s\nmemory: 512mb\nenv:\n  API_KEY: secret\ndependencies:\n  - requests\n",
            Ok(|m| m.dependencies == ["requests"] && m.env["API_KEY"] == "secret")),
        ("missing name", "runtime: node", Err("manifest.yaml: name: is required")),
        ("blank name", "name: '  '", Err("manifest.yaml: name: is required")),
        ("name not a string", "name: [a]", Err("manifest.yaml: name: expected a string, got a list")),
        ("unknown runtime parses", "name: f\nruntime: cobol", Ok(|m| m.runtime.as_deref() == Some("cobol"))),
        ("validate_runtime rejects", "name: f\nruntime: cobol", Ok(|m| {
            m.validate_runtime(&DEFAULT_RUNTIMES).unwrap_err().to_string()
                == r#"manifest.yaml: runtime: unknown runtime "cobol" (known: deno, node, bun, python, go, ruby, binary)"#
        })),
        ("validate_runtime custom", "name: f\nruntime: cobol", Ok(|m| m.validate_runtime(&["cobol".to_string()]).is_ok())),
        ("validate_runtime default", "name: f\nruntime: ruby", Ok(|m| m.validate_runtime(&DEFAULT_RUNTIMES).is_ok())),
        ("entrypoint alias", "name: f\nentrypoint: app.py", Ok(|m| m.entry.as_deref() == Some("app.py"))),
        ("unknown keys ignored", "name: f\nfoo: {bar: [1]}\nroutes:\n  - path: /x\n    methods: [GET]\n    weird: 1",
            Ok(|m| m.routes.len() == 1)),
        ("unknown keys listed with a hint", "name: f\ntimeot: 5s\nfoo: 1\nroutes:\n  - path: /x\n    methods: [GET]\n    metod: GET\nhooks:\n  - type: auth\n    source: users\n    action: create\n    config: {anything: 1}",
            Ok(|m| m.unknown_keys.iter().map(ToString::to_string).collect::<Vec<_>>() == [
                "unknown key `foo` (ignored)",
                "unknown key `routes[0].metod` (ignored; did you mean `methods`?)",
                "unknown key `timeot` (ignored; did you mean `timeout`?)",
            ])),
        ("entry and entrypoint are both known", "name: f\nentry: a.py\nentrypoint: b.py",
            Ok(|m| m.entry.as_deref() == Some("a.py") && m.unknown_keys.is_empty())),
        ("empty values are absent", "name: f\nruntime:\ntimeout: ''\nroutes:\nenv:", Ok(|m| m.runtime.is_none() && m.timeout.is_none())),
        // Timeouts.
        ("timeout 30s", "name: f\ntimeout: 30s", Ok(|m| m.timeout_ms() == Some(30_000))),
        ("timeout 5m", "name: f\ntimeout: 5m", Ok(|m| m.timeout_ms() == Some(300_000))),
        ("timeout 1h", "name: f\ntimeout: 1h", Ok(|m| m.timeout_ms() == Some(3_600_000))),
        ("timeout 1500ms", "name: f\ntimeout: 1500ms", Ok(|m| m.timeout_ms() == Some(1_500))),
        ("timeout bare 30", "name: f\ntimeout: 30", Ok(|m| m.timeout.as_deref() == Some("30") && m.timeout_ms() == Some(30_000))),
        ("timeout quoted 30", "name: f\ntimeout: \"30\"", Ok(|m| m.timeout_ms() == Some(30_000))),
        ("timeout 30S", "name: f\ntimeout: 30S", Ok(|m| m.timeout_ms() == Some(30_000))),
        ("timeout 1.5s", "name: f\ntimeout: 1.5s", Ok(|m| m.timeout_ms() == Some(1_500))),
        ("timeout 0", "name: f\ntimeout: \"0\"", Err(r#"manifest.yaml: timeout: invalid duration "0": must be greater than 0"#)),
        ("timeout -5s", "name: f\ntimeout: -5s", Err(r#"timeout: invalid duration "-5s""#)),
        ("timeout abc", "name: f\ntimeout: abc", Err(r#"manifest.yaml: timeout: invalid duration "abc""#)),
        // Memory.
        ("memory 128mb", "name: f\nmemory: 128mb", Ok(|m| m.memory_mb() == Some(128))),
        ("memory 1gb", "name: f\nmemory: 1gb", Ok(|m| m.memory_mb() == Some(1024))),
        ("memory 512m", "name: f\nmemory: 512m", Ok(|m| m.memory_mb() == Some(512))),
        ("memory bare 256", "name: f\nmemory: 256", Ok(|m| m.memory.as_deref() == Some("256") && m.memory_mb() == Some(256))),
        ("memory 128MB", "name: f\nmemory: 128MB", Ok(|m| m.memory_mb() == Some(128))),
        ("memory 0", "name: f\nmemory: \"0\"", Err(r#"memory: invalid memory size "0": must be greater than 0"#)),
        ("memory lots", "name: f\nmemory: lots", Err(r#"manifest.yaml: memory: invalid memory size "lots""#)),
        // Env and concurrency.
        ("env expansion", "name: f\nenv:\n  A: ${HOME_X}/bin\n  B: $HOME_X\n  C: ${UNSET_X}\n  D: $$5", Ok(|m| {
            let env = m.expanded_env(|k| (k == "HOME_X").then(|| "/h".to_string()));
            m.env["A"] == "${HOME_X}/bin" && env["A"] == "/h/bin" && env["B"] == "/h" && env["C"].is_empty() && env["D"] == "$5"
        })),
        ("env not a mapping", "name: f\nenv: [A]", Err("manifest.yaml: env: expected a mapping, got a list")),
        ("env value a list", "name: f\nenv:\n  A: [1]", Err("manifest.yaml: env.A: expected a string, got a list")),
        ("concurrency 0", "name: f\nconcurrency: 0", Err("manifest.yaml: concurrency: expected a positive integer")),
        ("concurrency text", "name: f\nconcurrency: many", Err("manifest.yaml: concurrency: expected a positive integer")),
        ("dependencies wrong item", "name: f\ndependencies: [a, {b: 1}]", Err("manifest.yaml: dependencies[1]: expected a string, got a mapping")),
        // Routes (Alyx: TestRouteConfig_Validate).
        ("route ok", "name: f\nroutes:\n  - path: /api/test\n    methods: [GET, POST, PUT]", Ok(|m| m.routes[0].methods.len() == 3)),
        ("route lowercase method", "name: f\nroutes:\n  - path: /a\n    methods: [delete, options, head, patch]", Ok(|m| m.routes[0].methods[0] == "DELETE")),
        ("route missing path", "name: f\nroutes:\n  - methods: [GET]", Err("manifest.yaml: routes[0].path: is required")),
        ("route bad path", "name: f\nroutes:\n  - path: api/test\n    methods: [GET]", Err(r#"manifest.yaml: routes[0].path: must start with "/", got "api/test""#)),
        ("route bad method", "name: f\nroutes:\n  - path: /a\n    methods: [GET, FETCH]", Err(r#"manifest.yaml: routes[0].methods: invalid method "FETCH""#)),
        ("route no methods", "name: f\nroutes:\n  - path: /a\n    methods: []", Err("manifest.yaml: routes[0].methods: at least one method is required")),
        ("route methods missing", "name: f\nroutes:\n  - path: /a", Err("routes[0].methods: at least one method is required")),
        ("route not a mapping", "name: f\nroutes: [/a]", Err("manifest.yaml: routes[0]: expected a mapping, got a string")),
        ("routes not a list", "name: f\nroutes: /a", Err("manifest.yaml: routes: expected a list, got a string")),
        // Hooks (Alyx: TestHookConfig_Validate, TestVerificationConfig_Validate).
        ("hook database ok", "name: f\nhooks:\n  - {type: database, source: users, action: insert, mode: async}", Ok(|m| m.hooks[0].source.as_deref() == Some("users"))),
        ("hook auth ok", "name: f\nhooks:\n  - {type: auth, source: signup, action: after, mode: sync}", Ok(|m| m.hooks[0].r#type == "auth")),
        ("hook missing type", "name: f\nhooks:\n  - {source: users, action: insert}", Err("manifest.yaml: hooks[0].type: is required")),
        ("hook bad type", "name: f\nhooks:\n  - {type: cron, source: users, action: insert}", Err(r#"hooks[0].type: invalid hook type "cron""#)),
        ("hook database missing source", "name: f\nhooks:\n  - {type: database, action: insert}", Err("manifest.yaml: hooks[0].source: is required for database hooks")),
        ("hook database missing action", "name: f\nhooks:\n  - {type: database, source: users}", Err("manifest.yaml: hooks[0].action: is required for database hooks")),
        ("hook auth missing source", "name: f\nhooks:\n  - {type: auth, action: after}", Err("hooks[0].source: is required for auth hooks")),
        ("webhook ok sha1", "name: f\nhooks:\n  - type: webhook\n    verification: {type: hmac-sha1, header: X-Hub-Signature, secret: s}", Ok(|m| m.hooks[0].verification.as_ref().unwrap().r#type == "hmac-sha1")),
        ("webhook missing verification", "name: f\nhooks:\n  - type: webhook", Err("manifest.yaml: hooks[0].verification: is required for webhook hooks")),
        ("webhook missing verification type", "name: f\nhooks:\n  - type: webhook\n    verification: {header: X, secret: s}", Err("hooks[0].verification.type: is required")),
        ("webhook bad verification type", "name: f\nhooks:\n  - type: webhook\n    verification: {type: md5, header: X, secret: s}", Err(r#"hooks[0].verification.type: invalid verification type "md5""#)),
        ("webhook missing header", "name: f\nhooks:\n  - type: webhook\n    verification: {type: hmac-sha256, secret: s}", Err("hooks[0].verification.header: is required")),
        ("webhook missing secret", "name: f\nhooks:\n  - type: webhook\n    verification: {type: hmac-sha256, header: X}", Err("manifest.yaml: hooks[0].verification.secret: is required")),
        ("hook bad mode", "name: f\nhooks:\n  - {type: database, source: u, action: insert, mode: later}", Err(r#"manifest.yaml: hooks[0].mode: invalid mode "later" (expected sync, async)"#)),
        ("hook bad config timeout", "name: f\nhooks:\n  - {type: database, source: u, action: insert, config: {timeout: invalid}}", Err(r#"manifest.yaml: hooks[0].config.timeout: invalid duration "invalid""#)),
        ("hook config not a mapping", "name: f\nhooks:\n  - {type: database, source: u, action: insert, config: 5s}", Err("hooks[0].config: expected a mapping, got a string")),
        // Schedules (Alyx: TestScheduleConfig_Validate).
        ("cron ok", "name: f\nschedules:\n  - {name: daily, type: cron, expression: '0 0 * * *'}", Ok(|m| m.schedules[0].expression == "0 0 * * *")),
        ("cron with seconds and tz", "name: f\nschedules:\n  - {name: d, type: cron, expression: '*/5 * * * * *', timezone: UTC}", Ok(|m| m.schedules[0].timezone.as_deref() == Some("UTC"))),
        ("cron bad", "name: f\nschedules:\n  - {name: d, type: cron, expression: '0 0 *'}", Err("schedules[0].expression: invalid cron expression \"0 0 *\": expected 5 or 6 fields, got 3")),
        ("interval ok", "name: f\nschedules:\n  - {name: every-5m, type: interval, expression: 5m}", Ok(|m| m.schedules[0].r#type == "interval")),
        ("interval bad", "name: f\nschedules:\n  - {name: t, type: interval, expression: invalid}", Err(r#"manifest.yaml: schedules[0].expression: invalid duration "invalid""#)),
        ("one_time ok", "name: f\nschedules:\n  - {name: once, type: one_time, expression: '2030-06-01T12:00:00+02:00'}", Ok(|m| m.schedules[0].r#type == "one_time")),
        ("one_time bad", "name: f\nschedules:\n  - {name: t, type: one_time, expression: tomorrow}", Err(r#"schedules[0].expression: invalid RFC 3339 timestamp "tomorrow""#)),
        ("schedule bad timezone", "name: f\nschedules:\n  - {name: d, type: cron, expression: '0 0 * * *', timezone: Not/A Zone}", Err(r#"manifest.yaml: schedules[0].timezone: unknown time zone "Not/A Zone""#)),
        ("schedule missing name", "name: f\nschedules:\n  - {type: cron, expression: '0 0 * * *'}", Err("manifest.yaml: schedules[0].name: is required")),
        ("schedule missing type", "name: f\nschedules:\n  - {name: d, expression: '0 0 * * *'}", Err("schedules[0].type: is required")),
        ("schedule bad type", "name: f\nschedules:\n  - {name: d, type: weekly, expression: x}", Err(r#"schedules[0].type: invalid schedule type "weekly" (expected cron, interval, one_time)"#)),
        ("schedule missing expression", "name: f\nschedules:\n  - {name: d, type: cron}", Err("schedules[0].expression: is required")),
        // Build.
        ("build ok", "name: f\nbuild:\n  command: extism-js\n  args: [src/index.js, -o, plugin.wasm]\n  output: plugin.wasm", Ok(|m| {
            let b = m.build.as_ref().unwrap();
            b.command == "extism-js" && b.args.len() == 3 && b.watch.is_empty()
        })),
        ("build missing command", "name: f\nbuild: {output: out}", Err("manifest.yaml: build.command: is required")),
        ("build missing output", "name: f\nbuild: {command: make}", Err("manifest.yaml: build.output: is required")),
        ("build watch not a list", "name: f\nbuild: {command: make, output: o, watch: src}", Err("manifest.yaml: build.watch: expected a list of strings, got a string")),
        // Documents.
        ("yaml syntax error", "name: x\n  bad: : :", Err("manifest.yaml: (yaml): invalid YAML: mapping values are not allowed in this context at line 2, column 6")),
        ("unclosed flow", "name: [x", Err("at line 1")),
        ("empty document", "", Err("manifest.yaml: (yaml): the document is empty")),
        ("comments only", "# nothing\n", Err("the document is empty")),
        ("top level list", "- name: f", Err("manifest.yaml: (yaml): expected a mapping at the top level, got a list")),
        ("top level scalar", "just text", Err("expected a mapping at the top level, got a string")),
        ("duplicate key", "name: a\nname: b", Err("(yaml): invalid YAML: duplicate mapping key: name at line 2, column 1")),
        ("two documents", "name: a\n---\nname: b", Err("(yaml): invalid YAML: multiple YAML documents detected at line 3")),
        ("anchors", "name: f\nx: &m [GET]\nroutes:\n  - {path: /a, methods: *m}", Ok(|m| m.routes[0].methods == ["GET"])),
    ]
}

#[test]
fn table() {
    let mut failures = Vec::new();
    let rows = cases();
    for (name, yaml, want) in &rows {
        match (parse_manifest(yaml), want) {
            (Result::Ok(m), Ok(check)) if !check(&m) => failures.push(format!("{name}: check failed: {m:#?}")),
            (Result::Ok(m), Err(want)) => failures.push(format!("{name}: want error {want:?}, got {m:?}")),
            (Result::Err(e), Ok(_)) => failures.push(format!("{name}: unexpected error: {e}")),
            (Result::Err(e), Err(want)) if !e.to_string().contains(want) => {
                failures.push(format!("{name}: error {:?} lacks {want:?}", e.to_string()))
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

#[test]
fn time_zone_database() {
    // Only meaningful where a zoneinfo database exists (not on Windows).
    if std::path::Path::new("/usr/share/zoneinfo/America/New_York").exists() {
        let yaml = |tz: &str| {
            format!("name: f\nschedules:\n  - {{name: d, type: cron, expression: '0 0 * * *', timezone: {tz}}}")
        };
        assert!(parse_manifest(&yaml("America/New_York")).is_ok());
        let err = parse_manifest(&yaml("Invalid/Timezone")).unwrap_err();
        assert_eq!(err.field, "schedules[0].timezone");
    }
}

#[test]
fn error_texts() {
    let err = parse_manifest("name: f\ntimeout: abc").unwrap_err();
    assert_eq!(err.field, "timeout");
    assert_eq!(err.to_string(), r#"manifest.yaml: timeout: invalid duration "abc""#);
    let path = std::path::Path::new("/fns/hello/manifest.yaml");
    assert_eq!(err.in_file(path), r#"/fns/hello/manifest.yaml: timeout: invalid duration "abc""#);
    let err = load_manifest(std::path::Path::new("/no/such/manifest.yaml")).unwrap_err();
    assert!(err.to_string().contains("cannot read /no/such/manifest.yaml"), "{err}");
    let _: &dyn std::error::Error = &err;
}

#[test]
fn serializes_with_yaml_names() {
    let json = serde_json::to_value(parse_manifest(FULL).unwrap()).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let want = [
        "name",
        "runtime",
        "entry",
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
    ];
    assert_eq!(keys, want);
    assert_eq!(json["timeout"], "30s");
    assert_eq!(json["env"]["PORT"], "8080");
    assert_eq!(json["hooks"][1]["type"], "auth");
    assert_eq!(json["hooks"][1]["config"], serde_json::json!({"timeout": "5s", "on_failure": "reject"}));
    assert_eq!(json["hooks"][2]["verification"]["type"], "hmac-sha256");
    assert_eq!(json["schedules"][0]["type"], "cron");
    assert_eq!(json["build"]["watch"], serde_json::json!(["src/**/*.ts"]));
    // None is omitted; lists and maps are always there.
    let json = serde_json::to_value(parse_manifest("name: f").unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "f", "env": {}, "dependencies": [], "routes": [], "hooks": [], "schedules": []})
    );
}
