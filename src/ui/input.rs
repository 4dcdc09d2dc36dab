//! The keys a terminal sends, decoded from the bytes on standard input into crossterm's key
//! events. crossterm's own reader keeps the answers to cursor-position questions to itself
//! (only its blocking `cursor::position()` sees them) and loops for ever on a terminal that
//! has hung up; the desk needs to see each answer as it arrives, among the keys, to keep one
//! frame in flight on a slow link. What a reviewer's terminal sends in raw mode is small: text
//! (any UTF-8, as an input method sends it), control keys, and the CSI/SS3 sequences of the
//! cursor, editing and function keys.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Event(Event),
    /// The answer to a cursor-position question (`CSI row ; col R`).
    CursorReport,
}

/// Longest escape sequence kept while waiting for its end; anything longer is noise.
const MAX_SEQUENCE: usize = 64;

#[derive(Default)]
pub struct Decoder {
    pending: Vec<u8>,
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Input {
    Input::Event(Event::Key(KeyEvent::new(code, modifiers)))
}

/// xterm's modifier parameter: 1 + (1 Shift, 2 Alt, 4 Ctrl).
fn modifiers(param: Option<u16>) -> KeyModifiers {
    let bits = param.unwrap_or(1).saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    if bits & 1 != 0 {
        m |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        m |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        m |= KeyModifiers::CONTROL;
    }
    m
}

fn char_key(c: char) -> Input {
    let m = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key(KeyCode::Char(c), m)
}

fn control(b: u8) -> Option<Input> {
    Some(match b {
        b'\r' | b'\n' => key(KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => key(KeyCode::Tab, KeyModifiers::NONE),
        0x7f | 0x08 => key(KeyCode::Backspace, KeyModifiers::NONE),
        0x00 => key(KeyCode::Char(' '), KeyModifiers::CONTROL),
        0x01..=0x1a => key(KeyCode::Char((b - 1 + b'a') as char), KeyModifiers::CONTROL),
        0x1c..=0x1f => key(
            KeyCode::Char((b - 0x1c + b'4') as char),
            KeyModifiers::CONTROL,
        ),
        _ => return None,
    })
}

/// What one CSI sequence means: `params` are the bytes between `ESC [` and the final byte.
fn csi(params: &[u8], fin: u8) -> Option<Input> {
    if params
        .first()
        .is_some_and(|b| !b.is_ascii_digit() && *b != b';')
    {
        // Private sequences (`?`, `<`, `>`): answers and reports the desk never asked for.
        return None;
    }
    let text = std::str::from_utf8(params).ok()?;
    let nums: Vec<Option<u16>> = text.split(';').map(|p| p.parse().ok()).collect();
    let first = nums.first().copied().flatten();
    let m = modifiers(nums.get(1).copied().flatten());
    let code = match fin {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => return Some(key(KeyCode::BackTab, KeyModifiers::SHIFT)),
        b'R' if nums.len() == 2 => return Some(Input::CursorReport),
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'S' => KeyCode::F(4),
        b'~' => match first? {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            n @ 11..=15 => KeyCode::F((n - 10) as u8),
            n @ 17..=21 => KeyCode::F((n - 11) as u8),
            n @ 23..=24 => KeyCode::F((n - 12) as u8),
            _ => return None,
        },
        _ => return None,
    };
    Some(key(code, m))
}

fn ss3(b: u8) -> Option<Input> {
    let code = match b {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    };
    Some(key(code, KeyModifiers::NONE))
}

/// Length of the UTF-8 sequence a lead byte starts (0: not a lead byte).
fn utf8_len(b: u8) -> usize {
    match b {
        0x20..=0x7e => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 0,
    }
}

enum Step {
    /// Consumed this many bytes, with this meaning (if any).
    Done(usize, Option<Input>),
    /// The bytes so far are the start of something longer.
    Incomplete,
}

fn step(buf: &[u8]) -> Step {
    let b = buf[0];
    if b == 0x1b {
        let Some(&next) = buf.get(1) else {
            // A lone ESC at the end of what arrived is the Esc key.
            return Step::Done(1, Some(key(KeyCode::Esc, KeyModifiers::NONE)));
        };
        return match next {
            // The Linux console's F1–F5: ESC [ [ A … E.
            b'[' if buf.get(2) == Some(&b'[') => match buf.get(3) {
                Some(&c @ b'A'..=b'E') => {
                    Step::Done(4, Some(key(KeyCode::F(c - b'A' + 1), KeyModifiers::NONE)))
                }
                Some(_) => Step::Done(4, None),
                None => Step::Incomplete,
            },
            b'[' => match buf[2..].iter().position(|b| (0x40..=0x7e).contains(b)) {
                Some(i) => Step::Done(3 + i, csi(&buf[2..2 + i], buf[2 + i])),
                None if buf.len() > MAX_SEQUENCE => Step::Done(buf.len(), None),
                // Cut between two reads (an SSH packet's end): wait for the rest.
                None => Step::Incomplete,
            },
            b'O' => match buf.get(2) {
                Some(&c) => Step::Done(3, ss3(c)),
                None => Step::Incomplete,
            },
            0x1b => Step::Done(1, Some(key(KeyCode::Esc, KeyModifiers::NONE))),
            _ => match step(&buf[1..]) {
                // Alt held: ESC then the key.
                Step::Done(n, Some(Input::Event(Event::Key(mut k)))) => {
                    k.modifiers |= KeyModifiers::ALT;
                    Step::Done(n + 1, Some(Input::Event(Event::Key(k))))
                }
                Step::Done(n, other) => Step::Done(n + 1, other),
                Step::Incomplete => Step::Incomplete,
            },
        };
    }
    if b < 0x20 || b == 0x7f {
        return Step::Done(1, control(b));
    }
    let n = utf8_len(b);
    if n == 0 {
        return Step::Done(1, None);
    }
    if buf.len() < n {
        return Step::Incomplete;
    }
    match std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Step::Done(n, Some(char_key(c))),
        None => Step::Done(1, None),
    }
}

impl Decoder {
    /// Bytes that began a sequence and wait for its end.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Nothing more came for a while after the start of a sequence: it was keys after all (Esc
    /// then `[`, typed quickly), not a sequence cut between reads. Without this the next key
    /// would be taken as the sequence's end.
    pub fn flush(&mut self) -> Vec<Input> {
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        let rest = match pending.split_first() {
            Some((0x1b, rest)) => {
                out.push(key(KeyCode::Esc, KeyModifiers::NONE));
                rest
            }
            _ => &pending[..],
        };
        out.extend(self.feed(rest));
        // What still waits is a broken character: dropped.
        self.pending.clear();
        out
    }

    /// Decodes what arrived in one read. An escape sequence cut by the end of the read waits
    /// for the next one; a lone ESC at the end is the Esc key, as terminals send it.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            match step(&self.pending[at..]) {
                Step::Done(n, input) => {
                    out.extend(input);
                    at += n;
                }
                Step::Incomplete => break,
            }
        }
        self.pending.drain(..at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Input> {
        Decoder::default().feed(bytes)
    }

    fn k(code: KeyCode) -> Input {
        key(code, KeyModifiers::NONE)
    }

    #[test]
    fn text_and_control_keys() {
        assert_eq!(
            keys("jG评审\r\t\x7f".as_bytes()),
            vec![
                k(KeyCode::Char('j')),
                key(KeyCode::Char('G'), KeyModifiers::SHIFT),
                k(KeyCode::Char('评')),
                k(KeyCode::Char('审')),
                k(KeyCode::Enter),
                k(KeyCode::Tab),
                k(KeyCode::Backspace),
            ]
        );
        assert_eq!(
            keys(b"\x13\x03"),
            vec![
                key(KeyCode::Char('s'), KeyModifiers::CONTROL),
                key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            ]
        );
    }

    #[test]
    fn cursor_editing_and_function_keys() {
        assert_eq!(
            keys(b"\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[H\x1b[4~\x1b[3~\x1b[Z\x1bOP\x1b[15~"),
            vec![
                k(KeyCode::Up),
                k(KeyCode::Down),
                k(KeyCode::PageUp),
                k(KeyCode::PageDown),
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::Delete),
                key(KeyCode::BackTab, KeyModifiers::SHIFT),
                k(KeyCode::F(1)),
                k(KeyCode::F(5)),
            ]
        );
        assert_eq!(
            keys(b"\x1b[1;5C"),
            vec![key(KeyCode::Right, KeyModifiers::CONTROL)]
        );
    }

    #[test]
    fn cursor_reports_come_out_among_the_keys() {
        assert_eq!(
            keys(b"j\x1b[12;40Rk"),
            vec![
                k(KeyCode::Char('j')),
                Input::CursorReport,
                k(KeyCode::Char('k'))
            ]
        );
    }

    #[test]
    fn esc_alone_alt_and_sequences_cut_between_reads() {
        assert_eq!(keys(b"\x1b"), vec![k(KeyCode::Esc)]);
        assert_eq!(
            keys(b"\x1bq"),
            vec![key(KeyCode::Char('q'), KeyModifiers::ALT)]
        );
        let mut d = Decoder::default();
        assert_eq!(d.feed(b"\x1b[1"), vec![]);
        assert_eq!(d.feed(b"2;3R"), vec![Input::CursorReport]);
        // A Chinese character cut in two by the end of a read.
        let bytes = "审".as_bytes();
        assert_eq!(d.feed(&bytes[..2]), vec![]);
        assert_eq!(d.feed(&bytes[2..]), vec![k(KeyCode::Char('审'))]);
        // Noise never wedges the decoder.
        assert_eq!(d.feed(b"\x1b[?1;2c\xffj"), vec![k(KeyCode::Char('j'))]);
        // Esc then `[` typed quickly, and nothing after: keys, once the wait is over.
        assert_eq!(d.feed(b"\x1b["), vec![]);
        assert!(d.waiting());
        assert_eq!(d.flush(), vec![k(KeyCode::Esc), k(KeyCode::Char('['))]);
        assert!(!d.waiting());
        assert_eq!(
            d.feed(b"B"),
            vec![key(KeyCode::Char('B'), KeyModifiers::SHIFT)]
        );
        // The Linux console's function keys.
        assert_eq!(
            d.feed(b"\x1b[[A\x1b[[E"),
            vec![k(KeyCode::F(1)), k(KeyCode::F(5))]
        );
    }
}
