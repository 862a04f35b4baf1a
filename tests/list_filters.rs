//! List filters and `q` end to end: every kind's filters return exactly the matching items, page
//! with the cursor, combine, reach archived lists, follow edits of the searched text, and refuse
//! what they do not know with a 400 naming the parameter.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Owner, in_seconds};

fn id(item: &Value) -> String {
    item["id"].as_str().expect("id").to_owned()
}

/// Every id of `path` (a list with its query), following `next_cursor` with pages of `limit`.
fn listed(me: &mut Owner, path: &str, limit: u32) -> Vec<String> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = me
            .client
            .get(&format!("{path}{separator}limit={limit}&cursor={cursor}"))
            .expect_data(200);
        ids.extend(page["items"].as_array().expect("items").iter().map(id));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return ids,
        }
    }
}

fn ids(items: &[&Value]) -> Vec<String> {
    items.iter().map(|item| id(item)).collect()
}

#[test]
fn goals_filter_by_status_category_target_date_and_words() {
    let mut me = Owner::new("filter-goals");
    let marathon = me.create(
        "/api/goals",
        &json!({"title": "Run a marathon", "description": "Sub-four hours", "category": "fitness",
                "target_date": "2027-04-01"}),
    );
    let spanish = me.create(
        "/api/goals",
        &json!({"title": "Learn Spanish", "description": "B2 by summer, then run a café tour",
                "category": "learning", "target_date": "2027-07-01"}),
    );
    let savings = me.create(
        "/api/goals",
        &json!({"title": "Emergency fund", "category": "finance", "status": "abandoned"}),
    );
    let swim = me.create(
        "/api/goals",
        &json!({"title": "Swim 5 km", "category": "fitness", "target_date": "2026-12-31"}),
    );
    me.write(
        "POST",
        &format!("/api/goals/{}/complete", id(&swim)),
        None,
        None,
    )
    .expect_data(200);
    // Another user's goal matches every filter and is never listed.
    Owner::new("filter-goals-other").create(
        "/api/goals",
        &json!({"title": "Run a marathon", "category": "fitness", "target_date": "2027-04-01"}),
    );

    for (query, expected) in [
        ("status=active", vec![&marathon, &spanish]),
        ("status=completed", vec![&swim]),
        ("status=abandoned", vec![&savings]),
        ("category=fitness", vec![&marathon, &swim]),
        ("category=fitness&status=active", vec![&marathon]),
        ("target_date_from=2027-01-01", vec![&marathon, &spanish]),
        ("target_date_to=2027-04-01", vec![&marathon, &swim]),
        (
            "target_date_from=2027-04-01&target_date_to=2027-04-01",
            vec![&marathon],
        ),
        ("q=run", vec![&marathon, &spanish]),
        ("q=RUN%20MARA", vec![&marathon]),
        ("q=caf%C3%A9", vec![&spanish]),
        ("q=four", vec![&marathon]),
        ("q=sub-four", vec![&marathon]),
        ("q=run&category=learning", vec![&spanish]),
        ("q=tour%20marathon", vec![]),
        ("q=un", vec![]),
        ("category=creativity", vec![]),
        ("status=&q=", vec![&marathon, &spanish, &savings, &swim]),
    ] {
        for limit in [1, 50] {
            assert_eq!(
                listed(&mut me, &format!("/api/goals?{query}"), limit),
                ids(&expected),
                "/api/goals?{query} in pages of {limit}"
            );
        }
    }
}

#[test]
fn search_follows_edits_deletes_and_restores() {
    let mut me = Owner::new("filter-edits");
    let goal = me.create(
        "/api/goals",
        &json!({"title": "Paint the fence", "category": "creativity"}),
    );
    let path = format!("/api/goals/{}", id(&goal));
    assert_eq!(listed(&mut me, "/api/goals?q=fence", 50), vec![id(&goal)]);

    me.write(
        "PATCH",
        &path,
        Some(&json!({"title": "Paint the shed"})),
        None,
    )
    .expect_data(200);
    assert!(
        listed(&mut me, "/api/goals?q=fence", 50).is_empty(),
        "the old title is gone"
    );
    assert_eq!(listed(&mut me, "/api/goals?q=shed", 50), vec![id(&goal)]);

    me.write(
        "PATCH",
        &path,
        Some(&json!({"description": "Green, two coats"})),
        None,
    )
    .expect_data(200);
    assert_eq!(
        listed(&mut me, "/api/goals?q=coats%20shed", 50),
        vec![id(&goal)]
    );

    me.write("DELETE", &path, None, None);
    assert!(listed(&mut me, "/api/goals?q=shed", 50).is_empty());
    assert_eq!(
        listed(
            &mut me,
            "/api/goals/archived?q=shed&category=creativity",
            50
        ),
        vec![id(&goal)],
        "archived lists take the same filters"
    );
    me.write("POST", &format!("{path}/restore"), None, None)
        .expect_data(200);
    assert_eq!(listed(&mut me, "/api/goals?q=green", 50), vec![id(&goal)]);
}

#[test]
fn habits_quests_workouts_and_books_take_their_own_filters() {
    let mut me = Owner::new("filter-kinds");
    let meditate = me.create(
        "/api/habits",
        &json!({"title": "Meditate", "description": "ten minutes", "category": "mindfulness"}),
    );
    let gym = me.create(
        "/api/habits",
        &json!({"title": "Gym", "category": "fitness", "frequency": "weekly", "target_per_week": 3}),
    );
    let walk = me.create(
        "/api/habits",
        &json!({"title": "Walk", "category": "fitness", "frequency": "weekdays"}),
    );
    assert_eq!(
        listed(&mut me, "/api/habits?category=fitness", 1),
        ids(&[&gym, &walk])
    );
    assert_eq!(
        listed(&mut me, "/api/habits?frequency=weekly", 1),
        ids(&[&gym])
    );
    assert_eq!(
        listed(&mut me, "/api/habits?frequency=daily", 1),
        ids(&[&meditate])
    );
    assert_eq!(
        listed(&mut me, "/api/habits?q=minutes", 1),
        ids(&[&meditate])
    );

    let soon = me.create(
        "/api/quests",
        &json!({"title": "Call grandma", "category": "social", "deadline": in_seconds(2),
                "reward": {"xp": 10, "coins": 1}}),
    );
    let later = me.create(
        "/api/quests",
        &json!({"title": "Clean the garage", "description": "and call the tip", "category": "productivity",
                "deadline": "2030-01-01T00:00:00Z", "reward": {"xp": 50, "coins": 5}}),
    );
    let given_up = me.create(
        "/api/quests",
        &json!({"title": "Learn juggling", "category": "creativity", "deadline": "2030-06-01T00:00:00Z",
                "reward": {"xp": 20, "coins": 2}}),
    );
    me.write(
        "PATCH",
        &format!("/api/quests/{}", id(&given_up)),
        Some(&json!({"status": "abandoned"})),
        None,
    )
    .expect_data(200);
    assert_eq!(
        listed(&mut me, "/api/quests?status=open", 1),
        ids(&[&soon, &later])
    );
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(
        listed(&mut me, "/api/quests?status=open", 1),
        ids(&[&later]),
        "past its deadline"
    );
    assert_eq!(
        listed(&mut me, "/api/quests?status=expired", 1),
        ids(&[&soon])
    );
    assert_eq!(
        listed(&mut me, "/api/quests?status=abandoned", 1),
        ids(&[&given_up])
    );
    assert_eq!(
        listed(&mut me, "/api/quests?status=completed", 1),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(
            &mut me,
            "/api/quests?deadline_from=2029-12-31T23:00:00-01:00",
            1
        ),
        ids(&[&later, &given_up]),
        "an instant with an offset: 2030-01-01T00:00Z, included"
    );
    assert_eq!(
        listed(
            &mut me,
            "/api/quests?deadline_to=2030-01-01T00:00:00Z&q=call",
            1
        ),
        ids(&[&soon, &later])
    );

    let run = me.create(
        "/api/workouts",
        &json!({"name": "Morning run", "duration_minutes": 30, "intensity": "high",
                "performed_at": "2026-11-30T07:00:00Z"}),
    );
    let yoga = me.create(
        "/api/workouts",
        &json!({"name": "Yoga", "duration_minutes": 45, "intensity": "low",
                "performed_at": "2026-12-01T18:00:00Z"}),
    );
    assert_eq!(
        listed(&mut me, "/api/workouts?intensity=low", 1),
        ids(&[&yoga])
    );
    assert_eq!(
        listed(
            &mut me,
            "/api/workouts?performed_at_from=2026-12-01T00:00:00Z",
            1
        ),
        ids(&[&yoga])
    );
    assert_eq!(
        listed(
            &mut me,
            "/api/workouts?performed_at_to=2026-11-30T07:00:00Z",
            1
        ),
        ids(&[&run])
    );
    assert_eq!(listed(&mut me, "/api/workouts?q=morn", 1), ids(&[&run]));

    let dune = me.create(
        "/api/books",
        &json!({"title": "Dune", "author": "Frank Herbert", "status": "finished",
                "started_on": "2026-01-02", "finished_on": "2026-02-01"}),
    );
    let reading = me.create(
        "/api/books",
        &json!({"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "status": "reading"}),
    );
    assert_eq!(
        listed(&mut me, "/api/books?status=reading", 1),
        ids(&[&reading])
    );
    assert_eq!(listed(&mut me, "/api/books?q=herbert", 1), ids(&[&dune]));
    assert_eq!(
        listed(&mut me, "/api/books?q=le%20guin%20darkness", 1),
        ids(&[&reading])
    );
    assert_eq!(
        listed(&mut me, "/api/books?finished_on_from=2026-02-01", 1),
        ids(&[&dune])
    );
    assert_eq!(
        listed(&mut me, "/api/books?finished_on_to=2026-01-31", 1),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_repeated_and_bad_filters_are_400_naming_the_parameter() {
    let mut me = Owner::new("filter-bad");
    for (path, field) in [
        ("/api/goals?staus=active", "staus"),
        ("/api/habits?status=active", "status"),
        ("/api/goals?status=done", "status"),
        ("/api/goals?category=cooking", "category"),
        ("/api/goals?target_date_from=2027-02-30", "target_date_from"),
        ("/api/quests?deadline_to=tomorrow", "deadline_to"),
        ("/api/quests?status=Open", "status"),
        ("/api/workouts?intensity=extreme", "intensity"),
        ("/api/books?status=read", "status"),
        ("/api/books?q=%21%3F", "q"),
        ("/api/books?q=a%20b%20c%20d%20e%20f%20g%20h%20i", "q"),
        ("/api/goals?q=a&q=b", "q"),
        ("/api/goals/archived?frequency=daily", "frequency"),
    ] {
        let error = me.client.get(path).expect_error(400, "bad_request");
        assert!(
            error["fields"][field].is_string(),
            "{path}: the error names {field}: {error}"
        );
    }
}
