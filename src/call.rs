//! One `invoke` across the boundary, cheaply on the JS thread: the call's
//! options arrive as a plain object, its input is transcoded to UTF-8 in one
//! pass, and its result goes back through one threadsafe function shared by every call
//! of the runtime (`Done`), not a promise and a threadsafe function per call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use alyx_core::{InvokeOptions, JsonText, LogEntry};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::JsString;
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

/// A handle to cancel one call (made for a call with an `AbortSignal`).
#[napi]
pub struct NativeCall {
    pub(crate) token: CancellationToken,
}

#[napi]
impl NativeCall {
    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// `invoke`'s options, as `index.js` checked them (docs/ARCHITECTURE.md).
#[napi(object)]
pub struct CallOptions {
    /// Made on a worker thread when absent.
    pub request_id: Option<String>,
    pub timeout_ms: Option<u32>,
    pub env: Option<BTreeMap<String, String>>,
    /// `auth` as JSON text (an object), when there is one.
    pub auth_json: Option<String>,
}

impl CallOptions {
    pub(crate) fn into_core(self) -> Result<InvokeOptions> {
        let auth = match self.auth_json {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| crate::type_error(format!("auth: {e}")))?),
            None => None,
        };
        Ok(InvokeOptions {
            auth,
            env: self.env.unwrap_or_default(),
            timeout_ms: self.timeout_ms.map(u64::from),
            request_id: self.request_id,
            ..InvokeOptions::default()
        })
    }
}

/// The call's input: JSON text, or parts alternating JSON text and long
/// strings to escape (lib/input-json.js).
pub(crate) fn input_of(env: &Env, input: Either<JsString, Array>) -> Result<alyx_core::Input> {
    match input {
        Either::A(text) => Ok(alyx_core::Input::serialized(read_input(env, &text)?)),
        Either::B(parts) => {
            let parts = (0..parts.len())
                .map(|i| match parts.get::<JsString>(i)? {
                    Some(part) => read_input(env, &part),
                    None => Err(crate::type_error("input parts must be strings")),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(alyx_core::Input::serialized_parts(parts))
        }
    }
}

/// The input's JSON text as UTF-8 in one pass: napi's usual conversion
/// measures the UTF-8 length first (a second walk over a 100 MB string); a
/// buffer of the worst case (3 bytes per UTF-16 unit) is only reserved,
/// never touched beyond what is written, and is trimmed afterwards. Its
/// UTF-8 is checked on a worker thread (`alyx_core::Input::serialized`).
pub(crate) fn read_input(env: &Env, input: &JsString) -> Result<Vec<u8>> {
    let units = input.utf16_len()?;
    let capacity =
        units.checked_mul(3).and_then(|n| n.checked_add(1)).ok_or_else(|| crate::type_error("input too large"))?;
    let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
    let prefault = crate::prefault::start(&mut bytes, units);
    let mut written = 0usize;
    // SAFETY: `bytes` has room for `capacity` bytes and napi writes at most
    // `capacity - 1` of them plus a NUL; `written` is how many it wrote,
    // all initialised, so `set_len(written)` exposes only written bytes.
    unsafe {
        let status = napi::sys::napi_get_value_string_utf8(
            env.raw(),
            input.raw(),
            bytes.as_mut_ptr().cast(),
            capacity,
            &mut written,
        );
        if status != napi::sys::Status::napi_ok {
            return Err(Error::new(Status::InvalidArg, "input must be a string"));
        }
        bytes.set_len(written);
    }
    drop(prefault);
    if bytes.capacity() - bytes.len() > 64 * 1024 {
        bytes.shrink_to_fit();
    }
    Ok(bytes)
}

/// The runtime's completion callback: called with a batch of finished
/// calls as a flat array `[id, resultJson, id, resultJson, …]` (`null`
/// instead of the JSON when the runtime was already closed).
pub(crate) type DoneFn = ThreadsafeFunction<(), (), Batch, Status, false, true>;

/// Calls finished but not yet handed to JS, and how many are in flight.
#[derive(Default)]
struct Finished {
    queue: Mutex<Vec<(u32, Reply)>>,
    in_flight: AtomicUsize,
}

/// The completion callback shared by a runtime's calls. Results that finish
/// while JS is busy go over in one batch (one JS call, one microtask
/// checkpoint). It is weak (it does not keep the host alive) except while
/// calls are in flight, so a host with a pending `invoke` waits for it and
/// an idle one can exit.
pub(crate) struct Done {
    tsfn: Arc<DoneFn>,
    finished: Arc<Finished>,
}

impl Done {
    pub fn new(callback: Function<Batch, ()>) -> Result<Self> {
        let finished = Arc::new(Finished::default());
        let raw = Arc::new(AtomicPtr::new(std::ptr::null_mut()));
        let (state, handle) = (Arc::clone(&finished), Arc::clone(&raw));
        let tsfn = callback.build_threadsafe_function().callee_handled::<false>().weak::<true>().build_callback(
            move |ctx: ThreadsafeCallContext<()>| {
                let batch = std::mem::take(&mut *state.queue.lock().unwrap_or_else(|e| e.into_inner()));
                if state.in_flight.fetch_sub(batch.len(), Ordering::Relaxed) == batch.len() {
                    hold_loop(&ctx.env, handle.load(Ordering::Relaxed), false);
                }
                Ok(Batch(batch))
            },
        )?;
        raw.store(tsfn.raw(), Ordering::Relaxed);
        Ok(Done { tsfn: Arc::new(tsfn), finished })
    }

    /// A call starts (JS thread): the first one in flight holds the loop.
    pub fn start(&self, env: &Env) -> Deliver {
        if self.finished.in_flight.fetch_add(1, Ordering::Relaxed) == 0 {
            hold_loop(env, self.tsfn.raw(), true);
        }
        Deliver { tsfn: Arc::clone(&self.tsfn), finished: Arc::clone(&self.finished) }
    }
}

/// Hands one finished call to JS (from any thread).
pub(crate) struct Deliver {
    tsfn: Arc<DoneFn>,
    finished: Arc<Finished>,
}

impl Deliver {
    pub fn send(self, id: u32, reply: Reply) {
        let first = {
            let mut queue = self.finished.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.push((id, reply));
            queue.len() == 1
        };
        // Only the first of a batch wakes JS: the callback takes them all.
        if first {
            self.tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// Finished calls for JS: `[id, resultJson, id, resultJson, …]`.
pub struct Batch(Vec<(u32, Reply)>);

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(env: napi::sys::napi_env, batch: Batch) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        let mut array = env.create_array(batch.0.len() as u32 * 2)?;
        for (i, (id, reply)) in batch.0.into_iter().enumerate() {
            array.set(2 * i as u32, id)?;
            array.set(2 * i as u32 + 1, reply)?;
        }
        // SAFETY: `env` is the JS thread's env napi passed in.
        unsafe { Array::to_napi_value(env.raw(), array) }
    }
}

/// `napi_ref_threadsafe_function` / `napi_unref_…`: whether the callback's
/// pending calls keep the event loop alive.
fn hold_loop(env: &Env, tsfn: napi::sys::napi_threadsafe_function, hold: bool) {
    if tsfn.is_null() {
        return;
    }
    // SAFETY: called on the JS thread of `env` (an invoke, or the callback
    // itself) with the live threadsafe function `Done` owns; ref/unref only
    // toggle whether its async handle keeps the loop alive.
    unsafe {
        if hold {
            napi::sys::napi_ref_threadsafe_function(env.raw(), tsfn);
        } else {
            napi::sys::napi_unref_threadsafe_function(env.raw(), tsfn);
        }
    }
}

/// A result for JS: one string, created as Latin-1 when the JSON is ASCII
/// (V8 copies it as is; no UTF-8 decoding of a large output), and not even
/// copied when it is large (`external.rs`). Whether it is
/// ASCII is found on the worker thread that made it (`Reply::new`), not on
/// the JS thread.
pub struct Reply {
    text: Option<JsonText>,
    ascii: bool,
}

impl Reply {
    /// `None`: the runtime was closed before the call ran.
    pub fn new(text: Option<JsonText>) -> Reply {
        let ascii = text.as_ref().is_some_and(|t| t.as_bytes().is_ascii());
        Reply { text, ascii }
    }
}

impl ToNapiValue for Reply {
    unsafe fn to_napi_value(env: napi::sys::napi_env, reply: Reply) -> Result<napi::sys::napi_value> {
        let Some(text) = reply.text else {
            // SAFETY: `env` is the JS thread's env napi passed in.
            return unsafe { Null::to_napi_value(env, Null) };
        };
        let text = if reply.ascii && text.as_bytes().len() >= crate::external::EXTERNAL_FROM {
            match crate::external::latin1(env, text) {
                Ok(string) => return Ok(string),
                Err(text) => text,
            }
        } else {
            text
        };
        let env = Env::from_raw(env);
        let bytes = text.as_bytes();
        let string = if reply.ascii {
            env.create_string_latin1(bytes)?
        } else {
            let text = std::str::from_utf8(bytes).map_err(|e| Error::from_reason(e.to_string()))?;
            env.create_string(text)?
        };
        Ok(string.raw())
    }
}

/// Batches of log entries waiting for the JS thread, per call: bounded, so a
/// flooding function waits for `onLog` instead of growing host memory.
pub(crate) const LOG_BATCHES_IN_FLIGHT: usize = 4;

pub(crate) type OnLog = ThreadsafeFunction<String, (), String, Status, false>;

/// Hands each batch to `onLog` as a JSON array and waits until it has run.
pub(crate) async fn forward_logs(mut batches: tokio::sync::mpsc::Receiver<Vec<LogEntry>>, tsfn: OnLog) {
    while let Some(batch) = batches.recv().await {
        if tsfn.call_async(crate::to_json(&batch)).await.is_err() {
            // The JS side is gone (env teardown): drain without delivering.
            batches.close();
        }
    }
}
