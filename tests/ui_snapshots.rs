//! Every screen of the review desk drawn through ratatui's TestBackend at 80x24 and 120x40,
//! in Chinese and English, and in ASCII mode. Each snapshot records the text and, below it,
//! where the reverse-video selection is, so focus is tested without colour.

mod common;
use chrono::NaiveDate;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use pingshen::commands::Lang;
use pingshen::store::{review, Store};
use pingshen::ui::app::App;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;
use unicode_width::UnicodeWidthStr;

use common::desk_today as today;

/// The desk opened on a copy of the demo as the provincial admin.
fn app(dir: &std::path::Path, lang: Lang, ascii: bool, size: (u16, u16)) -> App {
    let path = dir.join("ui.db");
    if !path.exists() {
        std::fs::copy(common::demo_template(today()), &path).unwrap();
    }
    common::desk(
        Store::open(&path).unwrap(),
        "tester",
        lang,
        ascii,
        true,
        size,
    )
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ctrl(app: &mut App, c: char) {
    app.handle_event(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The screen as text, then a map of reverse-video cells ('#'), timestamps masked.
fn screen(app: &App, size: (u16, u16)) -> String {
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    term.draw(|f| pingshen::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut text = String::new();
    let mut marks = String::new();
    for y in 0..size.1 {
        let mut line = String::new();
        let mut mark = String::new();
        let mut skip = 0;
        for x in 0..size.0 {
            let cell = &buf[(x, y)];
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = cell.symbol();
            line.push_str(sym);
            let w = unicode_width::UnicodeWidthStr::width(sym).max(1);
            skip = w - 1;
            let rev = cell.modifier.contains(Modifier::REVERSED);
            mark.push_str(&(if rev { "#" } else { "." }).repeat(w));
        }
        text.push_str(line.trim_end());
        text.push('\n');
        if mark.contains('#') {
            marks.push_str(&format!("{y:>2} {}\n", mark.trim_end_matches('.')));
        }
    }
    let ts = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").unwrap();
    let text = ts.replace_all(&text, "YYYY-MM-DDThh:mm:ssZ").into_owned();
    format!("{text}-- reverse video --\n{marks}")
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Runs `steps` from the queue and snapshots the result in every language, size and mode.
fn each_variant(name: &str, steps: impl Fn(&mut App)) {
    for (lang, tag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        for size in SIZES {
            let dir = tempfile::tempdir().unwrap();
            let mut a = app(dir.path(), lang, false, size);
            steps(&mut a);
            insta::assert_snapshot!(
                format!("{name}_{tag}_{}x{}", size.0, size.1),
                screen(&a, size)
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, true, (80, 24));
    steps(&mut a);
    insta::assert_snapshot!(format!("{name}_ascii_80x24"), screen(&a, (80, 24)));
}

/// Opens the first case of the queue that is still new (all its items to review).
fn open_new_case(a: &mut App) {
    key(a, KeyCode::Char(']'));
    key(a, KeyCode::Enter);
}

#[test]
fn queue() {
    each_variant("queue", |_| {});
}

#[test]
fn queue_search() {
    each_variant("queue_search", |a| {
        key(a, KeyCode::Char('/'));
        typed(a, "zy");
    });
}

#[test]
fn queue_filtered() {
    each_variant("queue_filtered", |a| {
        key(a, KeyCode::Char('t'));
        key(a, KeyCode::Char('c'));
        key(a, KeyCode::Char('c'));
        key(a, KeyCode::Char('c'));
    });
}

#[test]
fn queue_help() {
    each_variant("queue_help", |a| key(a, KeyCode::Char('?')));
}

#[test]
fn case() {
    each_variant("case", open_new_case);
}

#[test]
fn case_marked() {
    each_variant("case_marked", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('p'));
        key(a, KeyCode::Char('s'));
    });
}

#[test]
fn case_help() {
    each_variant("case_help", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('?'));
    });
}

#[test]
fn case_note_editor() {
    each_variant("case_note_editor", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('n'));
        typed(a, "现场核查：场地与申报一致");
    });
}

#[test]
fn case_article() {
    each_variant("case_article", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('a'));
    });
}

#[test]
fn case_propose() {
    each_variant("case_propose", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('d'));
    });
}

#[test]
fn case_history() {
    each_variant("case_history", |a| {
        open_new_case(a);
        key(a, KeyCode::Char('p'));
        key(a, KeyCode::Char('h'));
    });
}

#[test]
fn too_small() {
    let dir = tempfile::tempdir().unwrap();
    let a = app(dir.path(), Lang::Zh, false, (60, 20));
    insta::assert_snapshot!("too_small_zh_60x20", screen(&a, (60, 20)));
    let a = app(dir.path(), Lang::En, false, (79, 24));
    insta::assert_snapshot!("too_small_en_79x24", screen(&a, (79, 24)));
}

#[test]
fn typing_a_note_saves_a_draft_and_ctrl_s_saves_the_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_new_case(&mut a);
    key(&mut a, KeyCode::Char('n'));
    typed(&mut a, "草稿内容");
    a.save_draft_now();
    let case_id = a.case.as_ref().unwrap().detail.id;
    let drafts = review::drafts_for_case(&a.store.conn, "tester", case_id).unwrap();
    assert_eq!(
        drafts.len(),
        1,
        "the draft is in the database before saving"
    );
    ctrl(&mut a, 's');
    assert!(a.overlay.is_none(), "{:?}", a.message);
    let item = a
        .case
        .as_ref()
        .unwrap()
        .detail
        .checklist
        .iter()
        .find(|r| r.note.is_some())
        .cloned();
    assert_eq!(item.and_then(|r| r.note).as_deref(), Some("草稿内容"));
    assert!(review::drafts_for_case(&a.store.conn, "tester", case_id)
        .unwrap()
        .is_empty());
}

#[test]
fn proposing_with_unresolved_items_is_refused_in_the_ui_language() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_new_case(&mut a);
    let before = a.case.as_ref().unwrap().detail.status.clone();
    key(&mut a, KeyCode::Char('d'));
    // The dialog suggests approve or reject for a new case; either needs every item judged.
    assert_ne!(
        pingshen::ui::app::DECISIONS[match &a.overlay {
            Some(pingshen::ui::app::Overlay::Propose(p)) => p.decision,
            _ => panic!("no proposal dialog"),
        }],
        "supplement"
    );
    ctrl(&mut a, 's');
    let msg = a.message.clone().map(|m| m.0).unwrap_or_default();
    assert!(msg.starts_with("尚有条目待审"), "{msg}");
    assert_eq!(a.case.as_ref().unwrap().detail.status, before);
}

// ------------------------------------------------------------ renewal statistics

/// Opens the renewal statistics from the queue.
fn open_stats(a: &mut App) {
    key(a, KeyCode::Char('S'));
}

/// Opens the statistics and one institution in them, found by search: a social organisation
/// with per-occupation thresholds, certificates on record and more than one warning.
fn open_stats_detail(a: &mut App) {
    open_stats(a);
    key(a, KeyCode::Char('/'));
    typed(a, "家政服务业协会");
    key(a, KeyCode::Enter);
    key(a, KeyCode::Enter);
}

#[test]
fn stats() {
    each_variant("stats", open_stats);
}

#[test]
fn stats_detail() {
    each_variant("stats_detail", open_stats_detail);
}

#[test]
fn stats_help() {
    for (lang, tag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        let dir = tempfile::tempdir().unwrap();
        let mut a = app(dir.path(), lang, false, (80, 24));
        open_stats(&mut a);
        key(&mut a, KeyCode::Char('?'));
        insta::assert_snapshot!(format!("stats_help_{tag}_80x24"), screen(&a, (80, 24)));
    }
}

fn stats_view(a: &App) -> &pingshen::ui::stats::StatsView {
    a.stats.as_ref().expect("the statistics are open")
}

fn shown_rows(a: &App) -> Vec<&pingshen::store::stats::RenewalRow> {
    let sv = stats_view(a);
    sv.view.iter().map(|&i| &sv.data.institutions[i]).collect()
}

#[test]
fn stats_sort_cycles_through_end_risk_region_shortfall() {
    use pingshen::commands::stats::Sort;
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_stats(&mut a);
    assert_eq!(a.screen, pingshen::ui::keymap::Screen::Stats);
    let n = shown_rows(&a).len();
    assert!(n > 20, "{n} institutions in the demo's statistics");
    let mut seen = vec![stats_view(&a).sort];
    for _ in 0..4 {
        key(&mut a, KeyCode::Char('o'));
        seen.push(stats_view(&a).sort);
        let rows = shown_rows(&a);
        assert_eq!(rows.len(), n, "sorting keeps every row");
        match stats_view(&a).sort {
            Sort::ValidTo => assert!(rows.windows(2).all(|w| w[0].valid_to <= w[1].valid_to)),
            Sort::Risk => {
                // Every institution at risk comes before every one that is not.
                let first_calm = rows.iter().position(|r| !r.outlook.at_risk).unwrap_or(n);
                assert!(rows[first_calm..].iter().all(|r| !r.outlook.at_risk));
                assert!(first_calm > 0);
            }
            Sort::Region => assert!(rows.windows(2).all(|w| w[0].prefecture <= w[1].prefecture)),
            Sort::Shortfall => {
                let share = |r: &pingshen::store::stats::RenewalRow| {
                    r.certificates as f64 / r.threshold.max(1) as f64
                };
                assert!(rows.windows(2).all(|w| share(w[0]) <= share(w[1])));
            }
        }
        assert_eq!(stats_view(&a).selected, 0, "a new order starts at its top");
        // The pane sorts indices; the order is that of `commands::stats::sort` on the rows.
        let mut by_rows = stats_view(&a).data.institutions.clone();
        pingshen::commands::stats::sort(&mut by_rows, Sort::ValidTo);
        pingshen::commands::stats::sort(&mut by_rows, stats_view(&a).sort);
        let codes = |rows: Vec<&pingshen::store::stats::RenewalRow>| {
            rows.into_iter()
                .map(|r| r.credit_code.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(shown_rows(&a)), codes(by_rows.iter().collect()));
    }
    assert_eq!(
        seen,
        [
            Sort::ValidTo,
            Sort::Risk,
            Sort::Region,
            Sort::Shortfall,
            Sort::ValidTo
        ]
    );
}

#[test]
fn stats_at_risk_filter_keeps_only_institutions_at_risk() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::En, false, (80, 24));
    open_stats(&mut a);
    let all = shown_rows(&a).len();
    let at_risk = stats_view(&a).data.province.at_risk as usize;
    assert!(at_risk > 0 && at_risk < all, "{at_risk} of {all}");
    key(&mut a, KeyCode::Char('a'));
    let rows = shown_rows(&a);
    assert_eq!(rows.len(), at_risk);
    assert!(rows.iter().all(|r| r.outlook.at_risk));
    // `!` is the same toggle.
    key(&mut a, KeyCode::Char('!'));
    assert_eq!(shown_rows(&a).len(), all);
    // With a prefecture and a category on top, every row shown satisfies all three.
    key(&mut a, KeyCode::Char('!'));
    key(&mut a, KeyCode::Char('R'));
    let pref = a.prefectures[0].0.clone();
    assert!(shown_rows(&a)
        .iter()
        .all(|r| r.outlook.at_risk && r.prefecture == pref));
    // `x` clears them all.
    key(&mut a, KeyCode::Char('x'));
    assert_eq!(shown_rows(&a).len(), all);
}

#[test]
fn stats_search_finds_by_name_initials_and_credit_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_stats(&mut a);
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "家政");
    let rows = shown_rows(&a);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.name.contains("家政")));
    let code = rows[0].credit_code.clone();
    key(&mut a, KeyCode::Esc);
    assert!(shown_rows(&a).len() > 20, "Esc clears the search");
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, &code);
    key(&mut a, KeyCode::Enter);
    assert_eq!(shown_rows(&a)[0].credit_code, code);
    assert!(!stats_view(&a).typing);
}

#[test]
fn stats_enter_opens_an_institution_and_esc_goes_back() {
    use pingshen::ui::keymap::Screen;
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_stats(&mut a);
    key(&mut a, KeyCode::Char('j'));
    let code = shown_rows(&a)[1].credit_code.clone();
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Institution);
    let detail = stats_view(&a)
        .detail
        .as_ref()
        .expect("an institution is open");
    assert_eq!(detail.row.credit_code, code);
    // j steps to the next institution of the list without going back.
    key(&mut a, KeyCode::Char('j'));
    let next = shown_rows(&a)[2].credit_code.clone();
    assert_eq!(
        stats_view(&a)
            .detail
            .as_ref()
            .map(|d| d.row.credit_code.clone()),
        Some(next)
    );
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen, Screen::Stats);
    assert!(stats_view(&a).detail.is_none());
    assert_eq!(stats_view(&a).selected, 2);
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.screen, Screen::Queue);
    assert!(!a.quit);
}

#[test]
fn stats_months_of_an_institution_cover_its_period_to_today() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, (80, 24));
    open_stats_detail(&mut a);
    let d = stats_view(&a)
        .detail
        .as_ref()
        .expect("an institution is open");
    let sum: u64 = d.months.iter().map(|m| m.1).sum();
    assert_eq!(
        sum, d.row.certificates,
        "the months add up to the period's count"
    );
    assert_eq!(
        d.months.first().map(|m| &m.0[..]),
        Some(&d.row.valid_from[..7])
    );
}

#[test]
fn stats_of_a_city_reviewer_hold_only_their_city() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ui.db");
    std::fs::copy(common::demo_template(today()), &path).unwrap();
    let mut a = common::desk(
        Store::open(&path).unwrap(),
        "wangjing",
        Lang::Zh,
        false,
        true,
        (80, 24),
    );
    assert_eq!(a.actor.region, "520100");
    open_stats(&mut a);
    let sv = stats_view(&a);
    assert!(sv
        .data
        .institutions
        .iter()
        .all(|r| r.region.starts_with("5201")));
    assert_eq!(
        sv.data.province.institutions as usize,
        sv.data.institutions.len()
    );
}

/// A renewal case shows the declared certificate counts beside those on record, with the
/// difference, per occupation and in total.
#[test]
fn renewal_case_shows_declared_beside_recorded() {
    for (lang, tag, words) in [
        (Lang::Zh, "zh", ["证书数：申报与记录", "合计 申报"]),
        (
            Lang::En,
            "en",
            ["Certificates: declared and recorded", "total declared"],
        ),
    ] {
        let size = (120, 40);
        let dir = tempfile::tempdir().unwrap();
        let mut a = app(dir.path(), lang, false, size);
        // Kind filter: all → selection → renewal.
        key(&mut a, KeyCode::Char('t'));
        key(&mut a, KeyCode::Char('t'));
        key(&mut a, KeyCode::Enter);
        let shown = screen(&a, size);
        for w in words {
            assert!(shown.contains(w), "{w}:\n{shown}");
        }
        insta::assert_snapshot!(format!("renewal_case_{tag}_120x40"), shown);
    }
}

// ------------------------------------------------------------------ exits and deadlines

/// The case number of the demo's first exit case of `exit_kind` in `status`.
fn exit_case_no(a: &App, exit_kind: &str, status: &str) -> String {
    a.store
        .conn
        .query_row(
            "SELECT c.case_no FROM cases c JOIN exits x ON x.case_id = c.id
             WHERE c.kind = 'exit' AND x.kind = ?1 AND c.status = ?2 ORDER BY c.case_no LIMIT 1",
            [exit_kind, status],
            |r| r.get(0),
        )
        .unwrap()
}

/// The demo's ordered exit, decided: violations, the office's deadline, six steps.
fn open_ordered_exit(a: &mut App) {
    let no = exit_case_no(a, "ordered", "decided");
    a.open_case(&no).unwrap();
}

/// The demo's voluntary exit under review: the E13 notice check, wrap-up steps first.
fn open_voluntary_exit(a: &mut App) {
    let no = exit_case_no(a, "voluntary", "in_review");
    a.open_case(&no).unwrap();
}

fn next_step(a: &App) -> Option<pingshen::domain::exit::Step> {
    a.case
        .as_ref()
        .and_then(|c| c.exit.as_ref())
        .and_then(|x| x.next)
}

#[test]
fn exit_case() {
    each_variant("exit_case", open_ordered_exit);
}

#[test]
fn exit_case_voluntary() {
    for (lang, tag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        let size = (120, 40);
        let dir = tempfile::tempdir().unwrap();
        let mut a = app(dir.path(), lang, false, size);
        open_voluntary_exit(&mut a);
        let shown = screen(&a, size);
        assert!(shown.contains(if lang == Lang::Zh {
            "E13 提前申请"
        } else {
            "E13 notice"
        }));
        insta::assert_snapshot!(format!("exit_case_voluntary_{tag}_120x40"), shown);
    }
}

#[test]
fn exit_step_form() {
    each_variant("exit_step_form", |a| {
        open_ordered_exit(a);
        key(a, KeyCode::Char('w'));
        key(a, KeyCode::Tab);
        typed(a, "黔人社评〔2026〕9号");
    });
}

#[test]
fn recording_a_step_moves_the_next_mark_and_refuses_one_out_of_order() {
    use pingshen::domain::exit::Step;
    for (lang, recorded, refused) in [
        (Lang::Zh, "已记录：证书数据上报", "须先记录"),
        (
            Lang::En,
            "Recorded: certificate data reported",
            "cannot be recorded before",
        ),
    ] {
        let size = (120, 40);
        let dir = tempfile::tempdir().unwrap();
        let mut a = app(dir.path(), lang, false, size);
        open_voluntary_exit(&mut a);
        assert_eq!(next_step(&a), Some(Step::CertificatesReported));
        let before = screen(&a, size);
        assert!(before.contains("▶· 1."), "{before}");
        // The form opens on the next step, dated today: Enter saves it.
        key(&mut a, KeyCode::Char('w'));
        key(&mut a, KeyCode::Enter);
        assert!(a.overlay.is_none());
        assert_eq!(next_step(&a), Some(Step::FilesArchived));
        let (m, kind) = a.message.clone().unwrap();
        assert_eq!(kind, pingshen::ui::app::MsgKind::Info);
        assert!(m.contains(recorded), "{m}");
        let after = screen(&a, size);
        assert!(
            after.contains(" ✓ 1.") && after.contains("2026-11-28"),
            "{after}"
        );
        assert!(after.contains("▶· 2."), "{after}");
        // A step after the next one is refused in the UI language; the form stays open.
        key(&mut a, KeyCode::Char('w'));
        key(&mut a, KeyCode::Right);
        key(&mut a, KeyCode::Enter);
        let (m, kind) = a.message.clone().unwrap();
        assert_eq!(kind, pingshen::ui::app::MsgKind::Error);
        assert!(m.contains(refused), "{m}");
        assert!(a.overlay.is_some());
        assert_eq!(next_step(&a), Some(Step::FilesArchived));
        // A date that is not one is refused before anything is written.
        key(&mut a, KeyCode::Left);
        for _ in 0..10 {
            key(&mut a, KeyCode::Backspace);
        }
        typed(&mut a, "2026-13-01");
        key(&mut a, KeyCode::Enter);
        assert!(a.message.clone().unwrap().0.contains("YYYY-MM-DD"));
        assert_eq!(next_step(&a), Some(Step::FilesArchived));
        key(&mut a, KeyCode::Esc);
        assert!(a.overlay.is_none());
    }
}

#[test]
fn deadlines() {
    each_variant("deadlines", |a| key(a, KeyCode::Char('D')));
}

#[test]
fn enter_on_a_deadline_opens_its_case_and_q_comes_back() {
    let size = (80, 24);
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, size);
    key(&mut a, KeyCode::Char('D'));
    assert_eq!(a.screen, pingshen::ui::keymap::Screen::Deadlines);
    key(&mut a, KeyCode::Char('j'));
    let dv = a.deadlines.as_ref().unwrap();
    assert!(dv.rows.len() > 1);
    assert!(dv
        .rows
        .windows(2)
        .all(|w| w[0].status.due <= w[1].status.due));
    let no = dv.selected_row().unwrap().case_no.clone();
    assert_eq!(dv.selected, 1);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, pingshen::ui::keymap::Screen::Case);
    assert_eq!(a.case.as_ref().unwrap().detail.case_no, no);
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.screen, pingshen::ui::keymap::Screen::Deadlines);
    assert_eq!(a.deadlines.as_ref().unwrap().selected, 1);
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.screen, pingshen::ui::keymap::Screen::Queue);
}

#[test]
fn deadlines_of_a_county_reviewer_hold_only_their_county() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ui.db");
    std::fs::copy(common::demo_template(today()), &path).unwrap();
    // A county of the demo with an open deadline, and a reviewer of that county.
    let mut province = app(dir.path(), Lang::Zh, false, (80, 24));
    key(&mut province, KeyCode::Char('D'));
    let all = &province.deadlines.as_ref().unwrap().rows;
    let county = all
        .iter()
        .map(|r| r.region.clone())
        .find(|r| !r.ends_with("00"))
        .expect("a deadline in a county");
    let theirs = all.iter().filter(|r| r.region == county).count();
    assert!(theirs < all.len());
    pingshen::store::reviewers::upsert(
        &province.store.conn,
        "tester",
        &pingshen::store::reviewers::Reviewer {
            account: "county".into(),
            role: "reviewer".into(),
            region: county.clone(),
        },
    )
    .unwrap();
    drop(province);
    let mut a = common::desk(
        Store::open(&path).unwrap(),
        "county",
        Lang::Zh,
        false,
        true,
        (80, 24),
    );
    key(&mut a, KeyCode::Char('D'));
    let rows = &a.deadlines.as_ref().unwrap().rows;
    assert_eq!(rows.len(), theirs);
    assert!(rows.iter().all(|r| r.region == county));
}

/// An ordered exit shows the violations the office found and its deadline.
#[test]
fn ordered_exit_shows_its_violations_and_the_offices_deadline() {
    let size = (120, 40);
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, size);
    let no = exit_case_no(&a, "ordered", "decided");
    let actor = a.actor.clone();
    // The violations as recorded before the decision (set_order refuses them after it).
    a.store
        .conn
        .execute(
            "UPDATE exits SET violations = '伪造考核记录'
             WHERE case_id = (SELECT id FROM cases WHERE case_no = ?1)",
            [&no],
        )
        .unwrap();
    pingshen::store::exits::set_order(
        &a.store.conn,
        &actor,
        &no,
        None,
        NaiveDate::from_ymd_opt(2026, 12, 31),
    )
    .unwrap();
    a.open_case(&no).unwrap();
    let shown = screen(&a, size);
    assert!(shown.contains("违规事实：伪造考核记录"), "{shown}");
    assert!(shown.contains("办结期限 2026-12-31"), "{shown}");
    assert!(shown.contains("E15 2026-12-31 剩 33 日"), "{shown}");
}

/// Another reviewer changed the case after it was opened: the step is not recorded, the
/// message names who, and the case is read again.
#[test]
fn recording_a_step_on_a_case_changed_meanwhile_names_who_changed_it() {
    use pingshen::domain::exit::Step;
    let size = (80, 24);
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, size);
    open_voluntary_exit(&mut a);
    let (id, version) = {
        let d = &a.case.as_ref().unwrap().detail;
        (d.id, d.version)
    };
    let other = review::actor(&a.store.conn, "liuyang").unwrap();
    review::set_note(
        &a.store.conn,
        &other,
        id,
        version,
        None,
        "另一位评审员的备注",
    )
    .unwrap();
    key(&mut a, KeyCode::Char('w'));
    key(&mut a, KeyCode::Enter);
    let (m, kind) = a.message.clone().unwrap();
    assert_eq!(kind, pingshen::ui::app::MsgKind::Error);
    assert!(
        m.starts_with("liuyang") && m.contains("刚修改了此案件"),
        "{m}"
    );
    assert!(a.overlay.is_none());
    assert_eq!(next_step(&a), Some(Step::CertificatesReported));
    assert!(a.case.as_ref().unwrap().detail.version > version);
    // Read again, the step records.
    key(&mut a, KeyCode::Char('w'));
    key(&mut a, KeyCode::Enter);
    assert_eq!(next_step(&a), Some(Step::FilesArchived));
}

/// `z` clears a mark, and says so; on an item without one it says there is none and writes
/// nothing.
#[test]
fn clearing_a_mark_says_what_it_did() {
    let size = (120, 40);
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, size);
    open_new_case(&mut a);
    let audit = |a: &App| -> i64 {
        a.store
            .conn
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .unwrap()
    };
    let before = audit(&a);
    key(&mut a, KeyCode::Char('z'));
    assert_eq!(
        a.message.as_ref().map(|m| m.0.as_str()),
        Some("此项没有标记可清除")
    );
    assert_eq!(audit(&a), before);
    key(&mut a, KeyCode::Char('p'));
    assert_eq!(a.message.as_ref().map(|m| m.0.as_str()), Some("已标记"));
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Char('z'));
    assert_eq!(a.message.as_ref().map(|m| m.0.as_str()), Some("已清除标记"));
    assert_eq!(audit(&a), before + 2);
}

/// A search query longer than the line shows its end, where it is typed.
#[test]
fn a_long_query_shows_its_end() {
    let size = (80, 24);
    let dir = tempfile::tempdir().unwrap();
    let mut a = app(dir.path(), Lang::Zh, false, size);
    key(&mut a, KeyCode::Char('/'));
    typed(
        &mut a,
        "贵州省人力资源和社会保障厅职业技能鉴定指导中心遵义市分中心及其下属各县区工作站末尾",
    );
    let shown = screen(&a, size);
    let line = shown.lines().nth(1).unwrap();
    assert!(line.contains("…") && line.contains("末尾"), "{line}");
    assert!(line.width() <= 80, "{line}");
}
