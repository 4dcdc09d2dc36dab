//! Reading files from outside (certificate records) into checked domain values.
pub mod certificates;
