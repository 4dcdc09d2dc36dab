//! The rules of the 细则 as pure code: the application model, validation, the rules file,
//! evaluation, the workday calendar and reference lists. No I/O, no storage, no UI: every
//! other part of pingshen depends on this module and it depends on none of them.

pub mod application;
pub mod calendar;
pub mod credit_code;
pub mod evaluate;
pub mod exit;
pub mod reference;
pub mod renewal;
pub mod rules;
pub mod validate;

pub use application::Application;
pub use calendar::Calendar;
pub use evaluate::{evaluate, Evaluation, ItemResult, Outcome, RecordedCounts};
pub use reference::{Divisions, Occupations};
pub use rules::RuleSet;
