"""The resource library (issue 12): reports, guides, templates, case studies, videos and
datasets, searchable by words and by meaning, linked to what they support, and exported so
they outlive the server (a static site, a BagIt package, OAI-PMH)."""
