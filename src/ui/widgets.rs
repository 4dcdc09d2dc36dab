//! Small text helpers for drawing: cut by display width (CJK characters are two cells and
//! are never cut in half), pad to a width, and sanitise data before it reaches the terminal.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The end of `s` that fits in `w` columns, after `ellipsis` when something was left out: what
/// a text field shows while its text is longer than the field (the cursor is at the end).
pub fn tail(s: &str, w: usize, ellipsis: &str) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let room = w.saturating_sub(width(ellipsis));
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > room {
            break;
        }
        used += cw;
        start = i;
    }
    format!("{ellipsis}{}", &s[start..])
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

/// A line broken into lines of at most `w` cells, keeping each span's style: at a space or
/// after a wide (CJK) character where one is on the line, else at the edge. A wide character
/// that would straddle the edge starts the next line instead.
pub fn wrap_line(
    line: ratatui::text::Line<'static>,
    w: usize,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::style::Style;
    use ratatui::text::{Line, Span};
    let w = w.max(2);
    let cw = |c: char| c.width().unwrap_or(0);
    let style = line.style;
    let build = |glyphs: &[(char, Style)]| {
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut text = String::new();
        let mut st = None;
        for (c, s) in glyphs {
            if st.is_some_and(|x| x != *s) {
                spans.push(Span::styled(
                    std::mem::take(&mut text),
                    st.unwrap_or_default(),
                ));
            }
            st = Some(*s);
            text.push(*c);
        }
        if !text.is_empty() {
            spans.push(Span::styled(text, st.unwrap_or_default()));
        }
        Line::from(spans).style(style)
    };
    let mut out = Vec::new();
    let mut cur: Vec<(char, Style)> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        for c in span.content.chars() {
            if used + cw(c) > w {
                if c == ' ' {
                    out.push(build(&cur));
                    cur.clear();
                    used = 0;
                    continue;
                }
                let brk = if cw(c) > 1 {
                    None
                } else {
                    cur.iter()
                        .rposition(|(x, _)| *x == ' ' || cw(*x) > 1)
                        .filter(|i| *i > 0)
                };
                let rest = match brk {
                    Some(i) if cur[i].0 == ' ' => {
                        let rest = cur.split_off(i + 1);
                        cur.pop();
                        rest
                    }
                    Some(i) => cur.split_off(i + 1),
                    None => Vec::new(),
                };
                out.push(build(&cur));
                used = rest.iter().map(|(x, _)| cw(*x)).sum();
                cur = rest;
            }
            cur.push((c, span.style));
            used += cw(c);
        }
    }
    out.push(build(&cur));
    out
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
    fn a_long_field_shows_its_end() {
        assert_eq!(tail("abc", 5, "…"), "abc");
        assert_eq!(tail("贵州省人力资源", 7, "…"), "…力资源");
        assert_eq!(tail("abcdefgh", 4, "…"), "…fgh");
    }

    #[test]
    fn wrap_line_never_puts_a_wide_character_across_the_edge() {
        let l = ratatui::text::Line::from("xxxxxx更新全国技能人才评价工作网公示信息");
        let lines = wrap_line(l, 39);
        assert_eq!(lines.len(), 2);
        assert_eq!(width(&lines[0].to_string()), 38);
        assert_eq!(lines[1].to_string(), "息");
        let l = ratatui::text::Line::from("abc defg hij");
        let lines: Vec<String> = wrap_line(l, 9).iter().map(|l| l.to_string()).collect();
        assert_eq!(lines, ["abc defg", "hij"]);
        assert!(wrap_line(ratatui::text::Line::from("ab"), 10).len() == 1);
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(fit("a\x1b[2Jb", 8, "~"), "a [2Jb  ");
    }
}
