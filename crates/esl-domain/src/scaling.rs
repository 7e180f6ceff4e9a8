//! Scaling arithmetic: the target capacity of a rule or adjustment, clamped to the group's bounds,
//! and the choice of instances to remove under the removal policies.

use crate::fault::{self, Fault};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentType {
    QuantityChangeInCapacity,
    PercentChangeInCapacity,
    TotalCapacity,
}

impl AdjustmentType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "QuantityChangeInCapacity" => Some(Self::QuantityChangeInCapacity),
            "PercentChangeInCapacity" => Some(Self::PercentChangeInCapacity),
            "TotalCapacity" => Some(Self::TotalCapacity),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuantityChangeInCapacity => "QuantityChangeInCapacity",
            Self::PercentChangeInCapacity => "PercentChangeInCapacity",
            Self::TotalCapacity => "TotalCapacity",
        }
    }

    /// The documented range of AdjustmentValue for this type.
    pub fn check_value(self, value: i64) -> Result<(), Fault> {
        let ok = match self {
            Self::QuantityChangeInCapacity => (-1000..=1000).contains(&value),
            Self::PercentChangeInCapacity => (-100..=10000).contains(&value),
            Self::TotalCapacity => (0..=2000).contains(&value),
        };
        if ok {
            Ok(())
        } else {
            Err(fault::invalid_parameter("AdjustmentValue"))
        }
    }
}

/// The capacity an adjustment aims at, before clamping. A percentage rounds half away from zero,
/// and MinAdjustmentMagnitude raises a non-zero percentage change to at least that many instances.
pub fn raw_target(total: i64, kind: AdjustmentType, value: i64, min_magnitude: Option<i64>) -> i64 {
    match kind {
        AdjustmentType::QuantityChangeInCapacity => total + value,
        AdjustmentType::TotalCapacity => value,
        AdjustmentType::PercentChangeInCapacity => {
            let exact = total as f64 * value as f64 / 100.0;
            let mut delta = exact.round() as i64;
            if let Some(m) = min_magnitude.filter(|m| *m > 0) {
                if value != 0 && delta.abs() < m {
                    delta = if value > 0 { m } else { -m };
                }
            }
            total + delta
        }
    }
}

pub fn clamp(target: i64, min: i64, max: i64) -> i64 {
    target.clamp(min, max)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    OldestInstance,
    NewestInstance,
    OldestScalingConfiguration,
    CustomPolicy,
}

impl RemovalPolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OldestInstance" => Some(Self::OldestInstance),
            "NewestInstance" => Some(Self::NewestInstance),
            "OldestScalingConfiguration" => Some(Self::OldestScalingConfiguration),
            "CustomPolicy" => Some(Self::CustomPolicy),
            _ => None,
        }
    }
}

pub const DEFAULT_REMOVAL_POLICIES: [&str; 2] = ["OldestScalingConfiguration", "OldestInstance"];

/// What the removal choice needs to know of a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub instance_id: String,
    /// When the instance joined the group.
    pub joined_ms: i64,
    /// When its scaling configuration was created (None for attached instances without one).
    pub config_created_ms: Option<i64>,
}

/// Picks `count` candidates to remove: the policies in order, each narrowing the field to its best
/// matches until one is left; ties end on the instance id so the choice is deterministic.
pub fn choose_for_removal(
    mut candidates: Vec<Candidate>,
    policies: &[RemovalPolicy],
    count: usize,
) -> Vec<String> {
    let mut chosen = Vec::new();
    while chosen.len() < count && !candidates.is_empty() {
        let mut field: Vec<usize> = (0..candidates.len()).collect();
        for policy in policies {
            if field.len() <= 1 {
                break;
            }
            let key = |c: &Candidate| -> i64 {
                match policy {
                    RemovalPolicy::OldestInstance | RemovalPolicy::CustomPolicy => c.joined_ms,
                    RemovalPolicy::NewestInstance => -c.joined_ms,
                    // Instances without a configuration count as the oldest.
                    RemovalPolicy::OldestScalingConfiguration => {
                        c.config_created_ms.unwrap_or(i64::MIN)
                    }
                }
            };
            let best = field
                .iter()
                .map(|i| key(&candidates[*i]))
                .min()
                .expect("non-empty");
            field.retain(|i| key(&candidates[*i]) == best);
        }
        let pick = *field
            .iter()
            .min_by(|a, b| {
                candidates[**a]
                    .instance_id
                    .cmp(&candidates[**b].instance_id)
            })
            .expect("non-empty");
        chosen.push(candidates.remove(pick).instance_id);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        use AdjustmentType::*;
        assert_eq!(raw_target(2, QuantityChangeInCapacity, 3, None), 5);
        assert_eq!(raw_target(4, PercentChangeInCapacity, 50, None), 6);
        assert_eq!(raw_target(3, PercentChangeInCapacity, 50, None), 5); // 1.5 rounds to 2
        assert_eq!(raw_target(4, PercentChangeInCapacity, 10, Some(2)), 6);
        assert_eq!(raw_target(4, PercentChangeInCapacity, -10, Some(2)), 2);
        assert_eq!(raw_target(4, TotalCapacity, 1, None), 1);
        assert_eq!(clamp(9, 0, 5), 5);
        assert!(TotalCapacity.check_value(2001).is_err());
    }

    #[test]
    fn removal_policies_pick_the_documented_instance() {
        let c = |id: &str, joined: i64, cfg: Option<i64>| Candidate {
            instance_id: id.into(),
            joined_ms: joined,
            config_created_ms: cfg,
        };
        let all = vec![
            c("i-a", 10, Some(5)),
            c("i-b", 20, Some(1)),
            c("i-c", 30, Some(1)),
        ];
        use RemovalPolicy::*;
        assert_eq!(
            choose_for_removal(
                all.clone(),
                &[OldestScalingConfiguration, OldestInstance],
                1
            ),
            vec!["i-b"]
        );
        assert_eq!(
            choose_for_removal(all.clone(), &[OldestInstance], 2),
            vec!["i-a", "i-b"]
        );
        assert_eq!(
            choose_for_removal(all.clone(), &[NewestInstance], 1),
            vec!["i-c"]
        );
        assert_eq!(
            choose_for_removal(all, &[OldestScalingConfiguration, NewestInstance], 1),
            vec!["i-c"]
        );
    }
}
