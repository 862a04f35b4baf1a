//! The economy as a pure reducer: a user's progress state and an award (or spend, claim or
//! reversal) in, the ledger movements, the new state and the outcome out. The `UserProgress`
//! Durable Object persists what this decides.
//!
//! Invariants: balances never go below zero (a movement that would is refused, a reversal
//! included: it takes back the whole award or nothing, so coins spent are never more than coins
//! earned net of reversals); totals always equal the sum of the ledger; an achievement unlocks
//! once and its reward lands in the same outcome as the action that earned it; a reversal that
//! arrives before its award voids the award's key, so the late award lands as nothing. A refused
//! request is not recorded, so the same key may succeed once the balance allows.

pub mod achievements;
pub mod levels;
pub mod rules;
pub mod skill;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use achievements::CATALOG;
use levels::level_of;
pub use skill::Skill;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Currency {
    Xp,
    Coins,
}

impl Currency {
    pub fn as_str(self) -> &'static str {
        match self {
            Currency::Xp => "xp",
            Currency::Coins => "coins",
        }
    }

    pub fn parse(text: &str) -> Option<Currency> {
        match text {
            "xp" => Some(Currency::Xp),
            "coins" => Some(Currency::Coins),
            _ => None,
        }
    }
}

/// Why a ledger row exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    HabitCompleted,
    GoalCompleted,
    QuestCompleted,
    BookFinished,
    FocusCompleted,
    WorkoutLogged,
    AdminClaim,
    RewardRedeemed,
    Achievement,
    Reversal,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::HabitCompleted => "habit_completed",
            EventType::GoalCompleted => "goal_completed",
            EventType::QuestCompleted => "quest_completed",
            EventType::BookFinished => "book_finished",
            EventType::FocusCompleted => "focus_completed",
            EventType::WorkoutLogged => "workout_logged",
            EventType::AdminClaim => "admin_claim",
            EventType::RewardRedeemed => "reward_redeemed",
            EventType::Achievement => "achievement",
            EventType::Reversal => "reversal",
        }
    }
}

/// The counters achievements are evaluated on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub habit_completions: u64,
    pub best_streak: u64,
    pub goals_completed: u64,
    pub quests_completed: u64,
    pub focus_minutes: u64,
    pub books_finished: u64,
    pub workouts_logged: u64,
}

/// How an award moves the counters: additions, and a streak that may raise `best_streak`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CounterChange {
    pub habit_completions: u64,
    pub goals_completed: u64,
    pub quests_completed: u64,
    pub focus_minutes: u64,
    pub books_finished: u64,
    pub workouts_logged: u64,
    /// The streak this award reached; `best_streak` keeps the maximum.
    pub streak: u64,
}

impl Counters {
    fn add(mut self, change: &CounterChange) -> Counters {
        self.habit_completions += change.habit_completions;
        self.goals_completed += change.goals_completed;
        self.quests_completed += change.quests_completed;
        self.focus_minutes += change.focus_minutes;
        self.books_finished += change.books_finished;
        self.workouts_logged += change.workouts_logged;
        self.best_streak = self.best_streak.max(change.streak);
        self
    }

    /// Undoes the additions of `change`; a best streak, once reached, stays.
    fn subtract(mut self, change: &CounterChange) -> Counters {
        self.habit_completions = self
            .habit_completions
            .saturating_sub(change.habit_completions);
        self.goals_completed = self.goals_completed.saturating_sub(change.goals_completed);
        self.quests_completed = self
            .quests_completed
            .saturating_sub(change.quests_completed);
        self.focus_minutes = self.focus_minutes.saturating_sub(change.focus_minutes);
        self.books_finished = self.books_finished.saturating_sub(change.books_finished);
        self.workouts_logged = self.workouts_logged.saturating_sub(change.workouts_logged);
        self
    }
}

/// A user's progress: balances, skills, counters, unlocked achievements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressState {
    pub xp: u64,
    pub coins: u64,
    pub skills: BTreeMap<Skill, u64>,
    pub counters: Counters,
    pub unlocked: BTreeSet<String>,
}

/// One award, spend or adjustment, keyed so it applies once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    pub key: String,
    pub event_type: EventType,
    pub reason: String,
    #[serde(default)]
    pub source_id: Option<String>,
    /// Signed: spends and admin adjustments may be negative.
    pub xp: i64,
    pub coins: i64,
    /// The skill the XP also counts to (the item's category).
    #[serde(default)]
    pub skill: Option<Skill>,
    #[serde(default)]
    pub counters: CounterChange,
}

/// One ledger row to append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub currency: Currency,
    pub amount: i64,
    pub balance_after: u64,
    pub event_type: EventType,
    pub reason: String,
    pub source_id: Option<String>,
    /// Unique per currency: the XP and coin rows of one award share it without clashing.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockedAchievement {
    pub id: String,
    pub xp: i64,
    pub coins: i64,
}

/// `award` of API.md: the action's own amounts, levels around it, achievements it unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardOutcome {
    pub xp: i64,
    pub coins: i64,
    pub level_before: u32,
    pub level_after: u32,
    pub achievements: Vec<UnlockedAchievement>,
}

/// What applying a request decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub movements: Vec<Movement>,
    pub state: ProgressState,
    pub outcome: AwardOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InsufficientCoins,
    InsufficientXp,
}

fn apply_amount(balance: u64, amount: i64) -> Option<u64> {
    if amount >= 0 {
        balance.checked_add(amount.unsigned_abs())
    } else {
        balance.checked_sub(amount.unsigned_abs())
    }
}

/// Applies an award to `state`. Refuses anything that would take a balance below zero.
pub fn apply(state: &ProgressState, request: &AwardRequest) -> Result<Effects, Refusal> {
    let xp = apply_amount(state.xp, request.xp).ok_or(Refusal::InsufficientXp)?;
    let coins = apply_amount(state.coins, request.coins).ok_or(Refusal::InsufficientCoins)?;
    let mut next = state.clone();
    next.xp = xp;
    next.coins = coins;
    if let Some(skill) = request.skill {
        let skill_xp = next.skills.entry(skill).or_default();
        *skill_xp = apply_amount(*skill_xp, request.xp).unwrap_or(0);
    }
    next.counters = next.counters.add(&request.counters);

    let mut movements = Vec::new();
    push_movements(&mut movements, request, request.xp, request.coins, &next);
    let achievements = unlock_achievements(&mut next, &mut movements, &request.source_id);
    Ok(Effects {
        movements,
        outcome: AwardOutcome {
            xp: request.xp,
            coins: request.coins,
            level_before: level_of(state.xp),
            level_after: level_of(next.xp),
            achievements,
        },
        state: next,
    })
}

/// What reversing an award decided: the reversal, to record under its own key, and its effects;
/// and when the award has not landed (yet), the void award to record under the award's key, so
/// that the award, arriving after its reversal, replays as nothing instead of landing for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    pub request: AwardRequest,
    pub effects: Effects,
    pub voided: Option<AwardRequest>,
}

/// Takes back an earlier award whole: its XP, coins, skill XP and counters (achievements stay).
/// Refused when a balance no longer holds what the award paid (its coins were spent), so an undo
/// can never leave coins that were earned by nothing. `original` is `None` when the award of
/// `original_key` has not landed: the reversal then moves nothing and voids that key.
pub fn reverse(
    state: &ProgressState,
    original: Option<&AwardRequest>,
    original_key: &str,
    key: &str,
) -> Result<Reversal, Refusal> {
    let Some(original) = original else {
        let nothing = |key: &str, reason: String| AwardRequest {
            key: key.to_owned(),
            event_type: EventType::Reversal,
            reason,
            source_id: None,
            xp: 0,
            coins: 0,
            skill: None,
            counters: CounterChange::default(),
        };
        let level = level_of(state.xp);
        return Ok(Reversal {
            request: nothing(key, format!("reversal of {original_key}, before it landed")),
            effects: Effects {
                movements: Vec::new(),
                state: state.clone(),
                outcome: AwardOutcome {
                    xp: 0,
                    coins: 0,
                    level_before: level,
                    level_after: level,
                    achievements: Vec::new(),
                },
            },
            voided: Some(nothing(original_key, format!("voided by {key}"))),
        });
    };
    let (xp_back, coins_back) = (-original.xp.max(0), -original.coins.max(0));
    let xp = apply_amount(state.xp, xp_back).ok_or(Refusal::InsufficientXp)?;
    let coins = apply_amount(state.coins, coins_back).ok_or(Refusal::InsufficientCoins)?;
    let mut next = state.clone();
    next.xp = xp;
    next.coins = coins;
    if let Some(skill) = original.skill {
        let skill_xp = next.skills.entry(skill).or_default();
        *skill_xp = skill_xp.saturating_sub(xp_back.unsigned_abs());
    }
    next.counters = next.counters.subtract(&original.counters);
    let request = AwardRequest {
        key: key.to_owned(),
        event_type: EventType::Reversal,
        reason: format!("reversal of {}", original.reason),
        source_id: original.source_id.clone(),
        xp: xp_back,
        coins: coins_back,
        skill: original.skill,
        counters: CounterChange::default(),
    };
    let mut movements = Vec::new();
    push_movements(&mut movements, &request, xp_back, coins_back, &next);
    let effects = Effects {
        movements,
        outcome: AwardOutcome {
            xp: xp_back,
            coins: coins_back,
            level_before: level_of(state.xp),
            level_after: level_of(next.xp),
            achievements: Vec::new(),
        },
        state: next,
    };
    Ok(Reversal {
        request,
        effects,
        voided: None,
    })
}

fn push_movements(
    movements: &mut Vec<Movement>,
    request: &AwardRequest,
    xp: i64,
    coins: i64,
    after: &ProgressState,
) {
    for (currency, amount, balance_after) in [
        (Currency::Xp, xp, after.xp),
        (Currency::Coins, coins, after.coins),
    ] {
        if amount != 0 {
            movements.push(Movement {
                currency,
                amount,
                balance_after,
                event_type: request.event_type,
                reason: request.reason.clone(),
                source_id: request.source_id.clone(),
                key: request.key.clone(),
            });
        }
    }
}

/// Unlocks every achievement whose rule now holds, paying each once. Level achievements are
/// evaluated again after each payout, since achievement XP can itself raise the level.
fn unlock_achievements(
    state: &mut ProgressState,
    movements: &mut Vec<Movement>,
    source_id: &Option<String>,
) -> Vec<UnlockedAchievement> {
    let mut unlocked = Vec::new();
    loop {
        let level = level_of(state.xp);
        let Some(achievement) = CATALOG
            .iter()
            .find(|a| !state.unlocked.contains(a.id) && a.rule.holds(&state.counters, level))
        else {
            return unlocked;
        };
        state.unlocked.insert(achievement.id.to_owned());
        // Achievement XP counts to the total only, not to a skill.
        state.xp += achievement.xp.unsigned_abs();
        state.coins += achievement.coins.unsigned_abs();
        let request = AwardRequest {
            key: format!("achievement:{}", achievement.id),
            event_type: EventType::Achievement,
            reason: achievement.name.to_owned(),
            source_id: source_id.clone(),
            xp: achievement.xp,
            coins: achievement.coins,
            skill: None,
            counters: CounterChange::default(),
        };
        push_movements(
            movements,
            &request,
            achievement.xp,
            achievement.coins,
            state,
        );
        unlocked.push(UnlockedAchievement {
            id: achievement.id.to_owned(),
            xp: achievement.xp,
            coins: achievement.coins,
        });
    }
}

#[cfg(test)]
mod tests;
