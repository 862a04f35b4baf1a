//! The eight skills; an item's `category` names one, and its awards' XP counts to it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Skill {
    Health,
    Fitness,
    Learning,
    Productivity,
    Mindfulness,
    Social,
    Creativity,
    Finance,
}

impl Skill {
    pub const ALL: [Skill; 8] = [
        Skill::Health,
        Skill::Fitness,
        Skill::Learning,
        Skill::Productivity,
        Skill::Mindfulness,
        Skill::Social,
        Skill::Creativity,
        Skill::Finance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skill::Health => "health",
            Skill::Fitness => "fitness",
            Skill::Learning => "learning",
            Skill::Productivity => "productivity",
            Skill::Mindfulness => "mindfulness",
            Skill::Social => "social",
            Skill::Creativity => "creativity",
            Skill::Finance => "finance",
        }
    }

    pub fn parse(text: &str) -> Option<Skill> {
        Skill::ALL.into_iter().find(|skill| skill.as_str() == text)
    }
}
