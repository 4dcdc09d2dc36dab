//! Unified social credit code (统一社会信用代码, GB 32100-2015) and its embedded organisation
//! code (GB 11714). Both check characters are verified.

pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditCodeError {
    Length(usize),
    Character { position: usize, ch: char },
    OrgCheck { expected: char, found: char },
    Check { expected: char, found: char },
}

impl CreditCodeError {
    /// A wrong check character may be a legacy code from an early pilot city; the format
    /// errors never are.
    pub fn is_check_failure(&self) -> bool {
        matches!(self, Self::OrgCheck { .. } | Self::Check { .. })
    }
}

impl std::fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Length(n) => write!(f, "must be 18 characters, found {n}"),
            Self::Character { position, ch } => write!(
                f,
                "character {position} '{}' is not allowed (only 0-9 and A-Y without I, O, S, V, Z)",
                ch.escape_debug()
            ),
            Self::OrgCheck { expected, found } => write!(
                f,
                "organisation-code check character (17th) is '{found}', expected '{expected}' (GB 11714)"
            ),
            Self::Check { expected, found } => write!(
                f,
                "check character (18th) is '{found}', expected '{expected}' (GB 32100)"
            ),
        }
    }
}

fn value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The 18th character for the first 17.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 1u32;
    for c in first17.chars().take(17) {
        sum += value(c)? * weight;
        weight = weight * 3 % 31;
    }
    let idx = (31 - sum % 31) % 31;
    CHARSET.chars().nth(idx as usize)
}

/// The 9th character of an organisation code for its first 8.
pub fn org_check_char(first8: &str) -> Option<char> {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0u32;
    for (c, w) in first8.chars().zip(W) {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

pub fn verify(code: &str) -> Result<(), CreditCodeError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(CreditCodeError::Length(chars.len()));
    }
    for (i, &ch) in chars.iter().enumerate() {
        if value(ch).is_none() {
            return Err(CreditCodeError::Character {
                position: i + 1,
                ch,
            });
        }
    }
    let org: String = chars[8..16].iter().collect();
    if let Some(expected) = org_check_char(&org) {
        if expected != chars[16] {
            return Err(CreditCodeError::OrgCheck {
                expected,
                found: chars[16],
            });
        }
    }
    let first17: String = chars[..17].iter().collect();
    if let Some(expected) = check_char(&first17) {
        if expected != chars[17] {
            return Err(CreditCodeError::Check {
                expected,
                found: chars[17],
            });
        }
    }
    Ok(())
}

/// Completes a 16-character stem (authority, type, division, 8 organisation characters) with
/// both check characters. Used to make valid codes for demo data and tests.
pub fn complete(stem16: &str) -> Option<String> {
    if stem16.chars().count() != 16 {
        return None;
    }
    let org: String = stem16.chars().skip(8).collect();
    let mut code = stem16.to_string();
    code.push(org_check_char(&org)?);
    let c18 = check_char(&code)?;
    code.push(c18);
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_sample_is_valid() {
        assert_eq!(verify("52520102MA6DK7Q11C"), Ok(()));
    }

    #[test]
    fn wrong_check_char_names_expected() {
        assert_eq!(
            verify("52520102MA6DK7Q11D"),
            Err(CreditCodeError::Check {
                expected: 'C',
                found: 'D'
            })
        );
        assert!(matches!(
            verify("52520102MA6DK7Q12C"),
            Err(CreditCodeError::OrgCheck { .. })
        ));
        assert_eq!(verify("5252"), Err(CreditCodeError::Length(4)));
        assert!(matches!(
            verify("52520102MA6DK7QI1C"),
            Err(CreditCodeError::Character { position: 16, .. })
        ));
    }

    #[test]
    fn complete_makes_valid_codes() {
        let c = complete("9152010012345678").expect("stem");
        assert_eq!(verify(&c), Ok(()));
    }
}
