//! Styles and symbols. Focus and selection use reverse video and bold, so they read without
//! colour (NO_COLOR, monochrome); `--ascii` draws borders and marks with ASCII only, for
//! terminals that draw box-drawing and other ambiguous-width characters two cells wide.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

pub const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    pub fn new(ascii: bool, no_color: bool) -> Self {
        Self {
            color: !no_color,
            ascii,
        }
    }

    /// NO_COLOR (any value) turns colour off, as https://no-color.org asks.
    pub fn from_env(ascii: bool) -> Self {
        Self::new(ascii, std::env::var_os("NO_COLOR").is_some())
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn border(&self) -> border::Set<'static> {
        if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        }
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn pass(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn fail(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn review(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn tab_active(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// Result marks are ASCII in both modes: they must line up in every terminal.
    pub fn result_mark(&self, word: &str) -> &'static str {
        match word {
            "pass" => "[+]",
            "fail" => "[x]",
            "supplement" => "[!]",
            "n/a" => "[-]",
            _ => "[?]",
        }
    }

    pub fn result_style(&self, word: &str) -> Style {
        match word {
            "pass" => self.pass(),
            "fail" => self.fail(),
            "n/a" => self.dim(),
            _ => self.review(),
        }
    }

    /// Key labels with arrows become words in ASCII mode.
    pub fn key_label(&self, label: &str) -> String {
        if self.ascii {
            label
                .replace('↓', "Down")
                .replace('↑', "Up")
                .replace('←', "Left")
                .replace('→', "Right")
        } else {
            label.to_string()
        }
    }

    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "~"
        } else {
            "…"
        }
    }
}
