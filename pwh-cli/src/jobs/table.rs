//! Jobs as a table a person reads: one line per job, columns aligned.

use pwh_core::jobs::{JobCounts, JobInfo};

use crate::jobs::time::utc;

/// The longest last error shown in a table (the whole one is in `--json`).
const ERROR_WIDTH: usize = 60;

/// `jobs` as a table (id, handler, kind, state, attempts/max, received, last error), then
/// each payload when asked for, then a line of `counts`.
pub(crate) fn render(jobs: &[JobInfo], with_payload: bool, counts: &JobCounts) -> String {
    let header = [
        "ID",
        "HANDLER",
        "KIND",
        "STATE",
        "ATTEMPTS",
        "RECEIVED",
        "LAST ERROR",
    ]
    .map(str::to_owned);
    let rows: Vec<[String; 7]> = jobs
        .iter()
        .map(|job| {
            [
                job.id.to_string(),
                printable(&job.handler),
                printable(&job.kind),
                job.state.to_string(),
                format!("{}/{}", job.attempts, job.max_attempts),
                utc(job.received_ms),
                shortened(&printable(job.last_error.as_deref().unwrap_or("-"))),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    if !rows.is_empty() {
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
    }
    if with_payload {
        for job in jobs {
            let payload = job.payload.as_deref().unwrap_or_default();
            let text = printable(&String::from_utf8_lossy(payload));
            out.push_str(&format!("payload {}: {text}\n", job.id));
        }
    }
    let total = counts.pending + counts.running + counts.done + counts.dead;
    out.push_str(&format!(
        "{} of {total} jobs shown (pending {}, running {}, done {}, dead {})\n",
        rows.len(),
        counts.pending,
        counts.running,
        counts.done,
        counts.dead
    ));
    out
}

/// `text` with every control character (a newline in an error, an escape sequence) as a
/// space, so that one job stays one line and nothing is sent to the terminal but text.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` cut to [`ERROR_WIDTH`] characters, with `…` when cut.
fn shortened(text: &str) -> String {
    if text.chars().count() <= ERROR_WIDTH {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(ERROR_WIDTH - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use pwh_core::jobs::{JobId, JobState};

    use super::*;

    fn job(last_error: Option<&str>) -> JobInfo {
        JobInfo {
            id: JobId([0xab; 16]),
            handler: "crm-sync".to_owned(),
            kind: "member_added".to_owned(),
            state: JobState::Dead,
            attempts: 10,
            max_attempts: 10,
            received_ms: 1_327_078_148_132,
            updated_ms: 1_327_078_148_132,
            last_error: last_error.map(str::to_owned),
            payload: Some(br#"{"time_ms":1}"#.to_vec()),
        }
    }

    #[test]
    fn one_line_per_job_aligned_under_a_header() {
        let counts = JobCounts {
            dead: 2,
            done: 1,
            ..JobCounts::default()
        };
        let shown = render(
            &[job(Some("CRM down\nretry later")), job(None)],
            false,
            &counts,
        );
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 4, "{shown}");
        assert!(lines[0].starts_with("ID  "), "{shown}");
        assert!(lines[1].starts_with(&"ab".repeat(16)), "{shown}");
        assert!(lines[1].contains("crm-sync"), "{shown}");
        assert!(lines[1].contains("10/10"), "{shown}");
        assert!(lines[1].contains("2012-01-20 16:49:08Z"), "{shown}");
        assert!(lines[1].ends_with("CRM down retry later"), "{shown}");
        assert!(lines[2].ends_with(" -"), "{shown}");
        let column = lines[0].find("STATE").unwrap();
        assert_eq!(lines[1].get(column..column + 4), Some("dead"), "{shown}");
        assert_eq!(
            lines[3],
            "2 of 3 jobs shown (pending 0, running 0, done 1, dead 2)"
        );
        assert!(!shown.contains("time_ms"), "no payload unless asked");
        let with = render(&[job(None)], true, &counts);
        assert!(with.contains(r#"payload abababab"#), "{with}");
        assert!(with.contains(r#": {"time_ms":1}"#), "{with}");
    }

    #[test]
    fn long_errors_are_cut() {
        let long = "x".repeat(200);
        let shown = render(&[job(Some(&long))], false, &JobCounts::default());
        assert!(shown.contains(&format!("{}…", "x".repeat(59))), "{shown}");
        assert!(!shown.contains(&"x".repeat(61)), "{shown}");
    }
}
