//! pingshen (评审): the review desk for Guizhou's vocational skill level recognition
//! institutions. `domain` is the pure rules; `store`, `import`, `export`, `documents` and
//! `commands` build on it.

pub mod assets;
pub mod commands;
pub mod documents;
pub mod domain;
pub mod export;
pub mod import;
pub mod settings;
pub mod store;
pub mod text;
pub mod ui;
