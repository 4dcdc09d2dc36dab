//! `pingshen demo`: fills an empty database with a realistic, deterministic demo — reviewers,
//! institutions across Guizhou's counties, cases of every kind and status, and certificate
//! records — so that the office can try pingshen before real data arrive.
//!
//! Determinism: every choice comes from one `fastrand::Rng` seeded with `Options::seed`, and
//! every date is placed relative to `Options::today`; only the store's own timestamps
//! (`created_at`, the audit log's `at`) and the per-database ID salt differ between two runs.

use super::evaluate::evaluate_app;
use super::Lang;
use crate::assets::Reference;
use crate::domain::application::{
    Application, CaseKind, Category, EnterpriseClass, Exclusion, ExitInfo, ExitKind, Facts,
    Institution, LegalForm, ManagementRule, Material, Occupation, Premises, Room, FORMAT,
};
use crate::domain::credit_code;
use crate::domain::evaluate::{decide, ItemResult};
use crate::domain::validate::{validate, ValidateOptions};
use crate::domain::Outcome;
use crate::store::certificates::{self, NewCertificate, Writer};
use crate::store::{audit, cases, institutions, reviewers, Store};
use crate::text::sanitize;
use anyhow::{anyhow, bail, Context as _, Result};
use chrono::{Datelike, Days, Months, NaiveDate};
use fastrand::Rng;
use rusqlite::{params, Connection, ToSql};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Options {
    pub institutions: usize,
    pub certificates: usize,
    pub seed: u64,
    /// Dates in the demo are placed around this day.
    pub today: NaiveDate,
}

impl Options {
    pub fn default_for_today() -> Self {
        Self {
            institutions: 200,
            certificates: 500_000,
            seed: 2026,
            today: chrono::Local::now().date_naive(),
        }
    }
}

/// `$XDG_DATA_HOME/pingshen/demo.db`.
pub fn demo_db() -> Result<PathBuf> {
    Ok(super::default_db()?.with_file_name("demo.db"))
}

/// Enough institutions for one case of every scenario plus a few without a case.
pub const MIN_INSTITUTIONS: usize = 30;
/// The certificate number has four characters for the institution; the demo uses digits.
pub const MAX_INSTITUTIONS: usize = 10_000;
/// Keeps the 6-digit serial per institution, year and level far from overflowing.
pub const MAX_CERTIFICATES: usize = 10_000_000;
/// Page cache while the demo is written, in KiB.
const DEMO_CACHE_KIB: i64 = 256 * 1024;

// ------------------------------------------------------------------------------ scenarios

/// Selection cases, each showing something a reviewer meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sel {
    OrgClean,
    OrgVolume999,
    OrgGovernmentBody,
    EmployerClean,
    SchoolClean,
    OrgLeaseShort,
    OrgMissingRooms,
    OrgExcluded,
    EmployerNoClass,
    SchoolMissingRoom,
    OrgNewOccupation,
    OrgFeatured,
    OrgMissingFigures,
    OrgSocialGroup,
    OrgPublicInstitution,
    OrgFewExaminers,
    OrgComputerSeats,
    OrgDeskSpacing,
}

/// In this order so that the smallest demo (8 selection cases) still has every status and
/// the government body that art. 7 excludes.
const SEL_FIRST: [(Sel, &str); 18] = [
    (Sel::OrgClean, "proposed"),
    (Sel::OrgVolume999, "in_review"),
    (Sel::OrgGovernmentBody, "decided"),
    (Sel::EmployerClean, "decided"),
    (Sel::SchoolClean, "new"),
    (Sel::OrgLeaseShort, "supplement"),
    (Sel::OrgMissingRooms, "new"),
    (Sel::OrgExcluded, "closed"),
    (Sel::EmployerNoClass, "in_review"),
    (Sel::SchoolMissingRoom, "supplement"),
    (Sel::OrgNewOccupation, "proposed"),
    (Sel::OrgFeatured, "new"),
    (Sel::OrgMissingFigures, "supplement"),
    (Sel::OrgSocialGroup, "in_review"),
    (Sel::OrgPublicInstitution, "new"),
    (Sel::OrgFewExaminers, "in_review"),
    (Sel::OrgComputerSeats, "proposed"),
    (Sel::OrgDeskSpacing, "new"),
];
const SEL_MORE: [Sel; 8] = [
    Sel::OrgClean,
    Sel::OrgClean,
    Sel::EmployerClean,
    Sel::SchoolClean,
    Sel::OrgVolume999,
    Sel::OrgLeaseShort,
    Sel::OrgNewOccupation,
    Sel::EmployerNoClass,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ren {
    OrgComfortable,
    OrgTotal599,
    OrgOneAt99,
    EmployerNoPayEvidence,
    SchoolComfortable,
    SchoolFarBelow,
    OrgDeclaredMismatch,
    EmployerJustBelow,
    EmployerComfortable,
    OrgNoRecords,
}

const REN_FIRST: [(Ren, &str); 10] = [
    (Ren::OrgComfortable, "proposed"),
    (Ren::OrgTotal599, "in_review"),
    (Ren::OrgOneAt99, "proposed"),
    (Ren::EmployerNoPayEvidence, "supplement"),
    (Ren::SchoolComfortable, "decided"),
    (Ren::SchoolFarBelow, "new"),
    (Ren::OrgDeclaredMismatch, "in_review"),
    (Ren::EmployerJustBelow, "new"),
    (Ren::EmployerComfortable, "closed"),
    (Ren::OrgNoRecords, "in_review"),
];
const REN_MORE: [Ren; 6] = [
    Ren::OrgComfortable,
    Ren::EmployerComfortable,
    Ren::SchoolComfortable,
    Ren::OrgDeclaredMismatch,
    Ren::OrgTotal599,
    Ren::EmployerNoPayEvidence,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ex {
    VoluntaryOk,
    VoluntaryShort,
    AutomaticLapsed,
    Ordered,
    AutomaticRefused,
    VoluntaryDone,
}

const EX_FIRST: [(Ex, &str); 6] = [
    (Ex::VoluntaryOk, "in_review"),
    (Ex::VoluntaryShort, "new"),
    (Ex::AutomaticLapsed, "proposed"),
    (Ex::Ordered, "decided"),
    (Ex::AutomaticRefused, "closed"),
    (Ex::VoluntaryDone, "closed"),
];
const EX_MORE: [Ex; 3] = [Ex::VoluntaryOk, Ex::AutomaticLapsed, Ex::Ordered];

/// Statuses for cases beyond the first round of scenarios: mostly open work.
const LATER_STATUSES: [&str; 6] = [
    "new",
    "new",
    "in_review",
    "in_review",
    "supplement",
    "proposed",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Recognised, no case on file.
    Plain,
    Selection(Sel),
    Renewal(Ren),
    Exit(Ex),
}

impl Role {
    /// The category a scenario needs; `None` when any will do.
    fn category(self) -> Option<Category> {
        use Category::*;
        match self {
            Role::Plain | Role::Exit(_) => None,
            Role::Selection(s) => Some(match s {
                Sel::EmployerClean | Sel::EmployerNoClass => Employer,
                Sel::SchoolClean | Sel::SchoolMissingRoom => School,
                _ => SocialOrg,
            }),
            Role::Renewal(r) => Some(match r {
                Ren::EmployerNoPayEvidence | Ren::EmployerJustBelow | Ren::EmployerComfortable => {
                    Employer
                }
                Ren::SchoolComfortable | Ren::SchoolFarBelow => School,
                _ => SocialOrg,
            }),
        }
    }
}

// ------------------------------------------------------------------------------ word lists

/// Reviewers besides the current account: (account, role, region). Pinyin names, as OS
/// accounts on the office server are.
const COLLEAGUES: [(&str, &str, &str); 5] = [
    ("zhanghong", "approver", "520000"),
    ("liuyang", "reviewer", "520000"),
    ("wangjing", "reviewer", "520100"),
    ("chenlei", "reviewer", "520300"),
    ("yangmei", "reviewer", "522600"),
];

#[rustfmt::skip]
const STEMS: [&str; 48] = [
    "鼎盛", "黔程", "德信", "华职", "众诚", "博远", "筑梦", "启航", "金桥", "弘毅", "锦程", "瑞丰",
    "安康", "恒信", "汇智", "卓越", "和顺", "大成", "育才", "明德", "远航", "新天", "宏达", "聚力",
    "同心", "仁和", "海纳", "天成", "君诚", "立达", "嘉禾", "鸿泰", "永安", "佳和", "诚达", "知行",
    "匠心", "百川", "宏图", "盛华", "黔匠", "山海", "云岭", "乌江", "苗岭", "梵净", "夜郎", "织锦",
];

#[rustfmt::skip]
const SURNAMES: [&str; 44] = [
    "王", "李", "张", "刘", "陈", "杨", "杨", "黄", "赵", "吴", "吴", "周", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "罗", "罗", "高", "林", "龙", "龙", "潘", "石", "田", "韦", "蒙", "冉", "熊",
    "邓", "谢", "宋", "袁", "彭", "曾", "肖", "付", "姚", "文", "安", "欧阳",
];

#[rustfmt::skip]
const GIVEN: [&str; 64] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "红", "梅", "琴", "燕", "云", "飞",
    "鹏", "浩", "宇", "婷", "雪", "琳", "晶", "波", "建", "国", "志", "新", "兴", "文", "海", "林",
    "春", "秋", "江", "山", "成", "德", "福", "贵", "荣", "顺", "金", "银", "思", "睿", "欣", "怡",
];

/// Employers: (name endings, occupations of that trade).
#[rustfmt::skip]
const INDUSTRIES: [(&[&str], &[&str]); 9] = [
    (&["建设集团有限公司", "建筑工程有限公司"], &["6-29-01-04", "6-29-01-06", "6-30-05-02", "6-31-01-03", "6-29-01-01", "6-29-01-03"]),
    (&["电力有限公司", "新能源有限公司"], &["6-31-01-03", "6-28-01-10", "6-31-01-04", "6-28-01-01", "6-24-02-04"]),
    (&["装备制造有限公司", "精密机械有限公司"], &["6-18-01-01", "6-18-02-04", "6-31-01-02", "6-20-03-01", "6-18-01-07", "6-20-01-01"]),
    (&["酒店管理有限公司", "餐饮管理有限公司"], &["4-03-02-01", "4-03-01-02", "4-03-01-01", "4-03-02-02", "4-03-02-05"]),
    (&["物流有限公司", "供应链管理有限公司"], &["4-02-06-01", "4-02-06-03", "4-02-07-08", "6-30-05-01"]),
    (&["大数据科技有限公司", "信息技术有限公司"], &["4-04-04-02", "4-04-05-01", "4-04-05-05", "4-04-05-04", "4-04-05-02"]),
    (&["农业发展有限公司", "生态农业有限公司"], &["5-01-02-03", "5-01-02-05", "5-01-02-01", "5-05-01-02", "4-01-03-01"]),
    (&["汽车销售服务有限公司"], &["4-12-01-01", "4-12-01-03", "4-12-01-02"]),
    (&["铁合金有限公司", "冶金有限公司"], &["6-17-06-04", "6-17-04-02", "6-31-01-03", "6-31-01-02"]),
];

/// Schools: occupations with the major they match (art. 5 (1)).
const SCHOOL_MAJORS: [(&str, &str); 17] = [
    ("4-12-01-01", "汽车运用与维修技术"),
    ("6-31-01-03", "电气自动化技术"),
    ("4-04-05-01", "软件技术"),
    ("4-01-06-01", "电子商务"),
    ("4-03-02-01", "烹饪工艺与营养"),
    ("4-10-01-03", "学前教育"),
    ("4-14-01-02", "护理"),
    ("4-07-04-01", "旅游管理"),
    ("4-08-03-04", "工程测量技术"),
    ("4-08-08-23", "建筑工程技术"),
    ("6-18-01-07", "数控技术"),
    ("4-04-05-05", "人工智能技术应用"),
    ("4-03-02-07", "茶艺与茶营销"),
    ("4-10-01-05", "智慧健康养老服务与管理"),
    ("5-01-02-01", "现代农业技术"),
    ("4-02-04-06", "无人机应用技术"),
    ("4-08-08-07", "建筑室内设计"),
];

#[rustfmt::skip]
const SCHOOL_FIELDS: [&str; 10] = [
    "交通", "工业", "商贸", "农业", "医药", "旅游", "建设", "轻工", "电子信息", "护理",
];

/// General training schools and HR firms.
#[rustfmt::skip]
const ORG_GENERAL: [&str; 22] = [
    "4-10-01-06", "4-10-01-03", "4-10-01-05", "4-03-02-01", "4-03-02-02", "4-03-02-07",
    "4-10-03-01", "4-10-03-02", "4-14-01-02", "4-14-02-02", "4-01-06-01", "4-01-06-02",
    "4-07-03-04", "4-07-05-01", "4-10-04-02", "6-31-01-03", "6-18-02-04", "4-12-01-01",
    "4-10-01-01", "4-02-04-06", "4-03-02-10", "4-07-05-03",
];
#[rustfmt::skip]
const ORG_HOUSEKEEPING: [&str; 5] = [
    "4-10-01-06", "4-10-01-03", "4-10-01-05", "4-10-01-01", "4-14-01-02",
];
const ORG_TEA: [&str; 3] = ["4-03-02-07", "4-03-02-10", "5-01-02-01"];
/// On the national new-occupation lists (人社部 2019–2020 batches).
const NEW_OCCUPATIONS: [&str; 4] = ["4-04-05-05", "4-14-02-05", "4-01-06-02", "4-04-05-06"];

/// Associations: (field, occupations of that field).
#[rustfmt::skip]
const ASSOCIATIONS: [(&str, &[&str]); 7] = [
    ("家政服务业", &ORG_HOUSEKEEPING),
    ("烹饪", &["4-03-02-01", "4-03-02-02", "4-03-02-03", "4-03-02-04", "4-03-02-05"]),
    ("养老服务业", &["4-10-01-05", "4-14-01-02", "4-14-02-05", "4-14-02-02"]),
    ("美容美发", &["4-10-03-01", "4-10-03-02", "4-10-04-02", "4-10-04-03"]),
    ("电子商务", &["4-01-06-01", "4-01-06-02", "4-07-02-05", "4-02-06-01"]),
    ("人力资源服务", &["4-07-03-04", "4-07-03-02", "3-01-04-03"]),
    ("茶叶", &ORG_TEA),
];

// ------------------------------------------------------------------------------ the world

struct County {
    code: String,
    name: String,
    prefecture: String,
    /// 贵阳市, 黔东南州: how names and addresses shorten the prefecture.
    prefecture_short: String,
}

impl County {
    /// 遵义市红花岗区, 仁怀市, 湄潭县: the place part of an institution's name.
    fn place(&self) -> String {
        if self.name.ends_with('区') {
            format!("{}{}", self.prefecture_short, self.name)
        } else {
            self.name.clone()
        }
    }
}

struct Thresholds {
    employer: u32,
    school: u32,
    social_org: u32,
    per_occupation: u32,
}

impl Thresholds {
    fn total(&self, c: Category) -> u32 {
        match c {
            Category::Employer => self.employer,
            Category::School => self.school,
            Category::SocialOrg => self.social_org,
        }
    }
}

struct World<'r> {
    reference: &'r Reference,
    today: NaiveDate,
    period_years: u32,
    counties: Vec<County>,
    /// County indices per prefecture code, for holders' ID regions.
    by_prefecture: BTreeMap<String, Vec<usize>>,
    thresholds: Thresholds,
}

impl<'r> World<'r> {
    fn new(reference: &'r Reference, today: NaiveDate) -> Result<Self> {
        let divisions = &reference.divisions;
        let mut counties = Vec::new();
        let mut by_prefecture: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for d in divisions.counties() {
            let Some(p) = divisions.prefecture_of(&d.code) else {
                continue;
            };
            let short = match p.name.find("布依族").or_else(|| p.name.find("苗族")) {
                // 黔西南布依族苗族自治州 → 黔西南州
                Some(i) if p.name.ends_with("自治州") => format!("{}州", &p.name[..i]),
                _ => p.name.clone(),
            };
            by_prefecture
                .entry(p.code.clone())
                .or_default()
                .push(counties.len());
            counties.push(County {
                code: d.code.clone(),
                name: d.name.clone(),
                prefecture: p.code.clone(),
                prefecture_short: short,
            });
        }
        if counties.is_empty() {
            bail!("demo: the division list has no Guizhou county");
        }
        let value =
            |name: &str, default: f64| reference.rules.value(name, today).unwrap_or(default);
        // Figures from the rules in force, so that "just below" stays just below when an
        // office edits its rules file.
        let thresholds = Thresholds {
            employer: value("renewal_min_certificates_employer", 150.0) as u32,
            school: value("renewal_min_certificates_school", 300.0) as u32,
            social_org: value("renewal_min_certificates_social_org", 600.0) as u32,
            per_occupation: value("renewal_min_certificates_per_occupation", 100.0) as u32,
        };
        Ok(Self {
            reference,
            today,
            period_years: value("recognition_period_years", 3.0).max(1.0) as u32,
            counties,
            by_prefecture,
            thresholds,
        })
    }

    fn occupation(&self, code: &str, levels: &[u8]) -> Result<Occupation> {
        let name = self
            .reference
            .occupations
            .name(code)
            .ok_or_else(|| anyhow!("demo: the occupation list lacks {code}"))?;
        Ok(Occupation {
            code: code.to_string(),
            name: name.to_string(),
            levels: levels.to_vec(),
            new_occupation: false,
            training_volume: None,
            examiners: None,
            matching_major: None,
            certificates_declared: None,
        })
    }

    fn days(&self, n: i64) -> NaiveDate {
        add_days(self.today, n)
    }

    /// The recognition period that ends on `valid_to`.
    fn period_ending(&self, valid_to: NaiveDate) -> (NaiveDate, NaiveDate) {
        let from = valid_to
            .checked_sub_months(Months::new(12 * self.period_years))
            .map(|d| add_days(d, 1))
            .unwrap_or(valid_to);
        (from, valid_to)
    }

    fn period_starting(&self, valid_from: NaiveDate) -> (NaiveDate, NaiveDate) {
        let to = valid_from
            .checked_add_months(Months::new(12 * self.period_years))
            .map(|d| add_days(d, -1))
            .unwrap_or(valid_from);
        (valid_from, to)
    }
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    let r = if n >= 0 {
        d.checked_add_days(Days::new(n as u64))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    };
    r.unwrap_or(d)
}

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.usize(..xs.len())]
}

fn word(rng: &mut Rng, xs: &[&'static str]) -> &'static str {
    xs[rng.usize(..xs.len())]
}

fn person_name(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(12);
    person_name_into(rng, &mut s);
    s
}

/// Into a reused buffer: half a million holders should not cost half a million allocations.
fn person_name_into(rng: &mut Rng, s: &mut String) {
    s.clear();
    s.push_str(word(rng, &SURNAMES));
    s.push_str(word(rng, &GIVEN));
    if rng.u8(..10) < 6 {
        s.push_str(word(rng, &GIVEN));
    }
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_digits(s: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        let d = n / 10u32.pow(i) % 10;
        s.push(char::from(b'0' + d as u8));
    }
}

/// An 18-character ID in the national format with a valid check character (GB 11643);
/// invented, and stored only hashed and masked like real ones.
fn holder_id_into(rng: &mut Rng, region: &str, issued: NaiveDate, s: &mut String) {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let year = (issued.year() - rng.i32(18..=55)).max(0) as u32;
    s.clear();
    s.push_str(region);
    push_digits(s, year, 4);
    push_digits(s, rng.u32(1..=12), 2);
    push_digits(s, rng.u32(1..=28), 2);
    push_digits(s, rng.u32(0..1000), 3);
    let sum: u32 = s
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    s.push(char::from(C[(sum % 11) as usize]));
}

// ------------------------------------------------------------------------------ planning

/// How many certificates an institution gets.
#[derive(Debug, Clone)]
enum Tier {
    None,
    /// A share of what is left of the budget, well above the threshold.
    Comfortable {
        weight: u32,
    },
    /// Exactly these counts per occupation inside the recognition window.
    Exact(Vec<u32>),
}

struct Plan {
    role: Role,
    /// The case's status; unused for `Role::Plain`.
    status: &'static str,
    inst: Institution,
    occupations: Vec<Occupation>,
    county: usize,
    /// Four characters of the certificate number.
    code4: String,
    /// Exam sites (6 characters each) used in certificate numbers.
    sites: Vec<String>,
    tier: Tier,
    submitted_on: Option<NaiveDate>,
}

fn roles(rng: &mut Rng, n: usize) -> Vec<(Role, &'static str)> {
    let n_sel = (n * 12 / 100).max(8);
    let n_ren = (n / 10).max(8);
    let n_exit = (n / 25).max(6);
    let mut out = Vec::with_capacity(n);
    for i in 0..n_sel {
        out.push(match SEL_FIRST.get(i) {
            Some(&(s, st)) => (Role::Selection(s), st),
            None => (
                Role::Selection(*pick(rng, &SEL_MORE)),
                *pick(rng, &LATER_STATUSES),
            ),
        });
    }
    for i in 0..n_ren {
        out.push(match REN_FIRST.get(i) {
            Some(&(r, st)) => (Role::Renewal(r), st),
            None => (
                Role::Renewal(*pick(rng, &REN_MORE)),
                *pick(rng, &LATER_STATUSES),
            ),
        });
    }
    for i in 0..n_exit {
        out.push(match EX_FIRST.get(i) {
            Some(&(x, st)) => (Role::Exit(x), st),
            None => (
                Role::Exit(*pick(rng, &EX_MORE)),
                *pick(rng, &["new", "in_review", "proposed"]),
            ),
        });
    }
    while out.len() < n {
        out.push((Role::Plain, ""));
    }
    out
}

/// Categories near 30 % employers, 20 % schools, 50 % social organisations, after the ones
/// the scenarios fix.
fn categories(rng: &mut Rng, roles: &[(Role, &str)]) -> Vec<Category> {
    let n = roles.len();
    let mut left = [
        (Category::Employer, n * 30 / 100),
        (Category::School, n * 20 / 100),
        (Category::SocialOrg, n),
    ];
    for (r, _) in roles {
        if let Some(c) = r.category() {
            for l in left.iter_mut().filter(|l| l.0 == c) {
                l.1 = l.1.saturating_sub(1);
            }
        }
    }
    let free = roles.iter().filter(|(r, _)| r.category().is_none()).count();
    let mut pool = Vec::with_capacity(free);
    for (c, k) in left {
        for _ in 0..k {
            if pool.len() < free {
                pool.push(c);
            }
        }
    }
    rng.shuffle(&mut pool);
    let mut pool = pool.into_iter();
    roles
        .iter()
        .map(|(r, _)| {
            r.category()
                .or_else(|| pool.next())
                .unwrap_or(Category::SocialOrg)
        })
        .collect()
}

struct Names {
    names: BTreeSet<String>,
    codes: BTreeSet<String>,
    /// The place parts the current institution's name may start with.
    places: Vec<String>,
}

impl Names {
    /// A name not used yet: tries the generator a few times, then puts a stem (字号) after
    /// the place, as 仁怀市中等职业学校 and 仁怀市博远中等职业学校 would be told apart.
    fn unique(&mut self, rng: &mut Rng, mut make: impl FnMut(&mut Rng) -> String) -> String {
        for _ in 0..20 {
            let n = make(rng);
            if self.names.insert(n.clone()) {
                return n;
            }
        }
        loop {
            let n = make(rng);
            let stem = pick(rng, &STEMS);
            let split_at = self
                .places
                .iter()
                .map(String::as_str)
                .chain(["贵州省", "贵州"])
                .filter(|p| n.starts_with(p))
                .map(str::len)
                .max()
                .unwrap_or(0);
            let n = format!("{}{stem}{}", &n[..split_at], &n[split_at..]);
            if self.names.insert(n.clone()) {
                return n;
            }
        }
    }

    /// A valid credit code: authority and type, the county, 8 organisation characters.
    fn credit_code(&mut self, rng: &mut Rng, prefix: &str, county: &str) -> Result<String> {
        let chars: Vec<char> = credit_code::CHARSET.chars().collect();
        loop {
            let org: String = match prefix {
                // Codes issued since 2015 in Guizhou mostly read MA6…
                "91" | "52" if rng.u8(..10) < 8 => {
                    let mut s = String::from("MA6");
                    for _ in 0..5 {
                        s.push(*pick(rng, &chars));
                    }
                    s
                }
                "51" | "52" => format!("MJ{:06}", rng.u32(0..1_000_000)),
                "12" => format!("4{:07}", rng.u32(0..10_000_000)),
                "11" => format!("0{:07}", rng.u32(0..10_000_000)),
                _ => format!("{:08}", rng.u32(10_000_000..100_000_000)),
            };
            let stem = format!("{prefix}{county}{org}");
            let code = credit_code::complete(&stem)
                .ok_or_else(|| anyhow!("demo: cannot complete credit code stem {stem}"))?;
            if self.codes.insert(code.clone()) {
                return Ok(code);
            }
        }
    }
}

/// What kind of body an institution is: name, credit code authority/type, occupations, levels.
struct Body {
    name: String,
    prefix: &'static str,
    pool: Vec<&'static str>,
    levels: Vec<u8>,
    matching: bool,
}

fn body(
    rng: &mut Rng,
    names: &mut Names,
    county: &County,
    category: Category,
    legal_form: Option<LegalForm>,
    role: Role,
) -> Body {
    let place = county.place();
    let pref = county.prefecture_short.clone();
    names.places = vec![place.clone(), pref.clone()];
    match (category, legal_form) {
        (Category::Employer, _) => {
            let (endings, pool) = *pick(rng, &INDUSTRIES);
            let name = names.unique(rng, |rng| {
                let at = match rng.u8(..3) {
                    0 => "贵州".to_string(),
                    1 => pref.clone(),
                    _ => place.clone(),
                };
                format!("{at}{}{}", pick(rng, &STEMS), pick(rng, endings))
            });
            const LEVELS: [&[u8]; 4] = [&[5, 4, 3], &[5, 4, 3, 2], &[4, 3, 2], &[5, 4, 3, 2, 1]];
            let levels = pick(rng, &LEVELS);
            Body {
                name,
                prefix: "91",
                pool: pool.to_vec(),
                levels: levels.to_vec(),
                matching: false,
            }
        }
        (Category::School, _) => {
            let pool = SCHOOL_MAJORS.iter().map(|m| m.0).collect();
            let kind = rng.u8(..5);
            let name = names.unique(rng, |rng| match kind {
                0 => format!("{pref}{}职业技术学院", pick(rng, &SCHOOL_FIELDS)),
                1 => format!("{pref}{}技师学院", pick(rng, &SCHOOL_FIELDS)),
                2 => format!("{place}中等职业学校"),
                3 => format!("{place}职业教育中心"),
                _ => format!("贵州{}职业学院", pick(rng, &STEMS)),
            });
            // Levels follow the school's education level (art. 5 (1)).
            let levels: &[u8] = match kind {
                0 | 4 => &[4, 3],
                1 => &[4, 3, 2],
                _ => &[5, 4],
            };
            Body {
                name,
                prefix: if kind == 4 { "52" } else { "12" },
                pool,
                levels: levels.to_vec(),
                matching: true,
            }
        }
        (Category::SocialOrg, lf) => {
            const LEVELS: [&[u8]; 4] = [&[5, 4, 3], &[5, 4, 3], &[5, 4], &[5, 4, 3, 2]];
            let levels = pick(rng, &LEVELS).to_vec();
            let new_occ = role == Role::Selection(Sel::OrgNewOccupation);
            let featured = role == Role::Selection(Sel::OrgFeatured);
            let (name, prefix, pool): (String, &'static str, &[&str]) = match lf {
                Some(LegalForm::GovernmentBody) => (
                    names.unique(rng, |_| format!("{place}人力资源和社会保障局")),
                    "11",
                    &ORG_GENERAL,
                ),
                Some(LegalForm::PublicInstitution) => (
                    names.unique(rng, |rng| {
                        if rng.bool() {
                            format!("{place}公共实训基地")
                        } else {
                            format!("{pref}职业技能公共实训中心")
                        }
                    }),
                    "12",
                    &ORG_GENERAL,
                ),
                Some(LegalForm::SocialGroup) => {
                    let (field, pool) = *pick(rng, &ASSOCIATIONS);
                    let name = names.unique(rng, |rng| {
                        if rng.bool() {
                            format!("{pref}{field}协会")
                        } else {
                            format!("贵州省{field}协会")
                        }
                    });
                    (name, "51", pool)
                }
                Some(LegalForm::Enterprise) if featured => (
                    names.unique(rng, |rng| format!("贵州{}茶业有限公司", pick(rng, &STEMS))),
                    "91",
                    &ORG_TEA,
                ),
                Some(LegalForm::Enterprise) => {
                    let which = rng.u8(..4);
                    let name = names.unique(rng, |rng| {
                        let stem = pick(rng, &STEMS);
                        match which {
                            0 => format!("贵州{stem}人力资源服务有限公司"),
                            1 => format!("{pref}{stem}教育科技有限公司"),
                            2 => format!("{place}{stem}家政服务有限公司"),
                            _ => format!("贵州{stem}职业技能评价有限公司"),
                        }
                    });
                    let pool: &[&str] = if which == 2 {
                        &ORG_HOUSEKEEPING
                    } else {
                        &ORG_GENERAL
                    };
                    (name, "91", pool)
                }
                _ => {
                    let name = names.unique(rng, |rng| {
                        let stem = pick(rng, &STEMS);
                        match rng.u8(..3) {
                            0 => format!("{place}{stem}职业培训学校"),
                            1 => format!("{place}{stem}职业技能培训学校"),
                            _ => format!("{pref}{stem}职业培训中心"),
                        }
                    });
                    (name, "52", &ORG_GENERAL)
                }
            };
            Body {
                name,
                prefix,
                pool: if new_occ {
                    NEW_OCCUPATIONS.to_vec()
                } else {
                    pool.to_vec()
                },
                levels,
                matching: false,
            }
        }
    }
}

fn social_org_form(rng: &mut Rng, role: Role) -> LegalForm {
    match role {
        Role::Selection(Sel::OrgGovernmentBody) => LegalForm::GovernmentBody,
        Role::Selection(Sel::OrgSocialGroup) => LegalForm::SocialGroup,
        Role::Selection(Sel::OrgPublicInstitution) => LegalForm::PublicInstitution,
        Role::Selection(Sel::OrgFeatured) => LegalForm::Enterprise,
        Role::Selection(Sel::OrgExcluded) => LegalForm::PrivateNonEnterprise,
        Role::Selection(_) => {
            if rng.bool() {
                LegalForm::PrivateNonEnterprise
            } else {
                LegalForm::Enterprise
            }
        }
        _ => match rng.u8(..100) {
            0..=44 => LegalForm::PrivateNonEnterprise,
            45..=87 => LegalForm::Enterprise,
            88..=94 => LegalForm::SocialGroup,
            _ => LegalForm::PublicInstitution,
        },
    }
}

/// How many occupations a scenario needs: (at least, at most).
fn occupation_bounds(role: Role) -> (usize, usize) {
    match role {
        Role::Selection(Sel::OrgVolume999 | Sel::OrgFewExaminers) => (2, 3),
        Role::Selection(Sel::OrgNewOccupation) => (1, 2),
        Role::Renewal(Ren::OrgOneAt99 | Ren::OrgDeclaredMismatch) => (2, 4),
        Role::Renewal(Ren::OrgTotal599 | Ren::OrgNoRecords) => (2, 4),
        _ => (1, 4),
    }
}

/// Period end relative to today, by role: the spread that the renewal statistics show.
fn valid_to_for(rng: &mut Rng, world: &World<'_>, role: Role) -> Option<NaiveDate> {
    let offset = match role {
        Role::Selection(_) => return None,
        Role::Plain => match rng.u8(..100) {
            0..=9 => -rng.i64(1..=90),
            10..=54 => rng.i64(0..=365),
            _ => rng.i64(366..=1050),
        },
        Role::Renewal(_) => rng.i64(5..=80),
        Role::Exit(Ex::AutomaticLapsed) => -rng.i64(16..=40),
        Role::Exit(Ex::AutomaticRefused) => -rng.i64(60..=90),
        Role::Exit(_) => rng.i64(120..=800),
    };
    Some(world.days(offset))
}

fn plan(rng: &mut Rng, world: &World<'_>, opts: &Options) -> Result<Vec<Plan>> {
    let mut slots: Vec<((Role, &'static str), Category)> = {
        let roles = roles(rng, opts.institutions);
        let cats = categories(rng, &roles);
        roles.into_iter().zip(cats).collect()
    };
    // Scenario order must not show in the institution numbers or places.
    rng.shuffle(&mut slots);
    let mut county_order: Vec<usize> = (0..world.counties.len()).collect();
    rng.shuffle(&mut county_order);
    // Beyond one institution per county, the two largest cities take about half.
    let urban: Vec<usize> = ["520100", "520300"]
        .iter()
        .filter_map(|p| world.by_prefecture.get(*p))
        .flatten()
        .copied()
        .collect();
    let mut names = Names {
        names: BTreeSet::new(),
        codes: BTreeSet::new(),
        places: Vec::new(),
    };
    let mut plans = Vec::with_capacity(slots.len());
    for (i, ((role, status), category)) in slots.into_iter().enumerate() {
        let county = match county_order.get(i) {
            Some(&c) => c,
            None if !urban.is_empty() && rng.bool() => *pick(rng, &urban),
            None => rng.usize(..world.counties.len()),
        };
        let c = &world.counties[county];
        let legal_form = (category == Category::SocialOrg).then(|| social_org_form(rng, role));
        let b = body(rng, &mut names, c, category, legal_form, role);
        let credit_code = names.credit_code(rng, b.prefix, &c.code)?;

        let (lo, hi) = occupation_bounds(role);
        let hi = hi.min(b.pool.len());
        let lo = lo.min(hi);
        let want = match rng.u8(..100) {
            0..=24 => 1,
            25..=59 => 2,
            60..=84 => 3,
            _ => 4,
        };
        let k = want.clamp(lo, hi);
        let mut pool = b.pool.clone();
        rng.shuffle(&mut pool);
        let mut codes: Vec<&str> = pool.into_iter().take(k).collect();
        codes.sort_unstable();
        let mut occupations = Vec::with_capacity(k);
        for code in codes {
            // Now and then an occupation stops one level short of the institution's top.
            let mut levels = b.levels.clone();
            if levels.len() > 2 && rng.u8(..4) == 0 {
                levels.pop();
            }
            let mut o = world.occupation(code, &levels)?;
            if b.matching {
                o.matching_major = SCHOOL_MAJORS
                    .iter()
                    .find(|m| m.0 == code)
                    .map(|m| m.1.to_string());
            }
            occupations.push(o);
        }

        let mut enterprise_class = Vec::new();
        if category == Category::Employer && role != Role::Selection(Sel::EmployerNoClass) {
            enterprise_class.push(*pick(
                rng,
                &[
                    EnterpriseClass::AboveScale,
                    EnterpriseClass::AboveScale,
                    EnterpriseClass::IndustryLeader,
                    EnterpriseClass::ChainLeader,
                    EnterpriseClass::SpecializedNew,
                ],
            ));
            if rng.u8(..4) == 0 {
                enterprise_class.push(EnterpriseClass::LocalFeatured);
            }
            enterprise_class.sort_unstable();
            enterprise_class.dedup();
        }
        let guizhou_featured = role == Role::Selection(Sel::OrgFeatured)
            || enterprise_class.contains(&EnterpriseClass::LocalFeatured);
        let period = valid_to_for(rng, world, role).map(|to| world.period_ending(to));
        let tier = tier_for(rng, world, role, category, &occupations);
        plans.push(Plan {
            role,
            status,
            inst: Institution {
                name: b.name,
                credit_code,
                category,
                legal_form,
                region: c.code.clone(),
                legal_representative: Some(person_name(rng)),
                enterprise_class,
                guizhou_featured,
                valid_from: period.map(|p| p.0),
                valid_to: period.map(|p| p.1),
            },
            occupations,
            county,
            // Four digits: the 10,000th institution is 0000.
            code4: format!("{:04}", (i + 1) % 10_000),
            sites: (0..rng.u8(1..=3))
                .map(|s| format!("{}{:02}", &c.code[2..], s + 1))
                .collect(),
            tier,
            submitted_on: None,
        });
    }
    for p in &mut plans {
        p.submitted_on = submitted_on(rng, world, p);
    }
    Ok(plans)
}

/// Splits `total` over `k` occupations, each at least `min_each` when the total allows.
fn split(rng: &mut Rng, total: u32, k: usize, min_each: u32) -> Vec<u32> {
    if k == 0 {
        return vec![];
    }
    let min_each = if u64::from(min_each) * k as u64 <= u64::from(total) {
        min_each
    } else {
        0
    };
    let rest = total - min_each * k as u32;
    let weights: Vec<u32> = (0..k).map(|_| rng.u32(10..=30)).collect();
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let mut out: Vec<u32> = weights
        .iter()
        .map(|&w| min_each + (u64::from(rest) * u64::from(w) / sum) as u32)
        .collect();
    let given: u32 = out.iter().sum();
    out[0] += total - given;
    out
}

fn tier_for(
    rng: &mut Rng,
    world: &World<'_>,
    role: Role,
    cat: Category,
    occs: &[Occupation],
) -> Tier {
    let t = &world.thresholds;
    let k = occs.len();
    let per = t.per_occupation;
    let threshold = t.total(cat);
    let comfortable = |rng: &mut Rng| -> Vec<u32> {
        // Each occupation well above the per-occupation figure and the total above its own.
        let each = (per + 20).max(threshold * 7 / (6 * k.max(1) as u32));
        (0..k).map(|_| rng.u32(each..=each * 2)).collect()
    };
    let just_below = |rng: &mut Rng| -> Vec<u32> {
        if cat == Category::SocialOrg && k >= 2 && rng.bool() {
            // The total is met but one occupation misses by one.
            let others = (threshold + 50).saturating_sub(per.saturating_sub(1));
            let mut v = vec![per.saturating_sub(1)];
            v.extend(split(rng, others, k - 1, per + 10));
            v
        } else {
            let min = if cat == Category::SocialOrg {
                per + 5
            } else {
                0
            };
            split(rng, threshold.saturating_sub(1), k, min)
        }
    };
    let far_below = |rng: &mut Rng| -> Vec<u32> {
        let total = threshold * rng.u32(8..=45) / 100;
        split(rng, total, k, 0)
    };
    match role {
        Role::Selection(_) | Role::Exit(Ex::AutomaticRefused | Ex::VoluntaryDone) => Tier::None,
        Role::Exit(Ex::AutomaticLapsed) => Tier::Exact(far_below(rng)),
        Role::Exit(_) => Tier::Comfortable {
            weight: rng.u32(5..=15),
        },
        Role::Renewal(r) => match r {
            Ren::OrgComfortable
            | Ren::OrgDeclaredMismatch
            | Ren::EmployerComfortable
            | Ren::SchoolComfortable
            | Ren::EmployerNoPayEvidence => Tier::Exact(comfortable(rng)),
            Ren::OrgTotal599 => Tier::Exact(split(rng, threshold.saturating_sub(1), k, per + 10)),
            Ren::OrgOneAt99 => {
                let others = (threshold + 60).saturating_sub(per.saturating_sub(1));
                let mut v = vec![per.saturating_sub(1)];
                v.extend(split(rng, others, k - 1, per + 10));
                Tier::Exact(v)
            }
            Ren::EmployerJustBelow => Tier::Exact(split(rng, threshold.saturating_sub(1), k, 0)),
            Ren::SchoolFarBelow => Tier::Exact(far_below(rng)),
            Ren::OrgNoRecords => Tier::None,
        },
        Role::Plain => match rng.u8(..100) {
            // No records imported yet.
            0..=2 => Tier::None,
            3..=12 => Tier::Exact(far_below(rng)),
            13..=24 => Tier::Exact(just_below(rng)),
            _ => Tier::Comfortable {
                weight: rng.u32(5..=30),
            },
        },
    }
}

fn submitted_on(rng: &mut Rng, world: &World<'_>, p: &Plan) -> Option<NaiveDate> {
    let settled = matches!(p.status, "decided" | "closed");
    let back = match p.role {
        Role::Plain => return None,
        Role::Selection(_) if settled => rng.i64(60..=120),
        Role::Selection(_) if p.status == "proposed" => rng.i64(20..=45),
        Role::Selection(_) => rng.i64(1..=30),
        Role::Renewal(_) => {
            // Inside the renewal window, which opens 90 days before valid_to.
            let to = p.inst.valid_to?;
            let opened = (world.today - add_days(to, -90)).num_days().max(1);
            let earliest = if settled { opened } else { opened.min(40) };
            rng.i64(1..=earliest.max(1))
        }
        // Exit cases: the exit details are built from this date.
        Role::Exit(Ex::VoluntaryOk) => rng.i64(5..=20),
        Role::Exit(Ex::VoluntaryShort) => rng.i64(1..=6),
        Role::Exit(Ex::AutomaticLapsed) => {
            let to = p.inst.valid_to?;
            let since = (world.today - to).num_days();
            (since - rng.i64(1..=5)).max(1)
        }
        Role::Exit(Ex::Ordered) => rng.i64(15..=40),
        Role::Exit(Ex::AutomaticRefused) => rng.i64(100..=150),
        Role::Exit(Ex::VoluntaryDone) => rng.i64(150..=250),
    };
    Some(world.days(-back))
}

/// Certificates per institution: in-window counts per occupation and a few issued in the
/// previous period, which must not count.
struct CertPlan {
    in_window: Vec<u32>,
    before: u32,
}

fn plan_certificates(
    rng: &mut Rng,
    world: &World<'_>,
    plans: &[Plan],
    budget: usize,
) -> Vec<CertPlan> {
    let exact: u64 = plans
        .iter()
        .map(|p| match &p.tier {
            Tier::Exact(v) => v.iter().map(|&n| u64::from(n)).sum(),
            _ => 0,
        })
        .sum();
    let remaining = (budget as u64).saturating_sub(exact);
    let t = &world.thresholds;
    // Each comfortable institution first gets a base well above its thresholds, then a
    // weighted share of the rest; a small budget scales the bases down.
    let base = |p: &Plan| -> u64 {
        let k = p.occupations.len().max(1) as u64;
        let b = u64::from(t.total(p.inst.category)) * 5 / 4;
        if p.inst.category == Category::SocialOrg {
            b.max(k * u64::from(t.per_occupation + 25))
        } else {
            b
        }
    };
    let comfortable: Vec<(usize, u64, u64)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p.tier {
            Tier::Comfortable { weight } => Some((i, base(p), u64::from(weight))),
            _ => None,
        })
        .collect();
    let base_sum: u64 = comfortable.iter().map(|c| c.1).sum();
    let weight_sum: u64 = comfortable.iter().map(|c| c.2).sum::<u64>().max(1);
    let mut totals: BTreeMap<usize, u64> = BTreeMap::new();
    if remaining >= base_sum {
        let extra = remaining - base_sum;
        for &(i, b, w) in &comfortable {
            totals.insert(i, b + extra * w / weight_sum);
        }
    } else {
        for &(i, b, _) in &comfortable {
            totals.insert(i, (remaining * b).checked_div(base_sum).unwrap_or(0));
        }
    }
    // Rounding leftovers go to the last comfortable institution, so the total is exact.
    let given: u64 = totals.values().sum();
    if let Some(last) = totals.values_mut().next_back() {
        *last += remaining.saturating_sub(given);
    }
    plans
        .iter()
        .enumerate()
        .map(|(i, p)| match &p.tier {
            Tier::None => CertPlan {
                in_window: vec![0; p.occupations.len()],
                before: 0,
            },
            Tier::Exact(v) => CertPlan {
                in_window: v.clone(),
                before: 0,
            },
            Tier::Comfortable { .. } => {
                let total = totals
                    .get(&i)
                    .copied()
                    .unwrap_or(0)
                    .min(u64::from(u32::MAX)) as u32;
                let before = if total >= 1000 { total / 25 } else { 0 };
                let min = if p.inst.category == Category::SocialOrg {
                    t.per_occupation + 20
                } else {
                    0
                };
                CertPlan {
                    in_window: split(rng, total - before, p.occupations.len(), min),
                    before,
                }
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------ certificates

/// Lower levels are issued far more often than technician grades.
fn pick_level(rng: &mut Rng, levels: &[u8]) -> u8 {
    let weight = |l: u8| match l {
        5 => 6,
        4 => 5,
        3 => 3,
        _ => 1,
    };
    let sum: u32 = levels.iter().map(|&l| weight(l)).sum();
    let mut r = rng.u32(..sum.max(1));
    for &l in levels {
        if r < weight(l) {
            return l;
        }
        r -= weight(l);
    }
    levels.first().copied().unwrap_or(5)
}

fn random_day(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    add_days(from, rng.i64(0..=span))
}

fn write_certificates(
    conn: &Connection,
    account: &str,
    salt: &str,
    rng: &mut Rng,
    world: &World<'_>,
    plans: &[Plan],
    counts: &[CertPlan],
) -> Result<(u64, usize)> {
    let mut w = Writer::begin_unique(conn, account, "demo", salt)?;
    // Institutions with at least one record, for the report.
    let mut issuers = 0;
    let yesterday = world.days(-1);
    for (p, c) in plans.iter().zip(counts) {
        let (Some(from), Some(to)) = (p.inst.valid_from, p.inst.valid_to) else {
            continue;
        };
        let to = to.min(yesterday);
        if to < from {
            continue;
        }
        // (issued_on, level, occupation index). Certificates come from exam sessions: one
        // occupation and level on one day, 10 to 60 candidates.
        let mut rows: Vec<(NaiveDate, u8, usize)> = Vec::new();
        for (oi, (&n, o)) in c.in_window.iter().zip(&p.occupations).enumerate() {
            let mut left = n;
            while left > 0 {
                let size = left.min(rng.u32(10..=60));
                let (day, level) = (random_day(rng, from, to), pick_level(rng, &o.levels));
                rows.extend(std::iter::repeat_n((day, level, oi), size as usize));
                left -= size;
            }
        }
        let mut left = c.before;
        while left > 0 {
            let oi = rng.usize(..p.occupations.len().max(1));
            let Some(o) = p.occupations.get(oi) else {
                break;
            };
            let size = left.min(rng.u32(10..=60));
            let day = random_day(rng, add_days(from, -365), add_days(from, -1));
            let level = pick_level(rng, &o.levels);
            rows.extend(std::iter::repeat_n((day, level, oi), size as usize));
            left -= size;
        }
        if rows.is_empty() {
            continue;
        }
        issuers += 1;
        // Serials run in issue order within a year and level, as an issuing office numbers.
        rows.sort_by_key(|r| r.0);
        let letter = if p.inst.category == Category::Employer {
            'Y'
        } else {
            'S'
        };
        let prefecture = &world.counties[p.county].prefecture;
        let local = world.by_prefecture.get(prefecture);
        let mut serials: BTreeMap<(i32, u8), u32> = BTreeMap::new();
        // (site index, 2-digit year, level, serial, issued_on, occupation index)
        let mut issues: Vec<(usize, u32, u8, u32, NaiveDate, usize)> = rows
            .into_iter()
            .map(|(day, level, oi)| {
                let serial = serials.entry((day.year(), level)).or_insert(0);
                *serial += 1;
                let site = rng.usize(..p.sites.len().max(1));
                (
                    site,
                    day.year().rem_euclid(100) as u32,
                    level,
                    *serial,
                    day,
                    oi,
                )
            })
            .collect();
        // In the order of the certificate numbers these make: the inserts stay on the
        // B-tree's right edge.
        issues.sort_unstable_by_key(|i| (i.0, i.1, i.2, i.3));
        let mut c = NewCertificate {
            certificate_no: String::with_capacity(22),
            credit_code: p.inst.credit_code.clone(),
            occupation_code: String::with_capacity(10),
            level: 5,
            issued_on: from,
            holder_name: Some(String::with_capacity(12)),
            holder_id: Some(String::with_capacity(18)),
        };
        for (site, yy, level, serial, day, oi) in issues {
            let (Some(site), Some(occ)) = (p.sites.get(site), p.occupations.get(oi)) else {
                continue;
            };
            let no = &mut c.certificate_no;
            no.clear();
            no.push(letter);
            no.push_str(&p.code4);
            no.push_str("52");
            no.push_str(site);
            push_digits(no, yy, 2);
            push_digits(no, u32::from(level), 1);
            push_digits(no, serial, 6);
            c.occupation_code.clear();
            c.occupation_code.push_str(&occ.code);
            c.level = level;
            c.issued_on = day;
            if let Some(name) = c.holder_name.as_mut() {
                person_name_into(rng, name);
            }
            // Most holders come from the institution's own prefecture.
            let region = match local {
                Some(l) if rng.u8(..10) < 8 => &world.counties[*pick(rng, l)].code,
                _ => &world.counties[rng.usize(..world.counties.len())].code,
            };
            if let Some(id) = c.holder_id.as_mut() {
                holder_id_into(rng, region, day, id);
            }
            w.add(&c)?;
        }
    }
    let inserted = w.finish(account, "demo", 0)?;
    Ok((inserted.added, issuers))
}

// ------------------------------------------------------------------------------ applications

fn full_facts(rng: &mut Rng, submitted: NaiveDate) -> Facts {
    let owned = rng.u8(..10) < 3;
    let lease_end = (!owned).then(|| {
        submitted
            .checked_add_months(Months::new(36 + rng.u32(0..=36)))
            .unwrap_or(submitted)
    });
    let computer = rng.u8(..3) == 0;
    Facts {
        training_years: Some(rng.u32(2..=9)),
        full_time_staff: Some(rng.u32(3..=15)),
        quality_supervisors: Some(rng.u32(3..=6)),
        experts: Some(rng.u32(2..=12)),
        management_rules: Some(ManagementRule::ALL.to_vec()),
        premises: Some(if owned {
            Premises::Owned
        } else {
            Premises::Leased
        }),
        lease_end,
        office_area_m2: Some(f64::from(rng.u32(100..=480)) + if rng.bool() { 0.5 } else { 0.0 }),
        rooms: Some(vec![
            Room::ExamAffairs,
            Room::Confidential,
            Room::Archive,
            Room::Waiting,
        ]),
        standard_exam_rooms: Some(rng.u32(2..=6)),
        computer_exam_seats: Some(if computer { rng.u32(60..=120) } else { 0 }),
        desk_spacing_cm: Some(f64::from(rng.u32(80..=120))),
        exam_video_surveillance: Some(true),
        practical_video_full_coverage: Some(true),
    }
}

fn selection_app(rng: &mut Rng, p: &Plan, s: Sel, submitted: NaiveDate) -> Application {
    let mut occupations = p.occupations.clone();
    let mut facts = Facts::default();
    let mut exclusions = Vec::new();
    match p.inst.category {
        Category::SocialOrg => {
            facts = full_facts(rng, submitted);
            for o in &mut occupations {
                o.training_volume = Some(rng.u32(1000..=3600));
                o.examiners = Some(rng.u32(4..=12));
            }
        }
        Category::School => {
            facts.full_time_staff = Some(rng.u32(3..=10));
            facts.rooms = Some(vec![Room::ExamAffairs, Room::Confidential, Room::Archive]);
            for o in &mut occupations {
                o.examiners = Some(rng.u32(4..=20));
            }
        }
        Category::Employer => {
            facts.full_time_staff = Some(rng.u32(2..=8));
            facts.quality_supervisors = Some(rng.u32(3..=5));
            facts.rooms = Some(vec![Room::ExamAffairs, Room::Confidential, Room::Archive]);
            for o in &mut occupations {
                o.examiners = Some(rng.u32(4..=15));
            }
        }
    }
    match s {
        Sel::OrgVolume999 => {
            if let Some(o) = occupations.last_mut() {
                o.training_volume = Some(999);
            }
        }
        Sel::OrgLeaseShort => {
            facts.premises = Some(Premises::Leased);
            facts.lease_end = submitted.checked_add_months(Months::new(24 + rng.u32(1..=10)));
        }
        Sel::OrgMissingRooms => {
            facts.rooms = Some(vec![Room::ExamAffairs, Room::Archive]);
        }
        Sel::SchoolMissingRoom => {
            facts.rooms = Some(vec![Room::ExamAffairs, Room::Archive]);
        }
        Sel::OrgExcluded => exclusions.push(Exclusion::A7_2),
        Sel::OrgNewOccupation => {
            facts.training_years = Some(1);
            for o in &mut occupations {
                o.new_occupation = true;
                o.training_volume = Some(rng.u32(200..=600));
            }
        }
        Sel::OrgFeatured => {
            facts.training_years = Some(1);
            for o in &mut occupations {
                o.training_volume = Some(rng.u32(220..=800));
            }
        }
        Sel::OrgMissingFigures => {
            facts.office_area_m2 = None;
            facts.desk_spacing_cm = None;
        }
        Sel::OrgFewExaminers => {
            if let Some(o) = occupations.first_mut() {
                o.examiners = Some(3);
            }
        }
        Sel::OrgComputerSeats => {
            facts.standard_exam_rooms = Some(0);
            facts.computer_exam_seats = Some(rng.u32(60..=96));
        }
        Sel::OrgDeskSpacing => facts.desk_spacing_cm = Some(79.5),
        Sel::OrgClean
        | Sel::OrgGovernmentBody
        | Sel::EmployerClean
        | Sel::SchoolClean
        | Sel::EmployerNoClass
        | Sel::OrgSocialGroup
        | Sel::OrgPublicInstitution => {}
    }
    Application {
        format: FORMAT.to_string(),
        case_no: String::new(),
        kind: CaseKind::Selection,
        submitted_on: submitted,
        institution: p.inst.clone(),
        occupations,
        facts,
        exclusions,
        materials: vec![],
        exit: None,
    }
}

fn renewal_app(rng: &mut Rng, p: &Plan, r: Ren, c: &CertPlan, submitted: NaiveDate) -> Application {
    let mut occupations = p.occupations.clone();
    for (o, &n) in occupations.iter_mut().zip(&c.in_window) {
        o.certificates_declared = Some(n);
    }
    match r {
        Ren::OrgDeclaredMismatch => {
            if let Some(o) = occupations.last_mut() {
                o.certificates_declared = o.certificates_declared.map(|n| n + rng.u32(12..=60));
            }
        }
        Ren::OrgNoRecords => {
            // No records on file: the evaluation falls back on these declarations, which
            // meet the thresholds.
            let each = 700 / occupations.len().max(1) as u32 + 20;
            for o in &mut occupations {
                o.certificates_declared = Some(rng.u32(each..=each * 2));
            }
        }
        _ => {}
    }
    let mut materials = vec![Material::M11_1, Material::M11_2, Material::M11_3];
    if p.inst.category == Category::Employer && r != Ren::EmployerNoPayEvidence {
        materials.push(Material::M11_4);
    }
    if rng.u8(..3) == 0 {
        materials.push(Material::M11_5);
    }
    Application {
        format: FORMAT.to_string(),
        case_no: String::new(),
        kind: CaseKind::Renewal,
        submitted_on: submitted,
        institution: p.inst.clone(),
        occupations,
        facts: Facts::default(),
        exclusions: vec![],
        materials,
        exit: None,
    }
}

fn exit_app(rng: &mut Rng, p: &Plan, x: Ex, submitted: NaiveDate) -> Application {
    let info = match x {
        Ex::VoluntaryOk | Ex::VoluntaryDone => ExitInfo {
            kind: ExitKind::Voluntary,
            requested_on: Some(submitted),
            intended_end: Some(add_days(submitted, rng.i64(35..=75))),
            trigger_on: None,
            deadline: None,
        },
        Ex::VoluntaryShort => ExitInfo {
            kind: ExitKind::Voluntary,
            requested_on: Some(submitted),
            intended_end: Some(add_days(submitted, rng.i64(12..=25))),
            trigger_on: None,
            deadline: None,
        },
        Ex::AutomaticLapsed => ExitInfo {
            kind: ExitKind::Automatic,
            requested_on: Some(submitted),
            intended_end: None,
            trigger_on: p.inst.valid_to,
            deadline: None,
        },
        Ex::AutomaticRefused => ExitInfo {
            kind: ExitKind::Automatic,
            requested_on: Some(submitted),
            intended_end: None,
            // The day the renewal was refused.
            trigger_on: Some(add_days(submitted, -rng.i64(1..=3))),
            deadline: None,
        },
        Ex::Ordered => ExitInfo {
            kind: ExitKind::Ordered,
            requested_on: Some(submitted),
            intended_end: None,
            trigger_on: Some(submitted),
            deadline: Some(add_days(submitted, 60)),
        },
    };
    Application {
        format: FORMAT.to_string(),
        case_no: String::new(),
        kind: CaseKind::Exit,
        submitted_on: submitted,
        institution: p.inst.clone(),
        occupations: p.occupations.clone(),
        facts: Facts::default(),
        exclusions: vec![],
        materials: vec![],
        exit: Some(info),
    }
}

/// GZ-2026-S-0001: numbered per kind and year in order of submission.
fn number_cases(apps: &mut [(usize, Application)]) {
    apps.sort_by_key(|(i, a)| (a.kind, a.submitted_on, *i));
    let mut next: BTreeMap<(CaseKind, i32), u32> = BTreeMap::new();
    for (_, a) in apps.iter_mut() {
        let n = next.entry((a.kind, a.submitted_on.year())).or_insert(0);
        *n += 1;
        let letter = match a.kind {
            CaseKind::Selection => 'S',
            CaseKind::Renewal => 'R',
            CaseKind::Exit => 'E',
        };
        a.case_no = format!("GZ-{}-{letter}-{n:04}", a.submitted_on.year());
    }
}

// ------------------------------------------------------------------------------ case work

struct Staff {
    admin: String,
    approver: String,
    province: String,
    /// (prefecture code, reviewer)
    cities: Vec<(String, String)>,
}

impl Staff {
    /// Colleagues' accounts, made distinct from the current account should it clash.
    fn new(account: &str) -> Self {
        let name = |n: &str| {
            if n == account {
                format!("{n}2")
            } else {
                n.to_string()
            }
        };
        let mut cities = Vec::new();
        let (mut approver, mut province) = (String::new(), String::new());
        for (acc, role, region) in COLLEAGUES {
            match (role, region) {
                ("approver", _) => approver = name(acc),
                (_, "520000") => province = name(acc),
                _ => cities.push((region.to_string(), name(acc))),
            }
        }
        Self {
            admin: account.to_string(),
            approver,
            province,
            cities,
        }
    }

    fn all(&self) -> Vec<reviewers::Reviewer> {
        let r = |account: &str, role: &str, region: &str| reviewers::Reviewer {
            account: account.to_string(),
            role: role.to_string(),
            region: region.to_string(),
        };
        let mut v = vec![
            r(&self.admin, "admin", "520000"),
            r(&self.approver, "approver", "520000"),
            r(&self.province, "reviewer", "520000"),
        ];
        v.extend(
            self.cities
                .iter()
                .map(|(region, a)| r(a, "reviewer", region)),
        );
        v
    }

    /// City reviewers take their own region's cases; the province takes the rest.
    fn reviewer_for(&self, world: &World<'_>, region: &str) -> &str {
        self.cities
            .iter()
            .find(|(city, _)| world.reference.divisions.within(region, city))
            .map(|(_, a)| a.as_str())
            .unwrap_or(&self.province)
    }
}

fn stamp(rng: &mut Rng, day: NaiveDate) -> String {
    // Office hours in Beijing time (UTC+8), stored in UTC like the store's own timestamps.
    format!("{day}T{:02}:{:02}:00Z", rng.u32(1..=8), rng.u32(0..60))
}

/// One checklist row as the demo's reviewers work it.
struct Row {
    item: String,
    /// '' for an institution-level item, as stored.
    occupation: String,
    auto: ItemResult,
    detail_en: String,
    mark: Option<&'static str>,
}

impl Row {
    fn label(&self) -> String {
        if self.occupation.is_empty() {
            self.item.clone()
        } else {
            format!("{}（{}）", self.item, self.occupation)
        }
    }

    /// What counts for the outcome, as the review desk reads a mark.
    fn effective(&self) -> ItemResult {
        match self.mark {
            Some("pass") => ItemResult::Pass,
            Some("fail") => ItemResult::Fail,
            Some(_) => ItemResult::Review,
            None => self.auto,
        }
    }
}

fn checklist_rows(conn: &Connection, case_id: i64) -> Result<Vec<Row>> {
    let mut st = conn.prepare_cached(
        "SELECT item_id, occupation, auto_result, detail_en FROM checklist
         WHERE case_id = ?1 ORDER BY seq",
    )?;
    let rows = st.query_map([case_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (item, occupation, auto, detail_en) = row?;
        out.push(Row {
            item,
            occupation,
            auto: ItemResult::from_word(&auto).unwrap_or(ItemResult::Review),
            detail_en,
            mark: None,
        });
    }
    Ok(out)
}

/// The case outcome and grantable occupations with the marks so far (SPEC section 4).
fn outcome_with_marks(app: &Application, rows: &[Row]) -> (Outcome, Vec<String>) {
    let occs: Vec<&str> = app.occupations.iter().map(|o| o.code.as_str()).collect();
    decide(
        app.kind,
        &occs,
        rows.iter().map(|r| {
            let occ = (!r.occupation.is_empty()).then_some(r.occupation.as_str());
            (r.item.as_str(), occ, r.effective())
        }),
    )
}

/// What the office writes when it asks for material.
fn supplement_note(item: &str) -> &'static str {
    match item {
        "M11.4" => "请补充证书持有人岗位、薪酬与技能等级挂钩的证明材料",
        "M11.1" | "M11.2" | "M11.3" => "请补充续期申报材料",
        "A6.7a" => "请补充剩余租期不少于3年的场地租赁合同",
        "A5.2" | "A6.7c" => "请补充功能区域照片及平面布置图",
        "A6.7b" => "请补充办公场所面积证明",
        "A6.7e" => "请补充考场桌椅间距及视频监控情况说明",
        _ => "请补充相关证明材料",
    }
}

struct CaseRef<'a> {
    id: i64,
    case_no: &'a str,
    app: &'a Application,
}

fn update_case(
    conn: &Connection,
    case: &CaseRef<'_>,
    sets: &str,
    values: &[&dyn ToSql],
) -> Result<()> {
    let sql = format!(
        "UPDATE cases SET {sets}, version = version + 1 WHERE id = ?{}",
        values.len() + 1
    );
    let mut all: Vec<&dyn ToSql> = values.to_vec();
    all.push(&case.id);
    let n = conn.execute(&sql, all.as_slice())?;
    anyhow::ensure!(n == 1, "demo: case {} not found for update", case.case_no);
    Ok(())
}

fn audit_case(
    conn: &Connection,
    account: &str,
    action: &str,
    case_no: &str,
    before: Value,
    after: Value,
) -> Result<()> {
    audit::record(
        conn,
        audit::Entry {
            account,
            action,
            entity: "case",
            entity_id: case_no,
            before: Some(&before),
            after: Some(&after),
        },
    )
}

/// Marks rows (index, mark, note) one audit entry each, as the review desk does; the last
/// entry carries the change of outcome that the marks make.
fn mark_rows(
    conn: &Connection,
    case: &CaseRef<'_>,
    rows: &mut [Row],
    marks: &[(usize, &'static str, Option<&str>)],
    account: &str,
    at: &str,
) -> Result<()> {
    let old: String =
        conn.query_row("SELECT outcome FROM cases WHERE id = ?1", [case.id], |r| {
            r.get(0)
        })?;
    for (n, &(i, mark, note)) in marks.iter().enumerate() {
        let Some(row) = rows.get_mut(i) else {
            continue;
        };
        row.mark = Some(mark);
        conn.execute(
            "UPDATE checklist SET mark = ?4, note = ?5, marked_by = ?6, marked_at = ?7
             WHERE case_id = ?1 AND item_id = ?2 AND occupation = ?3",
            params![case.id, row.item, row.occupation, mark, note, account, at],
        )?;
        let occ = (!row.occupation.is_empty()).then_some(row.occupation.clone());
        let mut before = json!({ "item": row.item, "occupation": occ, "auto_result": row.auto.word(), "mark": null });
        let mut after = json!({ "item": row.item, "occupation": occ, "auto_result": row.auto.word(), "mark": mark, "note": note });
        if n + 1 == marks.len() {
            let (outcome, _) = outcome_with_marks(case.app, rows);
            if outcome.word() != old {
                conn.execute(
                    "UPDATE cases SET outcome = ?2 WHERE id = ?1",
                    params![case.id, outcome.word()],
                )?;
                before["outcome"] = json!(old);
                after["outcome"] = json!(outcome.word());
            }
        }
        update_case(conn, case, "updated_at = ?1", &[&at])?;
        audit_case(conn, account, "case.mark", case.case_no, before, after)?;
    }
    Ok(())
}

/// The proposal a reviewer writes once every item is settled: the review desk's words
/// (approve, approve_partial, reject), the occupations granted and the reasons.
fn proposal(app: &Application, rows: &[Row]) -> Value {
    let (outcome, granted) = outcome_with_marks(app, rows);
    let fails: Vec<String> = rows
        .iter()
        .filter(|r| r.effective() == ItemResult::Fail)
        .map(Row::label)
        .collect();
    let fails = fails.join("、");
    let (decision, occupations, reasons): (&str, Vec<String>, String) = match (app.kind, outcome) {
        (CaseKind::Exit, _) => {
            let why = match app.exit.as_ref().map(|x| x.kind) {
                Some(ExitKind::Voluntary) => {
                    "机构书面申请自愿终止，提前告知期限符合规定，同意终止评价活动"
                }
                Some(ExitKind::Automatic) => "有效期届满未申请续期或续期未获通过，自动终止评价活动",
                _ => "经查存在严重违规行为，责令终止评价活动并从目录中移除",
            };
            ("approve", vec![], why.to_string())
        }
        (_, Outcome::Excluded) => (
            "reject",
            vec![],
            format!("存在第七条所列情形（{fails}），不得申报"),
        ),
        (_, Outcome::Ineligible) => (
            "reject",
            vec![],
            format!("{fails} 不符合要求，建议不予通过"),
        ),
        _ if granted.len() < app.occupations.len() => (
            "approve_partial",
            granted,
            format!("{fails} 未达要求，该职业不予准予；其余职业经审查符合条件，建议准予"),
        ),
        _ => (
            "approve",
            granted,
            "材料齐全，经审查和现场核查符合条件，建议准予".to_string(),
        ),
    };
    json!({ "decision": decision, "occupations": occupations, "reasons": reasons })
}

/// Walks a new case to `target` the way the review desk does — assign, mark items, propose,
/// approve (by a second person), close — each step an UPDATE with its audit entry by the
/// reviewer who took it, and carries the decision's consequences to the institution.
#[allow(clippy::too_many_arguments)]
fn work_case(
    conn: &Connection,
    rng: &mut Rng,
    world: &World<'_>,
    staff: &Staff,
    p: &Plan,
    case_id: i64,
    app: &Application,
    target: &str,
) -> Result<()> {
    if target == "new" {
        return Ok(());
    }
    let case = CaseRef {
        id: case_id,
        case_no: &app.case_no,
        app,
    };
    let reviewer = staff.reviewer_for(world, &app.institution.region);
    let approver = staff.approver.as_str();
    let today = world.today;
    let mut day = add_days(app.submitted_on, rng.i64(1..=3)).min(today);
    let at = stamp(rng, day);
    update_case(
        conn,
        &case,
        "status = 'in_review', assigned_to = ?1, updated_at = ?2",
        &[&reviewer, &at],
    )?;
    audit_case(
        conn,
        reviewer,
        "case.assign",
        case.case_no,
        json!({ "status": "new", "assigned_to": null }),
        json!({ "status": "in_review", "assigned_to": reviewer }),
    )?;
    let mut rows = checklist_rows(conn, case_id)?;
    let open: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].auto == ItemResult::Review)
        .collect();
    if target == "in_review" {
        // Part-way through: the first half of the open items judged.
        let marks: Vec<_> = open[..open.len() / 2]
            .iter()
            .map(|&i| (i, "pass", None))
            .collect();
        mark_rows(conn, &case, &mut rows, &marks, reviewer, &at)?;
        return set_institution(conn, world, reviewer, p, app, None, target);
    }
    day = add_days(day, rng.i64(1..=5)).min(today);
    let at = stamp(rng, day);
    let prop = if target == "supplement" {
        // Ask for what fails or is missing; the rest is judged.
        let mut asked: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let r = &rows[i];
                (r.auto == ItemResult::Fail && !r.item.starts_with("A7."))
                    || (r.auto == ItemResult::Review && r.detail_en.contains("missing"))
            })
            .collect();
        if asked.is_empty() {
            asked.extend(open.get(rng.usize(..open.len().max(1))));
        }
        let marks: Vec<_> = (0..rows.len())
            .filter_map(|i| {
                if asked.contains(&i) {
                    Some((i, "supplement", Some(supplement_note(&rows[i].item))))
                } else if rows[i].auto == ItemResult::Review {
                    Some((i, "pass", None))
                } else {
                    None
                }
            })
            .collect();
        mark_rows(conn, &case, &mut rows, &marks, reviewer, &at)?;
        let items: Vec<String> = asked.iter().map(|&i| rows[i].label()).collect();
        json!({
            "decision": "supplement",
            "occupations": [],
            "reasons": format!("请补充材料：{}", items.join("、")),
        })
    } else {
        let marks: Vec<_> = open.iter().map(|&i| (i, "pass", None)).collect();
        mark_rows(conn, &case, &mut rows, &marks, reviewer, &at)?;
        proposal(app, &rows)
    };
    let text = prop.to_string();
    update_case(
        conn,
        &case,
        "status = 'proposed', proposal = ?1, proposed_by = ?2, proposed_at = ?3, updated_at = ?3",
        &[&text, &reviewer, &at],
    )?;
    audit_case(
        conn,
        reviewer,
        "case.propose",
        case.case_no,
        json!({ "status": "in_review", "proposal": null }),
        json!({ "status": "proposed", "proposal": prop }),
    )?;
    if target == "proposed" {
        return set_institution(conn, world, reviewer, p, app, None, target);
    }
    // The approver's decision is the proposal approved, as the review desk stores it.
    day = add_days(day, rng.i64(1..=5)).min(today);
    let at = stamp(rng, day);
    let status = if target == "supplement" {
        "supplement"
    } else {
        "decided"
    };
    update_case(
        conn,
        &case,
        "status = ?1, decision = ?2, decided_by = ?3, decided_at = ?4, updated_at = ?4",
        &[&status, &text, &approver, &at],
    )?;
    audit_case(
        conn,
        approver,
        "case.decide",
        case.case_no,
        json!({ "status": "proposed", "proposed_by": reviewer }),
        json!({ "status": status, "decision": prop, "decided_by": approver }),
    )?;
    if target == "supplement" {
        return set_institution(conn, world, reviewer, p, app, None, target);
    }
    set_institution(conn, world, approver, p, app, Some((&prop, day)), target)?;
    if app.kind == CaseKind::Exit {
        let approved = matches!(
            prop["decision"].as_str(),
            Some("approve" | "approve_partial")
        );
        crate::store::exits::on_decision(conn, approver, case_id, approved, day)?;
    }
    if target == "closed" {
        // Closed once the wrap-up is done, each deadline met on time.
        let mut close_day = add_days(day, rng.i64(3..=20));
        if let Some(end) = app.exit.as_ref().and_then(|x| x.intended_end) {
            close_day = close_day.max(end);
        }
        let close_day = close_day.min(today);
        if app.kind == CaseKind::Exit {
            exit_steps(conn, reviewer, case_id, app, day, close_day)?;
        }
        let at = stamp(rng, close_day);
        update_case(conn, &case, "status = 'closed', updated_at = ?1", &[&at])?;
        let done = close_day.to_string();
        conn.execute(
            "UPDATE deadlines SET done_on = min(due, ?2) WHERE case_id = ?1 AND done_on IS NULL",
            params![case_id, done],
        )?;
        audit_case(
            conn,
            reviewer,
            "case.close",
            case.case_no,
            json!({ "status": "decided" }),
            json!({ "status": "closed", "deadlines_done_on": done }),
        )?;
        if app.kind == CaseKind::Exit {
            let id = institution_id(conn, app)?;
            institutions::set_status(conn, reviewer, id, "exited")?;
        }
    }
    Ok(())
}

/// The wrap-up and art. 16 steps of a closed exit, spread evenly from the decision to the
/// close (no random draw, so the rest of the demo stays as it was).
fn exit_steps(
    conn: &Connection,
    account: &str,
    case_id: i64,
    app: &Application,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    use crate::domain::exit::{steps_for, Step};
    let Some(kind) = app.exit.as_ref().map(|x| x.kind) else {
        return Ok(());
    };
    let steps = steps_for(kind);
    let span = (to - from).num_days().max(0);
    let n = steps.len() as i64;
    for (k, s) in steps.iter().enumerate() {
        let on = add_days(from, span * (k as i64 + 1) / n);
        let number = match s {
            Step::Announced => Some(format!("黔人社公告〔{}〕{case_id}号", on.year())),
            Step::TerminationNotice => Some(format!("黔人社评终〔{}〕{case_id}号", on.year())),
            _ => None,
        };
        conn.execute(
            "INSERT INTO exit_steps (case_id, step, done_on, number, account, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                case_id,
                s.word(),
                on.to_string(),
                number,
                account,
                format!("{on}T02:00:00Z")
            ],
        )?;
    }
    Ok(())
}

fn institution_id(conn: &Connection, app: &Application) -> Result<i64> {
    institutions::id_by_credit_code(conn, &app.institution.credit_code)?
        .ok_or_else(|| anyhow!("demo: institution {} missing", app.institution.credit_code))
}

/// What a case does to its institution, as the review desk's approval does: an approved
/// applicant is recognised from the day of the decision; a rejected one is refused; an
/// approved renewal starts the next period the day after the current one ends; an exit under
/// way makes the institution exiting (and closing it, exited).
fn set_institution(
    conn: &Connection,
    world: &World<'_>,
    actor: &str,
    p: &Plan,
    app: &Application,
    decision: Option<(&Value, NaiveDate)>,
    target: &str,
) -> Result<()> {
    let id = institution_id(conn, app)?;
    let approved =
        |d: &Value| matches!(d["decision"].as_str(), Some("approve" | "approve_partial"));
    let granted = |d: &Value| -> Vec<Occupation> {
        let codes: Vec<&str> = d["occupations"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        app.occupations
            .iter()
            .filter(|o| codes.contains(&o.code.as_str()))
            .cloned()
            .collect()
    };
    match (app.kind, decision) {
        (CaseKind::Selection, Some((d, day))) if approved(d) => {
            let (from, to) = world.period_starting(day);
            let inst = Institution {
                valid_from: Some(from),
                valid_to: Some(to),
                ..p.inst.clone()
            };
            institutions::upsert(conn, actor, &inst, "active")?;
            institutions::add_occupations(conn, id, &granted(d))?;
            institutions::set_status(conn, actor, id, "active")
        }
        (CaseKind::Selection, Some(_)) => institutions::set_status(conn, actor, id, "refused"),
        (CaseKind::Renewal, Some((d, _))) if approved(d) => {
            let Some(old_to) = p.inst.valid_to else {
                return Ok(());
            };
            let (from, to) = world.period_starting(add_days(old_to, 1));
            let inst = Institution {
                valid_from: Some(from),
                valid_to: Some(to),
                ..p.inst.clone()
            };
            institutions::upsert(conn, actor, &inst, "active")?;
            institutions::add_occupations(conn, id, &granted(d))
        }
        (CaseKind::Exit, _) if target != "new" => {
            institutions::set_status(conn, actor, id, "exiting")
        }
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------------------ run

fn count(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

fn counts_by(conn: &Connection, sql: &str) -> Result<BTreeMap<String, i64>> {
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (k, n) = row?;
        out.insert(k, n);
    }
    Ok(out)
}

/// "new 3, in_review 2" in the order of `words`, zeros included.
fn list(
    counts: &BTreeMap<String, i64>,
    words: &[&str],
    label: impl Fn(&str) -> String,
    sep: &str,
) -> String {
    words
        .iter()
        .map(|w| format!("{} {}", label(w), counts.get(*w).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(sep)
}

const KINDS: [&str; 3] = ["selection", "renewal", "exit"];

fn refuse_unless_empty(conn: &Connection) -> Result<()> {
    let cases = count(conn, "SELECT count(*) FROM cases")?;
    let insts = count(conn, "SELECT count(*) FROM institutions")?;
    let certs = count(conn, "SELECT count(*) FROM certificates")?;
    if cases + insts + certs > 0 {
        bail!(
            "demo: this database already holds {cases} case(s), {insts} institution(s) and {certs} \
             certificate record(s); the demo only fills an empty database (give another --db PATH, \
             or use --demo for the separate demo database)"
        );
    }
    Ok(())
}

pub fn run(
    store: &mut Store,
    account: &str,
    reference: &Reference,
    opts: Options,
) -> Result<String> {
    if !(MIN_INSTITUTIONS..=MAX_INSTITUTIONS).contains(&opts.institutions) {
        bail!(
            "demo: --institutions must be from {MIN_INSTITUTIONS} to {MAX_INSTITUTIONS} (one case of \
             every scenario needs {MIN_INSTITUTIONS}; certificate numbers have 4 digits for the institution)"
        );
    }
    if opts.certificates > MAX_CERTIFICATES {
        bail!("demo: --certificates must be at most {MAX_CERTIFICATES}");
    }
    refuse_unless_empty(&store.conn)?;
    let salt = store.salt()?;
    let mut rng = Rng::with_seed(opts.seed);
    let world = World::new(reference, opts.today)?;
    let staff = Staff::new(account);
    let plans = plan(&mut rng, &world, &opts)?;
    let cert_plans = plan_certificates(&mut rng, &world, &plans, opts.certificates);

    // The whole demo is one transaction of ~100 MB: a page cache that holds it spares SQLite
    // spilling pages to the WAL and reading them back (about a third of the time). Restored
    // afterwards, whatever happens.
    let cache: i64 = store
        .conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))?;
    store
        .conn
        .pragma_update(None, "cache_size", -DEMO_CACHE_KIB)?;
    let result = fill(
        store,
        account,
        reference,
        &opts,
        &salt,
        &mut rng,
        &world,
        &staff,
        &plans,
        &cert_plans,
    );
    store.conn.pragma_update(None, "cache_size", cache)?;
    result
}

#[allow(clippy::too_many_arguments)]
fn fill(
    store: &mut Store,
    account: &str,
    reference: &Reference,
    opts: &Options,
    salt: &str,
    rng: &mut Rng,
    world: &World<'_>,
    staff: &Staff,
    plans: &[Plan],
    cert_plans: &[CertPlan],
) -> Result<String> {
    let tx = store.conn.transaction()?;
    for r in staff.all() {
        reviewers::upsert(&tx, account, &r)?;
    }
    // Certificates first: renewal cases are evaluated against these records.
    let (written, with_certs) =
        write_certificates(&tx, account, salt, rng, world, plans, cert_plans)?;
    for p in plans.iter().filter(|p| p.role == Role::Plain) {
        let id = institutions::upsert(&tx, account, &p.inst, "active")?;
        institutions::add_occupations(&tx, id, &p.occupations)?;
    }

    let mut apps: Vec<(usize, Application)> = Vec::new();
    for (i, (p, c)) in plans.iter().zip(cert_plans).enumerate() {
        let Some(submitted) = p.submitted_on else {
            continue;
        };
        let app = match p.role {
            Role::Plain => continue,
            Role::Selection(s) => selection_app(rng, p, s, submitted),
            Role::Renewal(r) => renewal_app(rng, p, r, c, submitted),
            Role::Exit(x) => exit_app(rng, p, x, submitted),
        };
        apps.push((i, app));
    }
    number_cases(&mut apps);
    for (i, app) in &apps {
        let p = &plans[*i];
        let flags =
            validate(app, &reference.divisions, ValidateOptions::default()).map_err(|e| {
                anyhow!(
                    "demo: generated case {} does not validate: {e}",
                    app.case_no
                )
            })?;
        let recorded = match (
            app.kind,
            app.institution.valid_from,
            app.institution.valid_to,
        ) {
            (CaseKind::Renewal, Some(from), Some(to)) => {
                certificates::recorded_counts(&tx, &app.institution.credit_code, from, to)?
            }
            _ => None,
        };
        let ev = evaluate_app(app, &flags, reference, recorded.as_ref())?;
        let case_id = cases::insert(&tx, account, app, &ev, "new")
            .with_context(|| format!("demo: case {}", app.case_no))?;
        work_case(&tx, rng, world, staff, p, case_id, app, p.status)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('demo', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [
            json!({ "seed": opts.seed, "today": opts.today.to_string(), "account": account })
                .to_string(),
        ],
    )?;
    let report = report(&tx, staff, opts, written, with_certs)?;
    tx.commit()?;
    Ok(report)
}

fn report(
    conn: &Connection,
    staff: &Staff,
    opts: &Options,
    written: u64,
    with_certs: usize,
) -> Result<String> {
    let by_status = counts_by(conn, "SELECT status, count(*) FROM cases GROUP BY status")?;
    let by_kind = counts_by(conn, "SELECT kind, count(*) FROM cases GROUP BY kind")?;
    let insts = counts_by(
        conn,
        "SELECT status, count(*) FROM institutions GROUP BY status",
    )?;
    let mut waiting = Vec::new();
    {
        let mut st = conn.prepare(
            "SELECT case_no FROM cases WHERE status = 'proposed' AND proposed_by <> ?1 ORDER BY case_no",
        )?;
        let rows = st.query_map([&staff.admin], |r| r.get::<_, String>(0))?;
        for r in rows {
            waiting.push(r?);
        }
    }
    let plain = |w: &str| w.to_string();
    let reviewers: Vec<String> = staff
        .all()
        .iter()
        .map(|r| format!("{} ({} {})", sanitize(&r.account), r.role, r.region))
        .collect();
    let mut out = format!(
        "Demo data written (seed {}, dates around {}):\n",
        opts.seed, opts.today
    );
    out.push_str(&format!(
        "  reviewers     {}: {}\n",
        reviewers.len(),
        reviewers.join(", ")
    ));
    out.push_str(&format!(
        "  institutions  {}: {}\n",
        insts.values().sum::<i64>(),
        list(&insts, institutions::STATUSES, plain, ", ")
    ));
    out.push_str(&format!(
        "  cases         {}: {}\n",
        by_kind.values().sum::<i64>(),
        list(&by_kind, &KINDS, plain, ", ")
    ));
    out.push_str(&format!(
        "                 {}\n",
        list(&by_status, cases::STATUSES, plain, ", ")
    ));
    out.push_str(&format!(
        "  certificates  {written} records for {with_certs} institutions\n"
    ));
    if !waiting.is_empty() {
        // A province-scale demo has hundreds: the first ten say where to start.
        let more = waiting.len().saturating_sub(10);
        let mut shown = waiting
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if more > 0 {
            shown.push_str(&format!(" and {more} more"));
        }
        out.push_str(&format!(
            "Proposed by a colleague, awaiting approval by you ({}): {shown}\n",
            sanitize(&staff.admin),
        ));
    }
    Ok(out)
}

// ------------------------------------------------------------------------------ overview

fn case_status_zh(s: &str) -> String {
    match s {
        "new" => "新收",
        "in_review" => "审查中",
        "supplement" => "待补正",
        "proposed" => "待审批",
        "decided" => "已决定",
        "closed" => "已办结",
        other => other,
    }
    .to_string()
}

fn kind_zh(s: &str) -> String {
    match s {
        "selection" => "遴选",
        "renewal" => "续期",
        "exit" => "退出",
        other => other,
    }
    .to_string()
}

fn institution_status_zh(s: &str) -> String {
    match s {
        "applicant" => "申报中",
        "active" => "有效",
        "exiting" => "退出中",
        "exited" => "已退出",
        "refused" => "未获遴选",
        other => other,
    }
    .to_string()
}

/// What `pingshen` with no subcommand prints until the terminal app lands.
pub fn overview(store: &Store, path: &Path, lang: Lang) -> Result<String> {
    let conn = &store.conn;
    let by_status = counts_by(conn, "SELECT status, count(*) FROM cases GROUP BY status")?;
    let by_kind = counts_by(conn, "SELECT kind, count(*) FROM cases GROUP BY kind")?;
    let insts = counts_by(
        conn,
        "SELECT status, count(*) FROM institutions GROUP BY status",
    )?;
    let certs = count(conn, "SELECT count(*) FROM certificates")?;
    let n_cases: i64 = by_status.values().sum();
    let n_insts: i64 = insts.values().sum();
    let shown = sanitize(&path.display().to_string());
    let commands = "evaluate, import applications, import certificates, stats renewal, demo";
    let mut out = String::new();
    if lang == Lang::Zh {
        out.push_str(&format!("数据库：{shown}\n"));
        out.push_str(&format!(
            "案件 {n_cases} 件：{}\n",
            list(&by_status, cases::STATUSES, case_status_zh, "，")
        ));
        out.push_str(&format!(
            "  按类型：{}\n",
            list(&by_kind, &KINDS, kind_zh, "，")
        ));
        out.push_str(&format!(
            "机构 {n_insts} 家：{}\n",
            list(&insts, institutions::STATUSES, institution_status_zh, "，")
        ));
        out.push_str(&format!("证书记录 {certs} 条\n"));
        if n_cases + n_insts + certs == 0 {
            out.push_str("数据库为空：pingshen demo 可填入演示数据（pingshen --demo 使用单独的演示数据库）。\n");
        }
        out.push_str(&format!(
            "评审台需在终端中打开（pingshen 或 pingshen --db PATH）；脚本可用命令：{}（pingshen --help 查看用法）。\n",
            commands.replace(", ", "、")
        ));
    } else {
        let plain = |w: &str| w.to_string();
        out.push_str(&format!("Database: {shown}\n"));
        out.push_str(&format!(
            "Cases {n_cases}: {}\n",
            list(&by_status, cases::STATUSES, plain, ", ")
        ));
        out.push_str(&format!(
            "  by kind: {}\n",
            list(&by_kind, &KINDS, plain, ", ")
        ));
        out.push_str(&format!(
            "Institutions {n_insts}: {}\n",
            list(&insts, institutions::STATUSES, plain, ", ")
        ));
        out.push_str(&format!("Certificate records: {certs}\n"));
        if n_cases + n_insts + certs == 0 {
            out.push_str(
                "The database is empty: `pingshen demo` fills it with demo data (`pingshen --demo` uses a separate demo database).\n",
            );
        }
        out.push_str(&format!(
            "The review desk opens in a terminal (pingshen, or pingshen --db PATH); for scripts the headless commands are: {commands} (see pingshen --help).\n"
        ));
    }
    Ok(out)
}
