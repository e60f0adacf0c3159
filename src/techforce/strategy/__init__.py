"""Strategy: recommendations, commitments, self-assessments and action plans."""
