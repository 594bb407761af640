//! `ReadBuf`: a borrowed byte buffer that tracks how much of it is filled and how much is
//! initialized, so a reader may write into uninitialized memory without reading it.
//!
//! Invariant: `filled <= initialized <= buf.len()`, and `buf[..initialized]` is initialized.

use std::fmt;
use std::mem::MaybeUninit;

/// A wrapper around a byte buffer that is incrementally filled and initialized (tokio's
/// `ReadBuf`).
///
/// ```
/// let mut storage = [0u8; 8];
/// let mut buf = tokio::io::ReadBuf::new(&mut storage);
/// buf.put_slice(b"abc");
/// assert_eq!(buf.filled(), b"abc");
/// assert_eq!(buf.remaining(), 5);
/// ```
pub struct ReadBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
    initialized: usize,
}

impl<'a> ReadBuf<'a> {
    /// A `ReadBuf` over a fully initialized buffer.
    pub fn new(buf: &'a mut [u8]) -> ReadBuf<'a> {
        let initialized = buf.len();
        // SAFETY: `[u8]` and `[MaybeUninit<u8>]` have the same layout, and every byte of `buf`
        // is initialized, which `initialized = len` records; nothing de-initializes a byte.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        ReadBuf {
            buf,
            filled: 0,
            initialized,
        }
    }

    /// A `ReadBuf` over a buffer that may be uninitialized.
    pub fn uninit(buf: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf {
            buf,
            filled: 0,
            initialized: 0,
        }
    }

    /// The buffer's total size.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The filled part.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: `filled <= initialized`, and `buf[..initialized]` is initialized.
        unsafe { slice_assume_init(&self.buf[..self.filled]) }
    }

    /// The filled part, mutably.
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `filled`.
        unsafe { slice_assume_init_mut(&mut self.buf[..self.filled]) }
    }

    /// A new `ReadBuf` over at most `n` bytes of the unfilled part (its filled count starts at
    /// 0; what it fills is not counted here until `advance` or `set_filled`).
    pub fn take(&mut self, n: usize) -> ReadBuf<'_> {
        let max = n.min(self.remaining());
        let initialized = self.initialized.saturating_sub(self.filled).min(max);
        ReadBuf {
            buf: &mut self.buf[self.filled..self.filled + max],
            filled: 0,
            initialized,
        }
    }

    /// The initialized part (filled or not).
    pub fn initialized(&self) -> &[u8] {
        // SAFETY: `buf[..initialized]` is initialized.
        unsafe { slice_assume_init(&self.buf[..self.initialized]) }
    }

    /// The initialized part, mutably.
    pub fn initialized_mut(&mut self) -> &mut [u8] {
        // SAFETY: `buf[..initialized]` is initialized.
        unsafe { slice_assume_init_mut(&mut self.buf[..self.initialized]) }
    }

    /// The whole buffer, which may be uninitialized.
    ///
    /// # Safety
    /// The caller must not de-initialize any byte that was initialized.
    pub unsafe fn inner_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.buf
    }

    /// The unfilled part, which may be uninitialized.
    ///
    /// # Safety
    /// The caller must not de-initialize any byte that was initialized.
    pub unsafe fn unfilled_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.buf[self.filled..]
    }

    /// The unfilled part, zeroing whatever of it was not initialized.
    pub fn initialize_unfilled(&mut self) -> &mut [u8] {
        self.initialize_unfilled_to(self.remaining())
    }

    /// The first `n` unfilled bytes, zeroing whatever of them was not initialized.
    ///
    /// # Panics
    /// If fewer than `n` bytes remain.
    #[track_caller]
    pub fn initialize_unfilled_to(&mut self, n: usize) -> &mut [u8] {
        assert!(
            self.remaining() >= n,
            "ReadBuf: n overflows the remaining capacity"
        );
        let end = self.filled + n;
        if self.initialized < end {
            self.buf[self.initialized..end].fill(MaybeUninit::new(0));
            self.initialized = end;
        }
        // SAFETY: `buf[..end]` is initialized now (`end <= initialized`).
        unsafe { slice_assume_init_mut(&mut self.buf[self.filled..end]) }
    }

    /// Bytes not yet filled.
    pub fn remaining(&self) -> usize {
        self.capacity() - self.filled
    }

    /// Marks the buffer empty (the initialized part stays initialized).
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Adds `n` bytes to the filled part.
    ///
    /// # Panics
    /// If the filled part would pass the initialized part.
    #[track_caller]
    pub fn advance(&mut self, n: usize) {
        let new = self.filled.checked_add(n).expect("ReadBuf: filled overflow");
        self.set_filled(new);
    }

    /// Sets the filled part's length.
    ///
    /// # Panics
    /// If `n` is past the initialized part.
    #[track_caller]
    pub fn set_filled(&mut self, n: usize) {
        assert!(
            n <= self.initialized,
            "ReadBuf: filled must not become larger than initialized"
        );
        self.filled = n;
    }

    /// Records that the first `n` unfilled bytes are initialized.
    ///
    /// # Safety
    /// The caller must have initialized `unfilled_mut()[..n]`.
    pub unsafe fn assume_init(&mut self, n: usize) {
        let end = self.filled + n;
        if end > self.initialized {
            self.initialized = end;
        }
    }

    /// Appends `src` to the filled part.
    ///
    /// # Panics
    /// If `src` is longer than `remaining()`.
    #[track_caller]
    pub fn put_slice(&mut self, src: &[u8]) {
        assert!(
            self.remaining() >= src.len(),
            "ReadBuf: buf.len() must fit in remaining()"
        );
        let end = self.filled + src.len();
        // SAFETY: `MaybeUninit<u8>` has `u8`'s layout; `src` and `buf` do not overlap (one is
        // borrowed shared, the other exclusively); `end <= capacity` was checked above.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                self.buf[self.filled..end].as_mut_ptr().cast::<u8>(),
                src.len(),
            );
        }
        if self.initialized < end {
            self.initialized = end;
        }
        self.filled = end;
    }
}

impl fmt::Debug for ReadBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("filled", &self.filled)
            .field("initialized", &self.initialized)
            .field("capacity", &self.capacity())
            .finish()
    }
}

// SAFETY: `remaining_mut` is the unfilled length; `chunk_mut` is the unfilled region (possibly
// uninitialized, which `UninitSlice` allows); `advance_mut(cnt)` is called by the `BufMut`
// contract only after the caller initialized the first `cnt` bytes of that chunk, so marking
// them initialized and filled keeps `filled <= initialized`.
unsafe impl bytes_crate::BufMut for ReadBuf<'_> {
    fn remaining_mut(&self) -> usize {
        self.remaining()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller initialized `cnt` unfilled bytes (the `BufMut` contract).
        unsafe { self.assume_init(cnt) };
        self.advance(cnt);
    }

    fn chunk_mut(&mut self) -> &mut bytes_crate::buf::UninitSlice {
        // SAFETY: `UninitSlice` never de-initializes the bytes it is handed.
        bytes_crate::buf::UninitSlice::uninit(unsafe { self.unfilled_mut() })
    }
}

/// # Safety
/// Every byte of `s` must be initialized.
unsafe fn slice_assume_init(s: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: same layout; the caller guarantees initialization.
    unsafe { &*(s as *const [MaybeUninit<u8>] as *const [u8]) }
}

/// # Safety
/// Every byte of `s` must be initialized.
unsafe fn slice_assume_init_mut(s: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    // SAFETY: same layout; the caller guarantees initialization.
    unsafe { &mut *(s as *mut [MaybeUninit<u8>] as *mut [u8]) }
}
