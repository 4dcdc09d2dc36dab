//! Small text helpers for drawing: cut by display width (CJK characters are two cells and
//! are never cut in half), pad to a width, and sanitise data before it reaches the terminal.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` sanitised and cut to at most `w` cells, ending in `ellipsis` when cut.
pub fn cut(s: &str, w: usize, ellipsis: &str) -> String {
    let s = crate::text::sanitize(s);
    if width(&s) <= w {
        return s;
    }
    let ew = width(ellipsis);
    if w < ew {
        return " ".repeat(w);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - ew {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push_str(ellipsis);
    // A wide character that did not fit leaves one cell: fill it so columns line up.
    let total = used + ew;
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(total)));
    out
}

/// `s` cut to `w` cells and padded with spaces to exactly `w`.
pub fn fit(s: &str, w: usize, ellipsis: &str) -> String {
    let mut c = cut(s, w, ellipsis);
    let cw = width(&c);
    c.extend(std::iter::repeat_n(' ', w.saturating_sub(cw)));
    c
}

/// Right-aligned in `w` cells.
pub fn fit_right(s: &str, w: usize) -> String {
    let c = cut(s, w, "");
    format!("{}{c}", " ".repeat(w.saturating_sub(width(&c))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_cjk_by_width_never_mid_character() {
        assert_eq!(cut("贵阳市职业培训学校", 7, "~"), "贵阳市~");
        assert_eq!(width(&cut("贵阳市职业培训学校", 8, "~")), 8);
        assert_eq!(cut("贵阳市职业培训学校", 8, "~"), "贵阳市~ ");
        assert_eq!(fit("abc", 5, "~"), "abc  ");
        assert_eq!(fit("贵阳", 5, "~"), "贵阳 ");
        assert_eq!(fit_right("12", 4), "  12");
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(fit("a\x1b[2Jb", 8, "~"), "a [2Jb  ");
    }
}
