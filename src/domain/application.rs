//! The application file `pingshen.application/1` (SPEC section 5): what the online platform
//! sends to the office. Unknown fields are refused; missing figures stay `None` so that the
//! evaluation can report `review` for them instead of guessing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "pingshen.application/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Selection,
    Renewal,
    Exit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Employer,
    School,
    SocialOrg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    Enterprise,
    School,
    PrivateNonEnterprise,
    SocialGroup,
    PublicInstitution,
    GovernmentBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseClass {
    AboveScale,
    ChainLeader,
    IndustryLeader,
    SpecializedNew,
    LocalFeatured,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagementRule {
    ExamAffairs,
    Personnel,
    Finance,
    Archives,
    QuestionBank,
    Certificates,
    Discipline,
}

impl ManagementRule {
    pub const ALL: [ManagementRule; 7] = [
        Self::ExamAffairs,
        Self::Personnel,
        Self::Finance,
        Self::Archives,
        Self::QuestionBank,
        Self::Certificates,
        Self::Discipline,
    ];
    pub fn word(self) -> &'static str {
        match self {
            Self::ExamAffairs => "exam_affairs",
            Self::Personnel => "personnel",
            Self::Finance => "finance",
            Self::Archives => "archives",
            Self::QuestionBank => "question_bank",
            Self::Certificates => "certificates",
            Self::Discipline => "discipline",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Self::ExamAffairs => "考务管理",
            Self::Personnel => "人员管理",
            Self::Finance => "财务管理",
            Self::Archives => "档案管理",
            Self::QuestionBank => "题库管理",
            Self::Certificates => "证书管理",
            Self::Discipline => "违规违纪管理",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Room {
    ExamAffairs,
    Confidential,
    Archive,
    Waiting,
}

impl Room {
    pub fn word(self) -> &'static str {
        match self {
            Self::ExamAffairs => "exam_affairs",
            Self::Confidential => "confidential",
            Self::Archive => "archive",
            Self::Waiting => "waiting",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Self::ExamAffairs => "考务室",
            Self::Confidential => "保密室",
            Self::Archive => "档案室",
            Self::Waiting => "候考室",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Premises {
    Owned,
    Leased,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Exclusion {
    #[serde(rename = "A7.1")]
    A7_1,
    #[serde(rename = "A7.2")]
    A7_2,
    #[serde(rename = "A7.3")]
    A7_3,
    #[serde(rename = "A7.4")]
    A7_4,
    #[serde(rename = "A7.5")]
    A7_5,
    #[serde(rename = "A7.6")]
    A7_6,
}

impl Exclusion {
    pub fn id(self) -> &'static str {
        match self {
            Self::A7_1 => "A7.1",
            Self::A7_2 => "A7.2",
            Self::A7_3 => "A7.3",
            Self::A7_4 => "A7.4",
            Self::A7_5 => "A7.5",
            Self::A7_6 => "A7.6",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Material {
    #[serde(rename = "M11.1")]
    M11_1,
    #[serde(rename = "M11.2")]
    M11_2,
    #[serde(rename = "M11.3")]
    M11_3,
    #[serde(rename = "M11.4")]
    M11_4,
    #[serde(rename = "M11.5")]
    M11_5,
}

impl Material {
    pub fn id(self) -> &'static str {
        match self {
            Self::M11_1 => "M11.1",
            Self::M11_2 => "M11.2",
            Self::M11_3 => "M11.3",
            Self::M11_4 => "M11.4",
            Self::M11_5 => "M11.5",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    Voluntary,
    Automatic,
    Ordered,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub format: String,
    pub case_no: String,
    pub kind: CaseKind,
    #[serde(deserialize_with = "de_date")]
    pub submitted_on: NaiveDate,
    pub institution: Institution,
    #[serde(default)]
    pub occupations: Vec<Occupation>,
    #[serde(default)]
    pub facts: Facts,
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    #[serde(default)]
    pub materials: Vec<Material>,
    #[serde(default)]
    pub exit: Option<ExitInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    pub name: String,
    pub credit_code: String,
    pub category: Category,
    #[serde(default)]
    pub legal_form: Option<LegalForm>,
    pub region: String,
    #[serde(default)]
    pub legal_representative: Option<String>,
    #[serde(default)]
    pub enterprise_class: Vec<EnterpriseClass>,
    #[serde(default)]
    pub guizhou_featured: bool,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub valid_to: Option<NaiveDate>,
}

impl Institution {
    /// The legal form that art. 7 turns on: given for a social_org; an employer is an
    /// enterprise and a school a school unless the file says otherwise.
    pub fn effective_legal_form(&self) -> Option<LegalForm> {
        self.legal_form.or(match self.category {
            Category::Employer => Some(LegalForm::Enterprise),
            Category::School => Some(LegalForm::School),
            Category::SocialOrg => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occupation {
    pub code: String,
    pub name: String,
    pub levels: Vec<u8>,
    #[serde(default)]
    pub new_occupation: bool,
    #[serde(default)]
    pub training_volume: Option<u32>,
    #[serde(default)]
    pub examiners: Option<u32>,
    #[serde(default)]
    pub matching_major: Option<String>,
    #[serde(default)]
    pub certificates_declared: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    #[serde(default)]
    pub training_years: Option<u32>,
    #[serde(default)]
    pub full_time_staff: Option<u32>,
    #[serde(default)]
    pub quality_supervisors: Option<u32>,
    #[serde(default)]
    pub experts: Option<u32>,
    #[serde(default)]
    pub management_rules: Option<Vec<ManagementRule>>,
    #[serde(default)]
    pub premises: Option<Premises>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub lease_end: Option<NaiveDate>,
    #[serde(default)]
    pub office_area_m2: Option<f64>,
    #[serde(default)]
    pub rooms: Option<Vec<Room>>,
    #[serde(default)]
    pub standard_exam_rooms: Option<u32>,
    #[serde(default)]
    pub computer_exam_seats: Option<u32>,
    #[serde(default)]
    pub desk_spacing_cm: Option<f64>,
    #[serde(default)]
    pub exam_video_surveillance: Option<bool>,
    #[serde(default)]
    pub practical_video_full_coverage: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitInfo {
    pub kind: ExitKind,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub requested_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub intended_end: Option<NaiveDate>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub trigger_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub deadline: Option<NaiveDate>,
}

/// Dates are `YYYY-MM-DD` and must exist: 2026-02-30 is refused with the value named.
fn parse_date<E: serde::de::Error>(s: &str) -> Result<NaiveDate, E> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == s)
        .ok_or_else(|| E::custom(format!("'{s}' is not a real date of the form YYYY-MM-DD")))
}

fn de_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let s = String::deserialize(d)?;
    parse_date(&s)
}

fn de_opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some),
    }
}
