//! Text from files is never trusted: it is stripped of terminal control characters (C0, C1,
//! DEL, and the bidi overrides that reorder what a reviewer sees) before it is drawn.

/// Replaces control and bidi-control characters with spaces; CJK text is kept intact.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { ' ' } else { c })
        .collect()
}

pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_and_bidi() {
        assert_eq!(sanitize("贵阳\x1b[31m红\x07"), "贵阳 [31m红 ");
        assert_eq!(sanitize("a\u{202E}b\u{9b}c"), "a b c");
        assert_eq!(sanitize("家政服务员"), "家政服务员");
    }
}
