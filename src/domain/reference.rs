//! Reference lists: Guizhou's administrative divisions and the occupation classification.
//! Parsed from text handed in by the caller (the files of `data/`); no I/O here.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Divisions {
    pub by_code: BTreeMap<String, Division>,
}

impl Divisions {
    pub fn parse_csv(text: &str) -> Result<Self, String> {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let mut by_code = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
            let field = |n: usize| rec.get(n).unwrap_or("").trim().to_string();
            let code = field(0);
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("row {}: code: '{code}' is not 6 digits", i + 2));
            }
            let parent = Some(field(3)).filter(|p| !p.is_empty());
            by_code.insert(
                code.clone(),
                Division {
                    code,
                    name: field(1),
                    level: field(2),
                    parent,
                },
            );
        }
        Ok(Self { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code)
    }

    /// The prefecture (市州) a code belongs to, itself for a prefecture.
    pub fn prefecture_of(&self, code: &str) -> Option<&Division> {
        let d = self.get(code)?;
        match d.level.as_str() {
            "prefecture" => Some(d),
            "county" => d.parent.as_deref().and_then(|p| self.get(p)),
            _ => None,
        }
    }

    /// Whether `code` lies within `scope` (a province, prefecture or county code).
    pub fn within(&self, code: &str, scope: &str) -> bool {
        if code == scope {
            return true;
        }
        let mut cur = self.get(code).and_then(|d| d.parent.clone());
        while let Some(p) = cur {
            if p == scope {
                return true;
            }
            cur = self.get(&p).and_then(|d| d.parent.clone());
        }
        false
    }

    pub fn counties(&self) -> impl Iterator<Item = &Division> {
        self.by_code.values().filter(|d| d.level == "county")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Occupations {
    pub by_code: BTreeMap<String, String>,
}

impl Occupations {
    /// Only rows of level `occupation` (the D-DD-DD-DD codes) are kept.
    pub fn parse_csv(text: &str) -> Result<Self, String> {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let mut by_code = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
            if rec.get(2) == Some("occupation") {
                let code = rec.get(0).unwrap_or("").to_string();
                if !is_occupation_code(&code) {
                    return Err(format!("row {}: code: '{code}' is not D-DD-DD-DD", i + 2));
                }
                by_code.insert(code, rec.get(1).unwrap_or("").to_string());
            }
        }
        Ok(Self { by_code })
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.by_code.get(code).map(String::as_str)
    }
}

/// `^[1-8]-\d{2}-\d{2}-\d{2}$`
pub fn is_occupation_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 10
        && (b'1'..=b'8').contains(&b[0])
        && b[1] == b'-'
        && b[4] == b'-'
        && b[7] == b'-'
        && [2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupation_code_format() {
        assert!(is_occupation_code("4-10-01-06"));
        assert!(is_occupation_code("6-00-00-00"));
        assert!(!is_occupation_code("9-10-01-06"));
        assert!(!is_occupation_code("4-10-01-6"));
        assert!(!is_occupation_code("4-10-01-06 "));
        assert!(!is_occupation_code("4/10/01/06"));
    }
}
