"""survey_forms package."""
