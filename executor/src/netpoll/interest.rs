//! `Interest`: which readiness a [`Registration`](super::Registration) waits for. gosched's own
//! type, so the public API does not name mio's (mio can change major version under us without
//! a breaking change here).

use std::fmt;
use std::ops::BitOr;

/// Readiness to wait for: [`READABLE`](Interest::READABLE), [`WRITABLE`](Interest::WRITABLE),
/// or both (`READABLE | WRITABLE`).
///
/// # Examples
/// ```
/// use gosched::netpoll::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const READ: u8 = 1;
const WRITE: u8 = 2;

impl Interest {
    /// Wait for the source to be readable (or for a peer's close, a hang-up or an error).
    pub const READABLE: Interest = Interest(READ);
    /// Wait for the source to be writable (or for a hang-up or an error).
    pub const WRITABLE: Interest = Interest(WRITE);

    /// Whether it includes [`READABLE`](Interest::READABLE).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::netpoll::Interest::READABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether it includes [`WRITABLE`](Interest::WRITABLE).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::netpoll::Interest::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
    }

    /// The poller's form of it.
    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            // Every value has at least one bit: the constants and their unions are the only ones.
            _ => mio::Interest::READABLE,
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (false, true) => f.write_str("WRITABLE"),
            _ => f.write_str("READABLE"),
        }
    }
}

/// What a [`ReadyEvent`](super::ReadyEvent) saw, flag by flag (both directions' flags as the
/// poller last set them), for wrappers that report readiness in their own type (gosched-net's
/// `Ready`).
impl super::ReadyEvent {
    /// The source was readable (or accepting).
    ///
    /// # Examples
    /// See [`Registration`](super::Registration); `ReadyEvent`s come from its `readiness`.
    pub fn is_readable(&self) -> bool {
        self.bits & super::record::READABLE != 0
    }

    /// The source was writable.
    ///
    /// # Examples
    /// See [`is_readable`](super::ReadyEvent::is_readable).
    pub fn is_writable(&self) -> bool {
        self.bits & super::record::WRITABLE != 0
    }

    /// The peer closed its write half: reads return 0.
    ///
    /// # Examples
    /// See [`is_readable`](super::ReadyEvent::is_readable).
    pub fn is_read_closed(&self) -> bool {
        self.bits & super::record::READ_CLOSED != 0
    }

    /// The write half is closed: writes fail.
    ///
    /// # Examples
    /// See [`is_readable`](super::ReadyEvent::is_readable).
    pub fn is_write_closed(&self) -> bool {
        self.bits & super::record::WRITE_CLOSED != 0
    }

    /// The source has a pending error.
    ///
    /// # Examples
    /// See [`is_readable`](super::ReadyEvent::is_readable).
    pub fn is_error(&self) -> bool {
        self.bits & super::record::ERROR != 0
    }
}

#[cfg(test)]
mod tests {
    use super::Interest;

    #[test]
    fn each_interest_maps_to_the_same_mio_interest() {
        let both = Interest::READABLE | Interest::WRITABLE;
        assert_eq!(Interest::READABLE.to_mio(), mio::Interest::READABLE);
        assert_eq!(Interest::WRITABLE.to_mio(), mio::Interest::WRITABLE);
        assert_eq!(both.to_mio(), mio::Interest::READABLE | mio::Interest::WRITABLE);
        assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
        assert_eq!(Interest::WRITABLE | Interest::WRITABLE, Interest::WRITABLE);
    }
}
