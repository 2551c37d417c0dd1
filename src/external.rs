//! A large ASCII result crosses as an external Latin-1 string: V8 reads the
//! bytes where the core wrote them, so a 100 MB result is not copied onto
//! the JS heap on the JS thread (docs/ARCHITECTURE.md, "The binding and the
//! JS layer"). `node_api_create_external_string_latin1` is Node-API 10
//! (Node ≥ 20.4, Deno, Bun); napi's `napi10` feature would make napi-rs
//! itself need it everywhere, so it is looked up here, once, at run time,
//! and a host without it gets a copy.

use std::ffi::{c_char, c_void};
use std::sync::OnceLock;

use alyx_core::JsonText;
use napi::sys;

type CreateExternalLatin1 = unsafe extern "C" fn(
    env: sys::napi_env,
    bytes: *const c_char,
    length: isize,
    finalize: sys::napi_finalize,
    hint: *mut c_void,
    result: *mut sys::napi_value,
    copied: *mut bool,
) -> sys::napi_status;

/// Results at least this long cross as external strings; a shorter one is
/// cheaper to copy than to track until the GC frees it.
pub(crate) const EXTERNAL_FROM: usize = 1 << 20;

fn create_external_latin1() -> Option<CreateExternalLatin1> {
    static FOUND: OnceLock<Option<CreateExternalLatin1>> = OnceLock::new();
    *FOUND.get_or_init(lookup)
}

#[cfg(unix)]
fn lookup() -> Option<CreateExternalLatin1> {
    // SAFETY: `dlsym` with `RTLD_DEFAULT` and a NUL-terminated name only
    // looks the host's exported symbol up.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"node_api_create_external_string_latin1".as_ptr()) };
    // SAFETY: the symbol, when the host exports it, is the Node-API function
    // whose C signature `CreateExternalLatin1` declares.
    (!found.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, CreateExternalLatin1>(found) })
}

#[cfg(not(unix))]
fn lookup() -> Option<CreateExternalLatin1> {
    None
}

/// V8's finalizer: the string was collected (or V8 copied it at creation).
unsafe extern "C" fn release(_env: sys::napi_env, _bytes: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Box<JsonText>` leaked by `latin1`, and V8
    // calls this once per string.
    drop(unsafe { Box::from_raw(hint.cast::<JsonText>()) });
}

/// `text` (ASCII) as an external Latin-1 string; `Err(text)` when the host
/// cannot make one, for the caller to copy.
pub(crate) fn latin1(env: sys::napi_env, text: JsonText) -> Result<sys::napi_value, JsonText> {
    let Some(create) = create_external_latin1() else {
        return Err(text);
    };
    let text = Box::new(text);
    let (bytes, length) = (text.as_bytes().as_ptr(), text.as_bytes().len());
    let hint = Box::into_raw(text);
    let mut value = std::ptr::null_mut();
    let mut copied = false;
    // SAFETY: `env` is the JS thread's env; `bytes..bytes+length` lives in
    // the boxed `JsonText`, which does not move and is freed only by
    // `release`, which V8 calls once the string is gone (or at once if it
    // copied). On failure V8 does not call it and the box is taken back.
    let status =
        unsafe { create(env, bytes.cast(), length as isize, Some(release), hint.cast(), &mut value, &mut copied) };
    if status != sys::Status::napi_ok {
        // SAFETY: creation failed, so V8 kept no pointer to the box.
        return Err(*unsafe { Box::from_raw(hint) });
    }
    Ok(value)
}
