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
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn every_skill_reads_back_from_its_name_and_nothing_else_does() {
        let read = |text: &str| serde_json::from_value::<Skill>(serde_json::json!(text)).ok();
        for skill in Skill::ALL {
            assert_eq!(read(skill.as_str()), Some(skill));
        }
        assert_eq!(read("cooking"), None);
        assert_eq!(read("Finance"), None);
        assert_eq!(read(""), None);
    }
}
