//! `Interest` and `Ready`: tokio's readiness types, for `ready(interest)`, `readable()` and
//! `writable()` on the socket types.

use gosched_executor::netpoll::{Direction, ReadyEvent};
use std::fmt;
use std::ops;

const READABLE: u8 = 1;
const WRITABLE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;
const ERROR: u8 = 1 << 4;

/// The readiness a `ready` call waits for: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), [`ERROR`](Interest::ERROR), or a union of them (`|`).
///
/// # Examples
/// ```
/// use gosched::net::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable() && !both.is_error());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// assert_eq!(Interest::READABLE.add(Interest::ERROR), Interest::READABLE | Interest::ERROR);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Readable: data to read, a connection to accept, the peer's close.
    pub const READABLE: Interest = Interest(READABLE);
    /// Writable: room to write, or the write half closed.
    pub const WRITABLE: Interest = Interest(WRITABLE);
    /// An error pending on the socket (always reported with the other interests too).
    pub const ERROR: Interest = Interest(ERROR);

    /// Whether it includes [`READABLE`](Interest::READABLE).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Interest::READABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether it includes [`WRITABLE`](Interest::WRITABLE).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Interest::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Whether it includes [`ERROR`](Interest::ERROR).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Interest::ERROR.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// The union of both (`self | other`, usable in `const`).
    ///
    /// # Examples
    /// ```
    /// use gosched::net::Interest;
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert!(BOTH.is_writable());
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` when nothing is left.
    ///
    /// # Examples
    /// ```
    /// use gosched::net::Interest;
    /// let both = Interest::READABLE | Interest::WRITABLE;
    /// assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// ```
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_flags(f, self.0)
    }
}

/// The readiness a `ready` call found: any of readable, writable, read closed, write closed,
/// error. It may be stale (another task, or the kernel, got there first): the operation it
/// allows can still say `WouldBlock`.
///
/// # Examples
/// ```
/// use gosched::net::Ready;
///
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
/// assert!(Ready::EMPTY.is_empty());
/// assert!(Ready::WRITE_CLOSED.is_writable(), "a closed half is ready: writes fail at once");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ready(u8);

impl Ready {
    /// Nothing.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(READABLE);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITABLE);
    /// The peer closed its write half: reads return 0.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write half is closed: writes fail.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// An error is pending: the next operation returns it.
    pub const ERROR: Ready = Ready(ERROR);
    /// Every flag.
    pub const ALL: Ready = Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR);

    /// Whether no flag is set.
    ///
    /// # Examples
    /// ```
    /// assert!(!gosched::net::Ready::READABLE.is_empty());
    /// ```
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Readable, or read closed (a read returns at once either way).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Ready::READ_CLOSED.is_readable());
    /// ```
    pub fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// Writable, or write closed (a write returns at once either way).
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Ready::WRITABLE.is_writable());
    /// ```
    pub fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// The peer closed its write half.
    ///
    /// # Examples
    /// ```
    /// assert!(!gosched::net::Ready::READABLE.is_read_closed());
    /// ```
    pub fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// The write half is closed.
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Ready::WRITE_CLOSED.is_write_closed());
    /// ```
    pub fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// An error is pending.
    ///
    /// # Examples
    /// ```
    /// assert!(gosched::net::Ready::ERROR.is_error());
    /// ```
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// The flags an interest can see (tokio's `Ready::from_interest`).
    fn from_interest(i: Interest) -> Ready {
        let mut r = Ready::EMPTY;
        if i.is_readable() {
            r |= Ready::READABLE | Ready::READ_CLOSED;
        }
        if i.is_writable() {
            r |= Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        if i.is_error() {
            r |= Ready::ERROR;
        }
        r
    }

    /// What `ev` (the readiness of direction `dir`) says, as far as `interest` can see it. A
    /// pending error always shows, and makes the direction read as ready, so a caller that
    /// only checks `is_readable`/`is_writable` goes on to the operation, which returns the
    /// error, instead of waiting again.
    pub(crate) fn from_event(ev: &ReadyEvent, dir: Direction, interest: Interest) -> Ready {
        let mut r = Ready::EMPTY;
        for (on, flag) in [
            (ev.is_readable(), Ready::READABLE),
            (ev.is_writable(), Ready::WRITABLE),
            (ev.is_read_closed(), Ready::READ_CLOSED),
            (ev.is_write_closed(), Ready::WRITE_CLOSED),
        ] {
            if on {
                r |= flag;
            }
        }
        let mut r = r & Ready::from_interest(interest);
        if ev.is_error() {
            r |= Ready::ERROR;
            r |= match dir {
                Direction::Read => Ready::READABLE,
                Direction::Write => Ready::WRITABLE,
            };
        }
        if r.is_empty() {
            // Woken for this direction by a flag not mapped above (the registration going
            // away): report the direction, whose operation then says what happened.
            r = match dir {
                Direction::Read => Ready::READABLE,
                Direction::Write => Ready::WRITABLE,
            };
        }
        r
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_flags(f, self.0)
    }
}

fn write_flags(f: &mut fmt::Formatter<'_>, bits: u8) -> fmt::Result {
    let names = [
        (READABLE, "READABLE"),
        (WRITABLE, "WRITABLE"),
        (READ_CLOSED, "READ_CLOSED"),
        (WRITE_CLOSED, "WRITE_CLOSED"),
        (ERROR, "ERROR"),
    ];
    let mut first = true;
    for (bit, name) in names {
        if bits & bit != 0 {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
    }
    if first {
        f.write_str("EMPTY")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Interest, Ready};

    #[test]
    fn debug_names_each_flag() {
        assert_eq!(
            format!("{:?}", Ready::READABLE | Ready::ERROR),
            "READABLE | ERROR"
        );
        assert_eq!(format!("{:?}", Ready::EMPTY), "EMPTY");
        assert_eq!(format!("{:?}", Interest::WRITABLE), "WRITABLE");
        assert_eq!((Ready::ALL - Ready::ERROR) & Ready::ERROR, Ready::EMPTY);
    }
}
