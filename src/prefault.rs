//! A large input's buffer is faulted in by a helper thread while V8 flattens
//! the string on the JS thread, so the conversion that follows writes into
//! pages that are already there instead of taking ~25,000 page faults per
//! 100 MB on the JS thread (docs/ARCHITECTURE.md, "The binding and the JS
//! layer").

/// Inputs from this many UTF-16 units on get a helper.
const PREFAULT_FROM: usize = 4 << 20;

/// Joins the helper when dropped: drop it before the buffer is freed or
/// grows.
pub(crate) struct Prefault(Option<std::thread::JoinHandle<()>>);

impl Drop for Prefault {
    fn drop(&mut self) {
        if let Some(helper) = self.0.take() {
            let _ = helper.join();
        }
    }
}

/// Faults in the first `expected` bytes of `buf`'s spare capacity (what an
/// ASCII text of `expected` units needs) on a helper thread.
pub(crate) fn start(buf: &mut Vec<u8>, expected: usize) -> Prefault {
    #[cfg(target_os = "linux")]
    if expected >= PREFAULT_FROM && buf.capacity() - buf.len() >= expected {
        const PAGE: usize = 4096;
        let start = buf.as_mut_ptr() as usize + buf.len();
        let (first, end) = (start.next_multiple_of(PAGE), (start + expected) & !(PAGE - 1));
        let helper = std::thread::Builder::new().name("alyx-prefault".into()).spawn(move || {
            // SAFETY: `first..end` lies inside `buf`'s allocation, and the
            // caller drops the returned `Prefault` (which joins this thread)
            // before it can free or move `buf` (`call::read_input`);
            // MADV_POPULATE_WRITE only maps zeroed pages where none are yet
            // and never changes bytes already written (Linux ≥ 5.14; older
            // kernels return EINVAL and the conversion faults as before).
            unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_POPULATE_WRITE) };
        });
        return Prefault(helper.ok());
    }
    let _ = (buf, expected);
    Prefault(None)
}
