//! The keymap is data: one table of bindings, each with its screen, keys, action and a
//! description in both languages. The help overlay and the key-hint bar are drawn from this
//! table, so they cannot drift from what the keys do.

use crate::commands::Lang;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Queue,
    Case,
    /// The renewal statistics and early warning.
    Stats,
    /// One institution of the statistics.
    Institution,
    /// Every open deadline across cases, by due date.
    Deadlines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Quit,
    Help,
    /// Draw the whole screen again (after something else wrote on the terminal).
    Redraw,
    Search,
    NextTab,
    PrevTab,
    FilterKind,
    FilterCategory,
    FilterRegion,
    FilterMine,
    FilterUnassigned,
    ClearFilters,
    Sort,
    Reload,
    SwitchPane,
    MarkPass,
    MarkFail,
    MarkSupplement,
    ClearMark,
    Note,
    CaseNote,
    NextUnresolved,
    Article,
    Propose,
    Approve,
    SendBack,
    History,
    Stats,
    FilterAtRisk,
    /// Records the next step of an exit case.
    RecordStep,
    Deadlines,
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(c: KeyCode) -> Key {
    Key {
        code: c,
        ctrl: false,
    }
}

pub struct Binding {
    pub screens: &'static [Screen],
    pub keys: &'static [Key],
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub action: Action,
    pub zh: &'static str,
    pub en: &'static str,
    /// Shown in the one-line hint bar (the frequent ones).
    pub hint: bool,
}

use Screen::{Case as C, Deadlines as Dl, Institution as I, Queue as Q, Stats as St};

pub static KEYMAP: &[Binding] = &[
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[ch('j'), code(KeyCode::Down)],
        label: "j/↓",
        action: Action::Down,
        zh: "下移",
        en: "down",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[ch('k'), code(KeyCode::Up)],
        label: "k/↑",
        action: Action::Up,
        zh: "上移",
        en: "up",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[code(KeyCode::PageDown), ctrl('f'), ctrl('d')],
        label: "PgDn/^F",
        action: Action::PageDown,
        zh: "下一页",
        en: "page down",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[code(KeyCode::PageUp), ctrl('b'), ctrl('u')],
        label: "PgUp/^B",
        action: Action::PageUp,
        zh: "上一页",
        en: "page up",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[ch('g'), code(KeyCode::Home)],
        label: "g/Home",
        action: Action::Top,
        zh: "到顶",
        en: "top",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, Dl],
        keys: &[ch('G'), code(KeyCode::End)],
        label: "G/End",
        action: Action::Bottom,
        zh: "到底",
        en: "bottom",
        hint: false,
    },
    Binding {
        screens: &[St],
        keys: &[code(KeyCode::Enter), ch('l'), code(KeyCode::Right)],
        label: "Enter",
        action: Action::Open,
        zh: "查看机构详情",
        en: "institution detail",
        hint: true,
    },
    Binding {
        screens: &[St],
        keys: &[ch('/')],
        label: "/",
        action: Action::Search,
        zh: "搜索（名称、拼音首字母、信用代码）",
        en: "search (name, pinyin initials, credit code)",
        hint: true,
    },
    Binding {
        screens: &[St],
        keys: &[ch('a'), ch('!')],
        label: "a/!",
        action: Action::FilterAtRisk,
        zh: "只看预警机构",
        en: "at risk only",
        hint: true,
    },
    Binding {
        screens: &[St],
        keys: &[ch('o')],
        label: "o",
        action: Action::Sort,
        zh: "切换排序（到期、预警、地区、差距）",
        en: "change sort order (end of period, risk, region, shortfall)",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[code(KeyCode::Enter), ch('l'), code(KeyCode::Right)],
        label: "Enter",
        action: Action::Open,
        zh: "打开案件",
        en: "open case",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('/')],
        label: "/",
        action: Action::Search,
        zh: "搜索（名称、拼音首字母、信用代码、案件号）",
        en: "search (name, pinyin initials, credit code, case no.)",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[ch(']')],
        label: "]",
        action: Action::NextTab,
        zh: "下一状态页",
        en: "next status tab",
        hint: false,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('[')],
        label: "[",
        action: Action::PrevTab,
        zh: "上一状态页",
        en: "previous status tab",
        hint: false,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('t')],
        label: "t",
        action: Action::FilterKind,
        zh: "按类型筛选（遴选/续期/退出）",
        en: "filter by kind",
        hint: true,
    },
    Binding {
        screens: &[Q, St],
        keys: &[ch('c')],
        label: "c",
        action: Action::FilterCategory,
        zh: "按机构类别筛选",
        en: "filter by category",
        hint: false,
    },
    Binding {
        screens: &[Q, St],
        keys: &[ch('R')],
        label: "R",
        action: Action::FilterRegion,
        zh: "按市州筛选",
        en: "filter by prefecture",
        hint: false,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('m')],
        label: "m",
        action: Action::FilterMine,
        zh: "只看我承办的",
        en: "mine only",
        hint: false,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('U')],
        label: "U",
        action: Action::FilterUnassigned,
        zh: "只看未分配的",
        en: "unassigned only",
        hint: false,
    },
    Binding {
        screens: &[Q, St],
        keys: &[ch('x')],
        label: "x",
        action: Action::ClearFilters,
        zh: "清除筛选和搜索",
        en: "clear filters and search",
        hint: false,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('o')],
        label: "o",
        action: Action::Sort,
        zh: "切换排序",
        en: "change sort order",
        hint: false,
    },
    Binding {
        screens: &[Q, C, St, I, Dl],
        keys: &[ch('r')],
        label: "r",
        action: Action::Reload,
        zh: "重新载入",
        en: "reload",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[code(KeyCode::Tab)],
        label: "Tab",
        action: Action::SwitchPane,
        zh: "切换窗格",
        en: "switch pane",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('p')],
        label: "p",
        action: Action::MarkPass,
        zh: "标记通过（改判自动结果需写理由）",
        en: "mark pass (overriding an auto result needs a reason)",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('f')],
        label: "f",
        action: Action::MarkFail,
        zh: "标记不通过",
        en: "mark fail",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('s')],
        label: "s",
        action: Action::MarkSupplement,
        zh: "标记需补正",
        en: "mark needs supplement",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('z')],
        label: "z",
        action: Action::ClearMark,
        zh: "撤销标记",
        en: "clear mark",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('u'), ch(' ')],
        label: "u/Space",
        action: Action::NextUnresolved,
        zh: "下一待审条目",
        en: "next unresolved item",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('n')],
        label: "n",
        action: Action::Note,
        zh: "条目备注",
        en: "note on item",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('N')],
        label: "N",
        action: Action::CaseNote,
        zh: "案件备注",
        en: "note on case",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('a')],
        label: "a",
        action: Action::Article,
        zh: "查看条文原文",
        en: "article text",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('d')],
        label: "d",
        action: Action::Propose,
        zh: "拟办决定",
        en: "propose a decision",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('A')],
        label: "A",
        action: Action::Approve,
        zh: "批准拟办决定（须另一评审员）",
        en: "approve the proposal (another reviewer)",
        hint: true,
    },
    Binding {
        screens: &[C],
        keys: &[ch('b')],
        label: "b",
        action: Action::SendBack,
        zh: "退回拟办决定",
        en: "send the proposal back",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('h')],
        label: "h",
        action: Action::History,
        zh: "案件记录（审计日志）",
        en: "case history (audit log)",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[ch('w')],
        label: "w",
        action: Action::RecordStep,
        zh: "记录退出的下一步骤（日期、文号）",
        en: "record the exit's next step (date, number)",
        hint: false,
    },
    Binding {
        screens: &[C],
        keys: &[code(KeyCode::Esc), ch('q'), code(KeyCode::Left)],
        label: "q/Esc",
        action: Action::Back,
        zh: "返回（队列或期限一览）",
        en: "back (to the queue or the deadlines)",
        hint: true,
    },
    Binding {
        screens: &[St, Dl],
        keys: &[code(KeyCode::Esc), ch('q'), code(KeyCode::Left)],
        label: "q/Esc",
        action: Action::Back,
        zh: "返回队列",
        en: "back to queue",
        hint: true,
    },
    Binding {
        screens: &[Dl],
        keys: &[code(KeyCode::Enter), ch('l'), code(KeyCode::Right)],
        label: "Enter",
        action: Action::Open,
        zh: "打开该期限的案件",
        en: "open the deadline's case",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('S')],
        label: "S",
        action: Action::Stats,
        zh: "续期统计与预警",
        en: "renewal statistics and early warning",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('D')],
        label: "D",
        action: Action::Deadlines,
        zh: "期限一览（全部未办结期限，按到期日）",
        en: "deadlines (every open one, by due date)",
        hint: true,
    },
    Binding {
        screens: &[I],
        keys: &[ch('j'), code(KeyCode::Down)],
        label: "j/↓",
        action: Action::Down,
        zh: "下一家机构",
        en: "next institution",
        hint: true,
    },
    Binding {
        screens: &[I],
        keys: &[ch('k'), code(KeyCode::Up)],
        label: "k/↑",
        action: Action::Up,
        zh: "上一家机构",
        en: "previous institution",
        hint: true,
    },
    Binding {
        screens: &[I],
        keys: &[code(KeyCode::Esc), ch('q'), code(KeyCode::Left)],
        label: "q/Esc",
        action: Action::Back,
        zh: "返回统计",
        en: "back to statistics",
        hint: true,
    },
    Binding {
        screens: &[Q],
        keys: &[ch('q'), ctrl('c')],
        label: "q",
        action: Action::Quit,
        zh: "退出",
        en: "quit",
        hint: true,
    },
    Binding {
        screens: &[Q, C, St, I, Dl],
        keys: &[ch('?'), code(KeyCode::F(1))],
        label: "?",
        action: Action::Help,
        zh: "按键帮助",
        en: "help",
        hint: true,
    },
    Binding {
        screens: &[Q, C, St, I, Dl],
        keys: &[ctrl('l')],
        label: "Ctrl-L",
        action: Action::Redraw,
        zh: "重画整个屏幕",
        en: "redraw the whole screen",
        hint: false,
    },
];

impl Key {
    fn matches(&self, ev: &KeyEvent) -> bool {
        let ev_ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        self.code == ev.code && self.ctrl == ev_ctrl
    }
}

/// The action a key press means on a screen.
pub fn lookup(screen: Screen, ev: &KeyEvent) -> Option<Action> {
    // Ctrl-C always quits, whatever the screen, so a reviewer is never stuck.
    if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::Quit);
    }
    KEYMAP
        .iter()
        .filter(|b| b.screens.contains(&screen))
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

pub fn bindings(screen: Screen) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| b.screens.contains(&screen))
}

pub fn describe(b: &Binding, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => b.zh,
        Lang::En => b.en,
    }
}

/// The short label of a binding in the hint bar, which must fit 80 columns.
pub fn hint_label(b: &Binding, lang: Lang) -> &'static str {
    let (zh, en) = match b.action {
        // In the statistics, Enter opens an institution (and j/k step through them there).
        Action::Open if b.screens.contains(&Screen::Stats) => ("详情", "detail"),
        Action::Open => ("打开", "open"),
        Action::Search => ("搜索", "search"),
        Action::FilterKind => ("类型", "kind"),
        Action::Quit => ("退出", "quit"),
        Action::Help => ("帮助", "help"),
        Action::Redraw => ("重画", "redraw"),
        Action::MarkPass => ("通过", "pass"),
        Action::MarkFail => ("不通过", "fail"),
        Action::MarkSupplement => ("补正", "suppl."),
        Action::NextUnresolved => ("下一待审", "next"),
        Action::Note => ("备注", "note"),
        Action::Propose => ("拟办", "propose"),
        Action::Approve => ("批准", "approve"),
        Action::Back => ("返回", "back"),
        Action::Stats => ("统计", "stats"),
        Action::Deadlines => ("期限", "deadlines"),
        Action::FilterAtRisk => ("预警", "at risk"),
        Action::Sort => ("排序", "sort"),
        Action::Down => ("下一家", "next"),
        Action::Up => ("上一家", "prev."),
        _ => (b.zh, b.en),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_on_a_screen() {
        for screen in [
            Screen::Queue,
            Screen::Case,
            Screen::Stats,
            Screen::Institution,
            Screen::Deadlines,
        ] {
            let mut seen = Vec::new();
            for b in bindings(screen) {
                for k in b.keys {
                    let id = (format!("{:?}", k.code), k.ctrl);
                    assert!(!seen.contains(&id), "{screen:?}: {id:?} bound twice");
                    seen.push(id);
                }
            }
        }
    }

    /// The README's key table is this table: a key added here and not there fails.
    #[test]
    fn readme_lists_every_binding() {
        let readme = include_str!("../../README.md");
        for b in KEYMAP {
            let row = format!("| `{}` | {} | {} |", b.label, b.zh, b.en);
            assert!(readme.contains(&row), "README lacks: {row}");
        }
    }
}
