//! The eight Graph enums of the `microsoft.graph.security` namespace (spec section 2.5).
//!
//! Every enum serialises to the exact camelCase member name Graph uses and parses from it.

use serde::{Deserialize, Serialize};

macro_rules! graph_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// All members in schema order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The member's wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a member from its wire name (case-insensitive).
            pub fn parse(s: &str) -> Option<Self> {
                $(if s.eq_ignore_ascii_case($text) { return Some($name::$variant); })+
                None
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

graph_enum!(
    /// Where an indicator comes from.
    IndicatorSource { Microsoft => "microsoft", Osint => "osint", Public => "public", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Markup kind of a `formattedContent`.
    ContentFormat { Text => "text", Html => "html", Markdown => "markdown", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Whether an intelligence profile describes an actor or a tool.
    IntelligenceProfileKind { Actor => "actor", Tool => "tool", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Transport protocol of a host port.
    HostPortProtocol { Tcp => "tcp", Udp => "udp", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Observed state of a host port.
    HostPortStatus { Open => "open", Filtered => "filtered", Closed => "closed", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Reputation verdict band.
    HostReputationClassification { Unknown => "unknown", Neutral => "neutral", Suspicious => "suspicious", Malicious => "malicious", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Severity of one reputation rule.
    HostReputationRuleSeverity { Unknown => "unknown", Low => "low", Medium => "medium", High => "high", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// Vulnerability and CVSS severity.
    VulnerabilitySeverity { None => "none", Low => "low", Medium => "medium", High => "high", Critical => "critical", UnknownFutureValue => "unknownFutureValue" }
);

impl HostReputationClassification {
    /// Defender TI's score bands: 0–24 unknown, 25–49 neutral, 50–74 suspicious, 75–100 malicious.
    pub fn from_score(score: i32) -> Self {
        match score {
            i32::MIN..=24 => Self::Unknown,
            25..=49 => Self::Neutral,
            50..=74 => Self::Suspicious,
            _ => Self::Malicious,
        }
    }
}

impl VulnerabilitySeverity {
    /// CVSS v3 qualitative band for a base score.
    pub fn from_cvss3(score: f64) -> Self {
        if score <= 0.0 {
            Self::None
        } else if score < 4.0 {
            Self::Low
        } else if score < 7.0 {
            Self::Medium
        } else if score < 9.0 {
            Self::High
        } else {
            Self::Critical
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_wire_names() {
        assert_eq!(
            serde_json::to_string(&IndicatorSource::Osint).unwrap(),
            "\"osint\""
        );
        assert_eq!(
            serde_json::from_str::<HostPortStatus>("\"filtered\"").unwrap(),
            HostPortStatus::Filtered
        );
        assert_eq!(
            ContentFormat::parse("MARKDOWN"),
            Some(ContentFormat::Markdown)
        );
        assert_eq!(VulnerabilitySeverity::ALL.len(), 6);
        assert_eq!(
            VulnerabilitySeverity::UnknownFutureValue.as_str(),
            "unknownFutureValue"
        );
    }

    #[test]
    fn score_bands() {
        assert_eq!(
            HostReputationClassification::from_score(0),
            HostReputationClassification::Unknown
        );
        assert_eq!(
            HostReputationClassification::from_score(24),
            HostReputationClassification::Unknown
        );
        assert_eq!(
            HostReputationClassification::from_score(25),
            HostReputationClassification::Neutral
        );
        assert_eq!(
            HostReputationClassification::from_score(50),
            HostReputationClassification::Suspicious
        );
        assert_eq!(
            HostReputationClassification::from_score(75),
            HostReputationClassification::Malicious
        );
        assert_eq!(
            VulnerabilitySeverity::from_cvss3(10.0),
            VulnerabilitySeverity::Critical
        );
        assert_eq!(
            VulnerabilitySeverity::from_cvss3(5.3),
            VulnerabilitySeverity::Medium
        );
    }
}
