use super::*;
use crate::registry::Registry;
use std::fs;

fn exec(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn runtime(name: &str, programs: &[&str]) -> RuntimeDef {
    let base = Registry::with_defaults().get("deno").unwrap().clone();
    RuntimeDef { name: name.into(), programs: programs.iter().map(|p| p.to_string()).collect(), ..base }
}

fn places<'a>(functions_dir: &'a Path, cwd: &Path, function_dir: Option<&'a Path>) -> Places<'a> {
    Places { path: Some(OsStr::new("/usr/bin:/bin")), functions_dir, cwd: Some(cwd.into()), function_dir }
}

#[test]
fn a_bare_name_is_found_on_path_first() {
    let tmp = tempfile::tempdir().unwrap();
    exec(&tmp.path().join("node_modules/.bin/sh"), "");
    let found = locate(&runtime("x", &["sh"]), &places(tmp.path(), tmp.path(), None)).unwrap();
    assert!(found.program.starts_with("/usr/bin") || found.program.starts_with("/bin"), "{found:?}");
    assert_eq!(found.found_in, "PATH");
    assert_eq!(found.args, ["run", "-A"]);
}

#[test]
fn node_modules_bin_is_searched_from_functions_dir_up_then_from_cwd_up() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let functions = project.join("app/functions");
    fs::create_dir_all(&functions).unwrap();
    exec(&project.join("node_modules/.bin/alyx-fake-rt"), "");
    let elsewhere = tmp.path().join("host");
    exec(&elsewhere.join("node_modules/.bin/alyx-other-rt"), "");
    let cwd = elsewhere.join("sub/dir");
    fs::create_dir_all(&cwd).unwrap();

    let found = locate(&runtime("x", &["alyx-fake-rt"]), &places(&functions, &cwd, None)).unwrap();
    assert_eq!(found.program, project.join("node_modules/.bin/alyx-fake-rt"));
    assert_eq!(found.found_in, project.join("node_modules/.bin").display().to_string());

    let found = locate(&runtime("y", &["alyx-other-rt"]), &places(&functions, &cwd, None)).unwrap();
    assert_eq!(found.program, elsewhere.join("node_modules/.bin/alyx-other-rt"));
}

#[test]
fn not_found_says_where_it_looked_and_how_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let err = locate(&runtime("deno", &["alyx-not-installed-xyz"]), &places(tmp.path(), cwd.path(), None)).unwrap_err();
    assert!(err.message.starts_with("runtime \"deno\" needs `alyx-not-installed-xyz`, which was not found"), "{err:?}");
    assert!(err.message.contains(&format!("node_modules/.bin from {} up to /", tmp.path().display())), "{err:?}");
    assert!(err.message.contains(&format!("from the cwd {} up", cwd.path().display())), "{err:?}");
    assert!(err.message.contains("npm install deno"), "{err:?}");
    assert_eq!(err.looked_in[0], "PATH");
    assert_eq!(err.looked_in.len(), 3);
}

#[test]
fn a_relative_command_is_resolved_and_checked_in_the_function_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let fn_dir = tmp.path().join("hello");
    exec(&fn_dir.join("tools/run"), "");
    let def = runtime("local", &["./tools/run"]);
    let found = locate(&def, &places(tmp.path(), tmp.path(), Some(&fn_dir))).unwrap();
    assert_eq!(found.program, fn_dir.join("tools/run"));
    assert!(found.program.is_absolute());

    let other = tmp.path().join("other");
    fs::create_dir_all(&other).unwrap();
    let err = locate(&def, &places(tmp.path(), tmp.path(), Some(&other))).unwrap_err();
    assert!(err.message.contains(&other.join("tools/run").display().to_string()), "{err:?}");
    let err = locate(&def, &places(tmp.path(), tmp.path(), None)).unwrap_err();
    assert!(err.message.contains("each function's directory"), "{err:?}");
}

#[test]
fn a_virtualenv_in_the_function_directory_wins_for_python() {
    let tmp = tempfile::tempdir().unwrap();
    let fn_dir = tmp.path().join("py");
    exec(&fn_dir.join(".venv/bin/python"), "");
    let python = Registry::with_defaults().get("python").unwrap().clone();
    let found = locate(&python, &places(tmp.path(), tmp.path(), Some(&fn_dir))).unwrap();
    assert_eq!(found.program, fn_dir.join(".venv/bin/python"));
    assert_eq!(found.found_in, fn_dir.join(".venv").display().to_string());

    let plain = tmp.path().join("plain");
    exec(&plain.join("venv/bin/python"), "");
    let found = locate(&python, &places(tmp.path(), tmp.path(), Some(&plain))).unwrap();
    assert_eq!(found.program, plain.join("venv/bin/python"));
}

#[tokio::test]
async fn a_shim_is_resolved_to_its_interpreter_once() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    let shim = tmp.path().join("shims/fakepy");
    // Like pyenv's shim: a script that runs the real interpreter; asked
    // for its path, it names /bin/sh (an ELF file, not a script).
    exec(&shim, &format!("echo called >> {}\n[ \"$1\" = --where ] && echo /bin/sh", calls.display()));
    let def = RuntimeDef { real_path_query: Some(vec!["--where".into()]), ..runtime("fakepy", &[]) };
    let found = Found { program: shim.clone(), args: vec![], found_in: "PATH".into(), shim: None };
    for _ in 0..2 {
        let real = unshim(found.clone(), &def, &[], tmp.path()).await;
        assert_eq!(real.program, PathBuf::from("/bin/sh"));
        assert_eq!(real.shim.as_deref(), Some(shim.as_path()));
    }
    assert_eq!(fs::read_to_string(&calls).unwrap().lines().count(), 1, "asked once, then cached");

    let plain = RuntimeDef { real_path_query: None, ..def };
    assert_eq!(unshim(found.clone(), &plain, &[], tmp.path()).await, found, "no query: kept as found");
}
