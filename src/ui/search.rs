//! `/` search over the cases a reviewer may see: fuzzy on case number, credit code and name,
//! and on the name's pinyin initials (贵阳 → gy), so a reviewer without a Chinese input method
//! at hand still finds an institution.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use pinyin::ToPinyin;

pub struct SearchIndex {
    ids: Vec<i64>,
    haystacks: Vec<Utf32String>,
    matcher: Matcher,
}

/// 贵阳市某职业培训学校 → "gysmzypxxx"; non-Chinese characters are kept as they are.
pub fn pinyin_initials(s: &str) -> String {
    s.chars()
        .zip(s.to_pinyin())
        .filter_map(|(c, p)| match p {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

impl SearchIndex {
    /// `corpus`: (case id, case number, institution name, credit code).
    pub fn new(corpus: Vec<(i64, String, String, String)>) -> Self {
        let mut ids = Vec::with_capacity(corpus.len());
        let mut haystacks = Vec::with_capacity(corpus.len());
        for (id, case_no, name, code) in corpus {
            ids.push(id);
            let text = format!("{case_no} {code} {name} {}", pinyin_initials(&name));
            haystacks.push(Utf32String::from(text.as_str()));
        }
        Self {
            ids,
            haystacks,
            matcher: Matcher::new(Config::DEFAULT),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Case ids that match, best first. An empty query matches nothing (the caller shows
    /// the unfiltered queue then).
    pub fn search(&mut self, query: &str) -> Vec<i64> {
        if query.trim().is_empty() {
            return Vec::new();
        }
        let pattern = Pattern::new(
            query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut scored: Vec<(u32, usize)> = self
            .haystacks
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                pattern
                    .score(h.slice(..), &mut self.matcher)
                    .map(|s| (s, i))
            })
            .collect();
        // Best score first; ties keep the queue's order so results do not jump around.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, i)| self.ids[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SearchIndex {
        SearchIndex::new(vec![
            (
                1,
                "GZ-2026-S-0001".into(),
                "贵阳市云岩区职业培训学校".into(),
                "52520102MA6DK7Q11C".into(),
            ),
            (
                2,
                "GZ-2026-R-0002".into(),
                "遵义市红花岗区人力资源服务有限公司".into(),
                "91520302MA6DL0QX4K".into(),
            ),
            (
                3,
                "GZ-2026-E-0003".into(),
                "六盘水职业技术学院".into(),
                "12520200MB1234567X".into(),
            ),
        ])
    }

    #[test]
    fn initials() {
        assert_eq!(pinyin_initials("贵阳市云岩区"), "gysyyq");
        assert_eq!(pinyin_initials("A座3楼"), "az3l");
    }

    #[test]
    fn finds_by_chinese_pinyin_code_and_case_no() {
        let mut ix = index();
        assert_eq!(ix.search("遵义").first(), Some(&2));
        assert_eq!(ix.search("gysyy").first(), Some(&1));
        assert_eq!(ix.search("lpszy").first(), Some(&3));
        assert_eq!(ix.search("91520302").first(), Some(&2));
        assert_eq!(ix.search("E-0003").first(), Some(&3));
        assert!(ix.search("").is_empty());
        assert!(ix.search("zzzzqqq").is_empty());
    }
}
