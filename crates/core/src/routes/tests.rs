use std::path::{Path, PathBuf};

use super::*;
use crate::manifest::parse_manifest;

fn def(name: &str, yaml: &str) -> FunctionDef {
    FunctionDef {
        name: name.into(),
        dir: PathBuf::from("/fns").join(name),
        entry: PathBuf::from("/fns").join(name).join("index.js"),
        runtime: "node".into(),
        manifest: Some(parse_manifest(yaml).unwrap()),
        env: Default::default(),
    }
}

fn table(defs: &[FunctionDef]) -> RouteTable {
    RouteTable::build(Path::new("/fns"), defs)
}

fn found(function: &str, params: &[(&str, &str)]) -> RouteMatch {
    let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    RouteMatch::Found { function: function.into(), params, webhook: None }
}

const WEBHOOK: &str =
    "hooks:\n  - type: webhook\n    verification: { type: hmac-sha256, header: X-Hub-Signature-256, secret: s }\n";

#[test]
fn routes_params_and_method_not_allowed() {
    let t = table(&[
        def("todos", "name: todos\nroutes:\n  - { path: /todos, methods: [GET, POST] }\n  - { path: /todos/:id, methods: [GET, DELETE] }\n"),
        def("me", "name: me\nroutes:\n  - { path: /todos/me, methods: [GET] }\n"),
        def("files", "name: files\nroutes:\n  - { path: /files/*, methods: [GET] }\n"),
    ]);
    assert_eq!(t.find("GET", "/todos"), found("todos", &[]));
    assert_eq!(t.find("GET", "/todos/7"), found("todos", &[("id", "7")]));
    assert_eq!(t.find("GET", "/todos/me"), found("me", &[]), "static beats :param");
    assert_eq!(
        t.find("DELETE", "/todos/me"),
        found("todos", &[("id", "me")]),
        "a less specific route serves other methods"
    );
    assert_eq!(t.find("GET", "/files/a/b"), found("files", &[("*", "a/b")]));
    assert_eq!(t.find("HEAD", "/todos/7"), found("todos", &[("id", "7")]), "HEAD is served by GET");
    let allow = |list: &[&str]| RouteMatch::MethodNotAllowed { allow: list.iter().map(|m| m.to_string()).collect() };
    assert_eq!(t.find("PUT", "/todos"), allow(&["GET", "HEAD", "POST"]));
    assert_eq!(t.find("PUT", "/todos/me"), allow(&["DELETE", "GET", "HEAD"]));
    assert_eq!(t.find("GET", "/nope"), RouteMatch::NotFound);
    assert!(t.conflicts.is_empty());
}

#[test]
fn webhooks_default_path_config_path_and_methods() {
    let t = table(&[
        def("gh", &format!("name: gh\n{WEBHOOK}")),
        def("pay", &format!("name: pay\n{WEBHOOK}    config: {{ path: /hooks/pay, methods: [post, put] }}\n")),
    ]);
    let webhook = |function: &str| RouteMatch::Found {
        function: function.into(),
        params: Default::default(),
        webhook: Some(WebhookMatch { hook: 0, header: "x-hub-signature-256".into() }),
    };
    assert_eq!(t.find("POST", "/webhooks/gh"), webhook("gh"));
    assert_eq!(t.find("GET", "/webhooks/gh"), RouteMatch::MethodNotAllowed { allow: vec!["POST".into()] });
    assert_eq!(t.find("HEAD", "/webhooks/gh"), RouteMatch::MethodNotAllowed { allow: vec!["POST".into()] });
    assert_eq!(t.find("PUT", "/hooks/pay"), webhook("pay"));
    assert_eq!(t.find("POST", "/webhooks/pay"), RouteMatch::NotFound, "config.path replaces the default");
}

#[test]
fn a_route_claimed_twice_is_a_diagnostic_and_the_first_name_wins() {
    let t = table(&[
        def("a", "name: a\nroutes:\n  - { path: /users/:id, methods: [GET] }\n"),
        def("b", "name: b\nroutes:\n  - { path: /users/:name/, methods: [GET, PUT] }\n  - { path: /users/:name, methods: [GET] }\n"),
    ]);
    assert_eq!(t.find("GET", "/users/1"), found("a", &[("id", "1")]));
    assert_eq!(t.find("PUT", "/users/1"), found("b", &[("name", "1")]));
    assert_eq!(t.conflicts.len(), 2, "{:?}", t.conflicts);
    let d = &t.conflicts[0];
    assert_eq!(d.name, "b");
    assert_eq!(d.path, Path::new("/fns/b/manifest.yaml"));
    assert!(d.message.contains("GET /users/:name/ is also claimed by function \"a\""), "{}", d.message);
}
