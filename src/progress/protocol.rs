//! The typed command/reply protocol between the worker and a user's `UserProgress` object.
//! Both sides use these types; `client` sends them and nothing else talks to the object.

use serde::{Deserialize, Serialize};

use crate::domain::economy::{AwardOutcome, AwardRequest, Currency, ProgressState};

// Externally tagged (`{"award": {...}}`), as serde reads without buffering: an internally tagged
// enum compiled a second, buffered deserializer for every variant's types.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Command {
    /// Apply an award (or spend, or adjustment) once per key.
    Award {
        request: AwardRequest,
    },
    /// Take back the award of `original_key`, once per `key`.
    Reverse {
        original_key: String,
        key: String,
    },
    /// The current state.
    State,
    /// Unlock times of achievements.
    Achievements,
    /// Ledger rows, newest first, before the row `before` (a sequence number).
    Ledger {
        currency: Option<Currency>,
        limit: u32,
        before: Option<u64>,
    },
    Rewards {
        limit: u32,
        before: Option<String>,
    },
    CreateReward {
        id: String,
        title: String,
        cost: u32,
    },
    Redeem {
        reward_id: String,
        key: String,
    },
    /// Run `command` once for an HTTP `Idempotency-Key`: a later call with the same key and
    /// fingerprint gets the first reply; another fingerprint is an idempotency conflict.
    Once {
        key: String,
        fingerprint: String,
        command: Box<Command>,
    },
}

impl Command {
    /// Whether the command only reads.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Command::State
                | Command::Achievements
                | Command::Ledger { .. }
                | Command::Rewards { .. }
        )
    }
}

/// A ledger row. `seq` orders rows for paging between worker and object; the API omits it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub id: String,
    pub currency: Currency,
    pub amount: i64,
    pub balance_after: u64,
    pub event_type: String,
    pub reason: String,
    pub source_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reward {
    pub id: String,
    pub title: String,
    pub cost: u32,
    pub times_redeemed: u32,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unlock {
    pub id: String,
    pub unlocked_at: String,
}

/// Kept for `Idempotency-Key` replays as the object's `replies.reply` (see store's migrations).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reply {
    Award {
        outcome: AwardOutcome,
        state: ProgressState,
        /// The key was applied before: `outcome` is that first outcome and nothing changed.
        replayed: bool,
    },
    State {
        state: ProgressState,
    },
    Achievements {
        unlocked: Vec<Unlock>,
    },
    Ledger {
        entries: Vec<LedgerEntry>,
    },
    Rewards {
        rewards: Vec<Reward>,
    },
    Reward {
        reward: Reward,
    },
    Redeemed {
        reward: Reward,
        coins: u64,
    },
}

/// An error reply: the envelope `type` and message.
#[derive(Debug, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
    /// The body fields at fault (a chosen id that is taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}
